import Foundation
import Logging
import Recurrent
import RecurrentStore
import Synchronization

/// Decides which models train: at most `maxJobs` at once, the rest `queued`
/// first in first out; when a job ends the next one starts. It also owns each
/// model's event hub and keeps the weights of models that are not training
/// for generation.
///
/// Its lock guards only its own memory: every store call happens outside it,
/// so a status read never waits for the database behind a job's start.
///
/// In a cluster (a ``JobLeaseStore`` and ``SchedulerConfiguration/cluster``)
/// the queue is the store's: this node claims jobs with leases instead of
/// keeping a queue, and controls jobs trained elsewhere through the store
/// (see `JobScheduler+Cluster.swift`).
public final class JobScheduler: Sendable {
    struct State {
        var running: [ModelID: TrainingJob] = [:]
        /// Taken off the queue, their job not yet running.
        var starting: Set<ModelID> = []
        var queue: [ModelID] = []
        var hubs: [ModelID: EventHub] = [:]
        /// Weights of models not training, loaded on first use.
        var idleModels: [ModelID: IdleWeights] = [:]
        var shuttingDown = false
        /// Cluster: models whose event streams are fed from the store.
        var relays: Set<ModelID> = []
        /// Cluster: the claim-and-renew loop and the signal listener.
        var clusterTasks: [Task<Void, Never>] = []
        /// Cluster: wakes the loop before its next poll.
        var wake: AsyncStream<Void>.Continuation?
    }

    /// Weights kept for generation, with the checkpoint they came from (in a
    /// cluster a newer checkpoint, written elsewhere, replaces them).
    struct IdleWeights {
        var model: CharacterModel
        var checkpointAt: Double?
    }

    public let store: any ModelStore
    public let configuration: SchedulerConfiguration
    let state = Mutex(State())
    let logger: Logger
    public let metrics: ServiceMetrics
    /// The shared store of a cluster; nil on a single node.
    let leases: (any JobLeaseStore)?
    /// How many threads each job trains with.
    let cores: CoreShare

    public init(store: any ModelStore, configuration: SchedulerConfiguration, metrics: ServiceMetrics, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        leases = configuration.cluster != nil ? store as? any JobLeaseStore : nil
        cores = CoreShare(configuration.jobThreads)
    }

    /// Whether jobs are claimed from a store shared with other nodes.
    public var isClustered: Bool { leases != nil }

    public var runningCount: Int { state.withLock { $0.running.count } }
    public var queuedCount: Int { state.withLock { $0.queue.count + $0.starting.count } }

    /// Jobs waiting for a slot. A cluster's queue is the store's (workers
    /// claim from it; no node keeps one of its own, so ``queuedCount`` is 0
    /// there): it is counted in the store. While the database cannot be
    /// read the node, which is still up, reports its own count.
    public func waitingCount() async -> Int {
        guard isClustered else { return queuedCount }
        return (try? await store.statusCounts()[.queued, default: 0]) ?? queuedCount
    }

    public func hub(_ id: ModelID) -> EventHub {
        state.withLock { state in
            if let hub = state.hubs[id] { return hub }
            let hub = EventHub()
            // A stream opened while the service stops ends at once.
            if state.shuttingDown { hub.close() }
            state.hubs[id] = hub
            return hub
        }
    }

    public func job(_ id: ModelID) -> TrainingJob? { state.withLock { $0.running[id] } }

    /// The model's events from now on. In a cluster, events of a job trained
    /// on another node are relayed from the store (see ``EventRelay``).
    public func events(for id: ModelID) -> AsyncStream<JobEvent> {
        let hub = hub(id)
        let stream = hub.subscribe()
        guard isClustered, let cluster = configuration.cluster else { return stream }
        let starts = state.withLock { state in state.relays.insert(id).inserted && !state.shuttingDown }
        if starts {
            let relay = EventRelay(id: id, store: store, hub: hub, pollSeconds: cluster.pollSeconds) { [weak self] in
                self?.job(id) != nil
            }
            Task { [weak self] in
                await relay.run()
                _ = self?.state.withLock { $0.relays.remove(id) }
            }
        }
        return stream
    }

    /// The live figures of the model's running job, if it has one.
    public func liveFigures(_ id: ModelID) -> ProgressFigures? { job(id)?.figures }

