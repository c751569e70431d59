import Foundation
import Logging
import RecurrentStore

/// The scheduler on a node of a cluster. A worker (role `all` or `worker`)
/// runs one loop: claim queued jobs while it has free slots, renew its
/// leases about every third of the lease time, and read what API nodes asked
/// of its jobs (pause, cancel, new settings). The loop runs every
/// ``ClusterSettings/pollSeconds`` and at once on a ``ClusterSignal``.
extension JobScheduler {
    /// Starts the loop and the signal listener (a worker), or nothing (an
    /// API-only node: it reads the store and sends signals).
    func startClusterWork() {
        guard let leases, let cluster = configuration.cluster, configuration.trains else { return }
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let signals = leases.signals()
        let loop = Task { [weak self] in
            var renewedAt = Date.distantPast
            for await _ in wakes {
                guard let self else { return }
                if Date().timeIntervalSince(renewedAt) >= cluster.leaseSeconds / 3 {
                    // A renewal that could not reach the database is tried
                    // again at the next poll, not a third of a lease later.
                    if await self.tendLeases(renewing: true) { renewedAt = Date() }
                } else {
                    await self.tendLeases(renewing: false)
                }
                await self.claimJobs()
            }
        }
        let listener = Task { [weak self] in
            for await signal in signals {
                guard let self else { return }
                if case .control(let id) = signal, let job = self.job(id), let lease = job.lease {
                    await self.readOrders(of: job, lease: lease, renewing: false)
                }
                self.wakeClusterLoop()
            }
        }
        let ticker = Task { [weak self] in
            while !Task.isCancelled {
                self?.wakeClusterLoop()
                try? await Task.sleep(for: .seconds(cluster.pollSeconds))
            }
        }
        let started = state.withLock { state -> Bool in
            guard !state.shuttingDown else { return false }
            state.wake = wake
            state.clusterTasks = [loop, listener, ticker]
            return true
        }
        if !started { [loop, listener, ticker].forEach { $0.cancel() } }
        logger.info("cluster worker \(cluster.workerID) started",
                    metadata: ["max_jobs": "\(configuration.maxJobs)", "lease_seconds": "\(cluster.leaseSeconds)"])
    }

    /// Runs the loop soon (a job ended, was queued, or a signal came).
    func wakeClusterLoop() {
        _ = state.withLock { $0.wake?.yield() }
    }

    /// Claims jobs from the store while this node has free slots.
    private func claimJobs() async {
        guard let leases, let cluster = configuration.cluster else { return }
        while hasFreeSlot() {
            let lease: JobLease?
            do {
                lease = try await leases.claimJob(owner: cluster.workerID, leaseSeconds: cluster.leaseSeconds)
            } catch {
                logger.warning("cannot claim jobs: \(error)")
                return
            }
            // A claim that could not start ends this round: no tight loop of
            // claims and releases of one job.
            guard let lease, await startClaimed(lease) else { return }
        }
    }

    private func hasFreeSlot() -> Bool {
        state.withLock { state in
            !state.shuttingDown && state.running.count + state.starting.count < max(1, configuration.maxJobs)
        }
    }

    /// Starts the job of a claimed lease; gives the lease back (and returns
    /// false) when it cannot.
    private func startClaimed(_ lease: JobLease) async -> Bool {
        let id = lease.modelID
        if let stale = job(id) {
            // This node's own job, whose lease ran out while the database was
            // away: the claim rewound the model to its checkpoint, so the old
            // run stops without writing and a new one starts from there.
            stale.send(.leaseLost)
            await waitForEnd(of: stale)
        }
        guard let record = try? await store.model(id) else {
            try? await leases?.release(lease, status: nil, error: nil)
            return false
        }
        let hub = hub(id)
        let job = TrainingJob(modelID: id, lease: lease, settings: record.settings, seed: record.config.seed, store: store,
                              hub: hub, checkpointSeconds: configuration.checkpointSeconds,
                              cores: cores, metrics: metrics) { [weak self] job, outcome in
            guard let self else { return }
            Task { await self.jobEnded(job, outcome) }
        }
        let started = state.withLock { state -> Bool in
            guard !state.shuttingDown, state.running[id] == nil else { return false }
            state.running[id] = job
            state.idleModels[id] = nil
            return true
        }
        guard started else {
            try? await leases?.release(lease, status: nil, error: nil)
            return false
        }
        logger.info("job claimed", metadata: ["model": "\(id)", "worker": "\(lease.owner)",
                                              "generation": "\(lease.generation)", "from_tick": "\(record.checkpointTicks ?? 0)"])
        hub.publish(.status(id: id, status: .running, error: nil))
        job.start()
        return true
    }

    /// Renews (when due) or reads the orders of every lease this node
    /// holds; false when the database could not be reached for one.
    @discardableResult
    private func tendLeases(renewing: Bool) async -> Bool {
        var reached = true
        for job in runningJobs {
            guard let lease = job.lease else { continue }
            if await !readOrders(of: job, lease: lease, renewing: renewing) { reached = false }
        }
        return reached
    }

    /// Applies what API nodes asked of `job`; stops it when its lease is
    /// lost. False when the database could not be reached.
    @discardableResult
    func readOrders(of job: TrainingJob, lease: JobLease, renewing: Bool) async -> Bool {
        guard let leases, let cluster = configuration.cluster else { return true }
        let orders: JobOrders?
        do {
            orders = renewing ? try await leases.renew(lease, leaseSeconds: cluster.leaseSeconds)
                : try await leases.orders(lease)
        } catch {
            // The database is away: keep training; the fenced writes decide
            // later whether the lease survived.
            logger.warning("cannot \(renewing ? "renew" : "read") the lease on model \(lease.modelID): \(error)")
            return false
        }
        guard let orders else {
            job.send(.leaseLost)
            return true
        }
        if orders.settings != job.settings { job.update(orders.settings) }
        switch orders.request {
        case .pause?: job.send(.pause)
        case .cancel?: job.send(.cancel)
        case nil: break
        }
        return true
    }

    /// Records a job's end and gives its lease up: with its final status, or
    /// (shutdown) still running for another worker to claim at once. A
    /// storage fault is retried for a lease time; after that the lease runs
    /// out and another worker continues from the last checkpoint.
    func releaseLease(_ lease: JobLease, outcome: JobOutcome) async {
        guard let leases, let cluster = configuration.cluster else { return }
        let id = lease.modelID
        switch outcome {
        case .leaseLost:
            logger.warning("""
                worker \(lease.owner) lost its lease on model \(id) (generation \(lease.generation)): another worker \
                took the job over or the model was deleted; stopped it without writing
                """)
            return
        case .deleted:
            return
        default: break
        }
        let status = outcome.recordedStatus
        let deadline = Date().addingTimeInterval(cluster.leaseSeconds)
        while true {
            do {
                try await leases.release(lease, status: status, error: outcome.failureMessage)
                break
            } catch where StoreError.isLeaseLost(error) {
                logger.warning("worker \(lease.owner) lost its lease on model \(id) before recording its end")
                return
            } catch {
                guard Date() < deadline else {
                    logger.error("could not record the end of model \(id): \(error)")
                    return
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        if let status {
            hub(id).publish(.status(id: id, status: status, error: outcome.failureMessage))
        } else {
            await leases.signal(.queue)
        }
    }
}
