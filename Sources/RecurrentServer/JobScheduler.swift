import Foundation
import Logging
import Recurrent
import Synchronization

/// Decides which models train: at most `maxJobs` at once, the rest `queued`
/// first in first out; when a job ends the next one starts. It also owns each
/// model's event hub and keeps the weights of models that are not training
/// for generation.
final class JobScheduler: Sendable {
    private struct State {
        var running: [Int64: TrainingJob] = [:]
        var queue: [Int64] = []
        var hubs: [Int64: EventHub] = [:]
        /// Weights of models not training, loaded on first use.
        var idleModels: [Int64: CharacterModel] = [:]
        var shuttingDown = false
    }

    let store: ModelStore
    let configuration: ServiceConfiguration
    private let state = Mutex(State())
    private let logger: Logger
    let metrics: ServiceMetrics

    init(store: ModelStore, configuration: ServiceConfiguration, metrics: ServiceMetrics, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    var runningCount: Int { state.withLock { $0.running.count } }
    var queuedCount: Int { state.withLock { $0.queue.count } }

    func hub(_ id: Int64) -> EventHub {
        state.withLock { state in
            if let hub = state.hubs[id] { return hub }
            let hub = EventHub()
            // A stream opened while the service stops ends at once.
            if state.shuttingDown { hub.close() }
            state.hubs[id] = hub
            return hub
        }
    }

    func job(_ id: Int64) -> TrainingJob? { state.withLock { $0.running[id] } }

    /// Waits until `job` has ended and its end is recorded (status written,
    /// slot freed), at most `timeout` seconds.
    func waitForEnd(of job: TrainingJob, timeout: Double = 60) async {
        let deadline = Date().addingTimeInterval(timeout)
        while self.job(job.modelID) === job && Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Jobs that were running or queued when the service last stopped wait
    /// again, rewound to their checkpoints so their history is consistent.
    func recover() throws {
        if store.isReadOnly { logger.warning("the database is read-only: reads are served, every write answers 503") }
        var ids = try store.interruptedModels()
        do {
            for id in ids {
                try store.rewindToCheckpoint(id)
                try store.setStatus(id, .queued)
            }
        } catch let error where StorageFault.reason(error) != nil {
            // A read-only or full database still serves reads; the jobs wait for a start that can write.
            logger.error("cannot resume interrupted jobs: \(error)")
            ids = []
        }
        state.withLock { $0.queue.append(contentsOf: ids) }
        if !ids.isEmpty { logger.info("resuming \(ids.count) interrupted job(s) from their checkpoints") }
        fillSlots()
    }

    /// Queues a model for training and starts it when a slot is free.
    func enqueue(_ id: Int64) throws {
        try store.setStatus(id, .queued)
        state.withLock { state in
            if !state.queue.contains(id) { state.queue.append(id) }
        }
        hub(id).publish("status", ["id": id, "status": ModelStatus.queued.rawValue])
        fillSlots()
    }

    /// Starts queued jobs while slots are free. A model whose previous thread
    /// is still stopping waits for it (its end calls this again).
    func fillSlots() {
        var started: [TrainingJob] = []
        state.withLock { state in
            guard !state.shuttingDown else { return }
            var index = 0
            while state.running.count < max(1, configuration.maxJobs), index < state.queue.count {
                let id = state.queue[index]
                if state.running[id] != nil {
                    index += 1
                    continue
                }
                state.queue.remove(at: index)
                guard let record = try? store.model(id), record.status == .queued else { continue }
                let hub = state.hubs[id] ?? EventHub()
                state.hubs[id] = hub
                let job = TrainingJob(modelID: id, settings: record.settings, seed: record.config.seed, store: store, hub: hub,
                                      checkpointSeconds: configuration.checkpointSeconds,
                                      jobThreads: configuration.limits.jobThreads, metrics: metrics) { [weak self] job, outcome in
                    self?.jobEnded(job, outcome)
                }
                state.running[id] = job
                state.idleModels[id] = nil
                do {
                    try store.setStatus(id, .running)
                } catch {
                    logger.error("could not mark model \(id) running: \(error)")
                }
                started.append(job)
            }
        }
        for job in started {
            logger.info("job started", metadata: ["model": "\(job.modelID)"])
            hub(job.modelID).publish("status", ["id": job.modelID, "status": ModelStatus.running.rawValue])
            job.start()
        }
    }

    private func jobEnded(_ job: TrainingJob, _ outcome: JobOutcome) {
        let id = job.modelID
        let status: ModelStatus?
        var error: String?
        switch outcome {
        case .paused: status = .paused
        case .cancelled: status = .cancelled
        case .succeeded: status = .succeeded
        case .failed(let message):
            status = .failed
            error = message
        case .shutdown, .deleted: status = nil
        }
        logger.info("job ended", metadata: ["model": "\(id)", "outcome": "\(status?.rawValue ?? Self.describe(outcome))"])
        if let status {
            do {
                try store.setStatus(id, status, error: error)
            } catch {
                logger.error("could not record the end of model \(id): \(error)")
            }
            var event: [String: Any] = ["id": id, "status": status.rawValue]
            if let error { event["error"] = error }
            hub(id).publish("status", event)
            if let error { logger.warning("model \(id) failed: \(error)") }
        }
        state.withLock { state in
            if state.running[id] === job { state.running[id] = nil }
            switch outcome {
            case .failed, .deleted: state.idleModels[id] = nil
            default: state.idleModels[id] = job.snapshot
            }
        }
        fillSlots()
    }

    private static func describe(_ outcome: JobOutcome) -> String {
        switch outcome {
        case .shutdown: "checkpointed for shutdown"
        case .deleted: "deleted"
        default: "\(outcome)"
        }
    }

    // MARK: Transitions

    /// running or queued → paused.
    func pause(_ id: Int64, status: ModelStatus) async throws {
        switch status {
        case .running:
            guard let job = job(id) else { throw APIError.conflict("model \(id) is not running") }
            job.send(.pause)
            await waitForEnd(of: job)
        case .queued:
            state.withLock { $0.queue.removeAll { $0 == id } }
            try store.setStatus(id, .paused)
            hub(id).publish("status", ["id": id, "status": ModelStatus.paused.rawValue])
        default:
            throw APIError.conflict("model \(id) is \(status.rawValue); only a running or queued model can be paused")
        }
    }

    /// running, queued, paused or idle → cancelled.
    func cancel(_ id: Int64, status: ModelStatus) async throws {
        switch status {
        case .running:
            guard let job = job(id) else { throw APIError.conflict("model \(id) is not running") }
            job.send(.cancel)
            await waitForEnd(of: job)
        case .queued, .paused, .idle:
            state.withLock { $0.queue.removeAll { $0 == id } }
            try store.setStatus(id, .cancelled)
            hub(id).publish("status", ["id": id, "status": ModelStatus.cancelled.rawValue])
        default:
            throw APIError.conflict("model \(id) is \(status.rawValue); only a running, queued, paused or idle model can be cancelled")
        }
    }

    /// idle, paused, succeeded (below max_ticks) or failed → queued/running.
    func resume(_ record: ModelRecord) async throws {
        let id = record.id
        switch record.status {
        case .idle, .paused, .failed, .succeeded: break
        default:
            throw APIError.conflict("model \(id) is \(record.status.rawValue); only an idle, paused, succeeded or failed model can be resumed")
        }
        guard record.sentenceCount > 0 else {
            throw APIError(.conflict, code: "no_corpus",
                           "model \(id) has no training corpus: import it again with `text` or `sentences` to train it")
        }
        if let maxTicks = record.settings.maxTicks, record.ticks >= maxTicks {
            throw APIError.conflict("model \(id) has reached max_ticks (\(maxTicks)); raise max_ticks with PATCH to train further")
        }
        if let job = job(id) { await waitForEnd(of: job) }
        if record.status == .failed {
            // Continue from the last good checkpoint, with the history up to it.
            try store.rewindToCheckpoint(id)
            state.withLock { $0.idleModels[id] = nil }
        }
        try enqueue(id)
    }

    /// New settings reach a running job before its next tick.
    func settingsChanged(_ id: Int64, _ settings: MutableSettings) {
        job(id)?.update(settings)
    }

    /// Stops the model's job without saving and forgets it.
    func remove(_ id: Int64) async {
        let job = state.withLock { state -> TrainingJob? in
            state.queue.removeAll { $0 == id }
            state.idleModels[id] = nil
            return state.running[id]
        }
        if let job {
            job.send(.delete)
            await waitForEnd(of: job)
        }
        let hub = state.withLock { $0.hubs.removeValue(forKey: id) }
        hub?.close()
    }

    // MARK: Inference

    /// The weights to sample from: the running job's latest snapshot, or the
    /// model's checkpoint.
    func inferenceModel(_ id: Int64) throws -> CharacterModel? {
        if let job = job(id), let snapshot = job.snapshot { return snapshot }
        if let cached = state.withLock({ $0.idleModels[id] }) { return cached }
        guard let (_, model, _, _) = try ModelLoader.load(id, store: store) else { return nil }
        state.withLock { state in
            if state.running[id] == nil { state.idleModels[id] = model }
        }
        return model
    }

    /// A consistent copy of weights and solver state for export.
    func trainingState(_ id: Int64) async throws -> TrainingState? {
        if let job = job(id), let state = await job.currentState() { return state }
        guard let (_, model, solver, checkpoint) = try ModelLoader.load(id, store: store) else { return nil }
        return TrainingState(model: model, solver: solver, ticks: checkpoint.ticks, epoch: checkpoint.epoch,
                             randomState: checkpoint.randomState)
    }

    // MARK: Shutdown

    /// Checkpoints every running job and waits for their threads; status
    /// stays `running`/`queued` in the store so the next start resumes them.
    func shutdown(timeout: Double = 60) {
        beginShutdown()
        waitForJobs(timeout: timeout)
    }

    /// Starts no more jobs, asks every running one to checkpoint and stop,
    /// and ends every event stream; returns at once.
    func beginShutdown() {
        let (jobs, hubs) = state.withLock { state in
            state.shuttingDown = true
            return (Array(state.running.values), Array(state.hubs.values))
        }
        for job in jobs { job.send(.shutdown) }
        for hub in hubs { hub.close() }
    }

    /// Waits (at most `timeout` seconds in all) for every job's thread to
    /// end; returns whether they all did.
    @discardableResult
    func waitForJobs(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        let jobs = state.withLock { Array($0.running.values) }
        for job in jobs { job.waitUntilStoppedBlocking(timeout: max(0, deadline.timeIntervalSinceNow)) }
        return jobs.allSatisfy { !$0.isAlive }
    }
}