    /// Waits until `job` has ended and its end is recorded (status written,
    /// slot freed), at most `timeout` seconds.
    func waitForEnd(of job: TrainingJob, timeout: Double = 60) async {
        let deadline = Date().addingTimeInterval(timeout)
        while self.job(job.modelID) === job && Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Jobs that were running or queued when the service last stopped wait
    /// again, rewound to their checkpoints so their history is consistent.
    public func recover() async throws {
        if isClustered {
            // The store's queue is the cluster's: jobs of a node that died
            // are claimed (and rewound) when their leases expire.
            startClusterWork()
            return
        }
        if store.isReadOnly { logger.warning("the database is read-only: reads are served, every write answers 503") }
        var ids = try await store.interruptedModels()
        do {
            for id in ids {
                try await store.rewindToCheckpoint(id)
                try await store.setStatus(id, .queued)
            }
        } catch let error where StoreError.unavailableReason(error) != nil {
            // A read-only or full database still serves reads; the jobs wait for a start that can write.
            logger.error("cannot resume interrupted jobs: \(error)")
            ids = []
        }
        state.withLock { $0.queue.append(contentsOf: ids) }
        if !ids.isEmpty { logger.info("resuming \(ids.count) interrupted job(s) from their checkpoints") }
        await fillSlots()
    }

    /// Queues a model for training and starts it when a slot is free.
    public func enqueue(_ id: ModelID) async throws {
        try await store.setStatus(id, .queued)
        if let leases {
            hub(id).publish(.status(id: id, status: .queued, error: nil))
            await leases.signal(.queue)
            wakeClusterLoop()
            return
        }
        state.withLock { state in
            if !state.queue.contains(id) { state.queue.append(id) }
        }
        hub(id).publish(.status(id: id, status: .queued, error: nil))
        await fillSlots()
    }

    /// Starts queued jobs while slots are free. A model whose previous thread
    /// is still stopping waits for it (its end calls this again).
    func fillSlots() async {
        if isClustered { return wakeClusterLoop() }
        while let id = takeNextQueued() {
            guard let record = try? await store.model(id), record.status == .queued else {
                state.withLock { _ = $0.starting.remove(id) }
                continue
            }
            let hub = hub(id)
            let job = TrainingJob(modelID: id, settings: record.settings, seed: record.config.seed, store: store, hub: hub,
                                  checkpointSeconds: configuration.checkpointSeconds,
                                  cores: cores, metrics: metrics) { [weak self] job, outcome in
                guard let self else { return }
                Task { await self.jobEnded(job, outcome) }
            }
            do {
                try await store.setStatus(id, .running)
            } catch {
                logger.error("could not mark model \(id) running: \(error)")
            }
            let started = state.withLock { state -> Bool in
                state.starting.remove(id)
                guard !state.shuttingDown else { return false }
                state.running[id] = job
                state.idleModels[id] = nil
                return true
            }
            guard started else { continue }
            logger.info("job started", metadata: ["model": "\(id)"])
            hub.publish(.status(id: id, status: .running, error: nil))
            job.start()
        }
    }

    /// The first queued model whose previous job has ended, taken off the
    /// queue, while a slot is free.
    private func takeNextQueued() -> ModelID? {
        state.withLock { state in
            guard !state.shuttingDown, configuration.trains,
                  state.running.count + state.starting.count < max(1, configuration.maxJobs) else {
                return nil
            }
            guard let index = state.queue.firstIndex(where: { state.running[$0] == nil && !state.starting.contains($0) })
            else { return nil }
            let id = state.queue.remove(at: index)
            state.starting.insert(id)
            return id
        }
    }

    func jobEnded(_ job: TrainingJob, _ outcome: JobOutcome) async {
        let id = job.modelID
        let status = outcome.recordedStatus
        logger.info("job ended", metadata: ["model": "\(id)", "outcome": "\(status?.rawValue ?? outcome.summary)"])
        if let lease = job.lease {
            await releaseLease(lease, outcome: outcome)
        } else if let status {
            let error = outcome.failureMessage
            do {
                try await store.setStatus(id, status, error: error)
            } catch {
                logger.error("could not record the end of model \(id): \(error)")
            }
            hub(id).publish(.status(id: id, status: status, error: error))
            if let error { logger.warning("model \(id) failed: \(error)") }
        }
        state.withLock { state in
            if state.running[id] === job { state.running[id] = nil }
            switch outcome {
            case .failed, .deleted, .leaseLost: state.idleModels[id] = nil
            default: state.idleModels[id] = job.snapshot.map { IdleWeights(model: $0, checkpointAt: nil) }
            }
        }
        await fillSlots()
    }

    // MARK: State the extensions change (each under the lock, no I/O)

    func removeFromQueue(_ id: ModelID) {
        state.withLock { $0.queue.removeAll { $0 == id } }
    }

    func forgetIdleModel(_ id: ModelID) {
        state.withLock { _ = $0.idleModels.removeValue(forKey: id) }
    }

    func idleModel(_ id: ModelID) -> IdleWeights? {
        state.withLock { $0.idleModels[id] }
    }

    /// Keeps `model` for generation unless a job started meanwhile.
    func keepIdleModel(_ model: CharacterModel, checkpointAt: Double?, for id: ModelID) {
        state.withLock { state in
            if state.running[id] == nil { state.idleModels[id] = IdleWeights(model: model, checkpointAt: checkpointAt) }
        }
    }

    /// Takes the model off the queue and out of the caches; returns its running job.
    func forget(_ id: ModelID) -> TrainingJob? {
        state.withLock { state in
            state.queue.removeAll { $0 == id }
            state.idleModels[id] = nil
            return state.running[id]
        }
    }

    func closeHub(_ id: ModelID) {
        let hub = state.withLock { $0.hubs.removeValue(forKey: id) }
        hub?.close()
    }

    func markShuttingDown() -> (jobs: [TrainingJob], hubs: [EventHub], tasks: [Task<Void, Never>]) {
        state.withLock { state in
            state.shuttingDown = true
            state.wake?.finish()
            return (Array(state.running.values), Array(state.hubs.values), state.clusterTasks)
        }
    }

    var runningJobs: [TrainingJob] { state.withLock { Array($0.running.values) } }
}
