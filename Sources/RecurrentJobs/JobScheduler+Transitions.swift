import Foundation
import Recurrent
import RecurrentStore

extension JobScheduler {
    /// running or queued → paused.
    public func pause(_ id: ModelID, status: ModelStatus) async throws {
        try await requireStoppable(id)
        switch status {
        case .running:
            try await stopRunning(id, .pause)
        case .queued:
            removeFromQueue(id)
            guard try await setStatus(id, from: [.queued], to: .paused) else {
                // Claimed by a worker meanwhile.
                return try await stopRunning(id, .pause)
            }
            hub(id).publish(.status(id: id, status: .paused, error: nil))
        default:
            throw JobError.transitionNotAllowed(
                "model \(id) is \(status.rawValue); only a running or queued model can be paused")
        }
    }

    /// running, queued, paused or idle → cancelled.
    public func cancel(_ id: ModelID, status: ModelStatus) async throws {
        try await requireStoppable(id)
        switch status {
        case .running:
            try await stopRunning(id, .cancel)
        case .queued, .paused, .idle:
            removeFromQueue(id)
            guard try await setStatus(id, from: [.queued, .paused, .idle], to: .cancelled) else {
                return try await stopRunning(id, .cancel)
            }
            hub(id).publish(.status(id: id, status: .cancelled, error: nil))
        default:
            throw JobError.transitionNotAllowed(
                "model \(id) is \(status.rawValue); only a running, queued, paused or idle model can be cancelled")
        }
    }

    /// Stops a running job: this node's directly, one trained elsewhere in a
    /// cluster through the store (its worker reads the request at once on
    /// the signal, else within a poll), waiting until it has stopped (at
    /// most 15 s; the answer then still shows it running).
    private func stopRunning(_ id: ModelID, _ request: JobRequest) async throws {
        if let job = job(id) {
            job.send(request == .pause ? .pause : .cancel)
            return await waitForEnd(of: job)
        }
        guard let leases else { throw JobError.transitionNotAllowed("model \(id) is not running") }
        guard try await leases.request(id, request) else { return }
        await leases.signal(.control(id))
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let job = job(id) { return await waitForEnd(of: job) }
            guard let record = try await store.model(id), record.status == .running else { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Sets the status of a model that is not training; in a cluster only
    /// while it still has one of `from` (a worker may claim it meanwhile).
    private func setStatus(_ id: ModelID, from: Set<ModelStatus>, to status: ModelStatus) async throws -> Bool {
        guard let leases else {
            try await store.setStatus(id, status)
            return true
        }
        return try await leases.transition(id, from: from, to: status)
    }

    /// Before pausing or cancelling, the job's final checkpoint must be
    /// writable: a job whose flushes fail (disk full) keeps training, and
    /// the request is refused, rather than stopping it with nothing saved.
    private func requireStoppable(_ id: ModelID) async throws {
        if let fault = job(id)?.figures?.storageError { throw JobError.cannotStop(id, fault: fault) }
        try await store.requireWritable()
    }

    /// idle, paused, succeeded (below max_ticks) or failed → queued/running.
    public func resume(_ record: ModelRecord) async throws {
        let id = record.id
        switch record.status {
        case .idle, .paused, .failed, .succeeded: break
        default:
            throw JobError.transitionNotAllowed(
                "model \(id) is \(record.status.rawValue); only an idle, paused, succeeded or failed model can be resumed")
        }
        guard record.sentenceCount > 0 else { throw JobError.noCorpus(id) }
        if let maxTicks = record.settings.maxTicks, record.ticks >= maxTicks {
            throw JobError.transitionNotAllowed(
                "model \(id) has reached max_ticks (\(maxTicks)); raise max_ticks with PATCH to train further")
        }
        if let job = job(id) { await waitForEnd(of: job) }
        if record.status == .failed {
            // Continue from the last good checkpoint, with the history up to it.
            try await store.rewindToCheckpoint(id)
            forgetIdleModel(id)
        }
        try await enqueue(id)
    }

    /// New settings reach a running job before its next tick (in a
    /// cluster, its worker reads them on the signal or at its next poll).
    public func settingsChanged(_ id: ModelID, _ settings: MutableSettings) async {
        if let job = job(id) { return job.update(settings) }
        await leases?.signal(.control(id))
    }

    /// Stops the model's job without saving and forgets it.
    public func remove(_ id: ModelID) async {
        if let job = forget(id) {
            job.send(.delete)
            await waitForEnd(of: job)
        }
        closeHub(id)
    }

    /// After a delete: the worker training the model elsewhere stops it now
    /// rather than at its next write.
    public func removed(_ id: ModelID) async {
        await leases?.signal(.control(id))
    }

    // MARK: Inference

    /// The weights to sample from: the running job's latest snapshot, or the
    /// model's checkpoint.
    public func inferenceModel(_ id: ModelID) async throws -> CharacterModel? {
        if let job = job(id), let snapshot = job.snapshot { return snapshot }
        if isClustered {
            // Another worker may have written a newer checkpoint.
            guard let record = try await store.model(id) else { return nil }
            if let cached = idleModel(id), cached.checkpointAt != nil, cached.checkpointAt == record.checkpointAt {
                return cached.model
            }
        } else if let cached = idleModel(id) {
            return cached.model
        }
        guard let loaded = try await ModelLoader.load(id, store: store) else { return nil }
        keepIdleModel(loaded.model, checkpointAt: loaded.checkpoint.time, for: id)
        return loaded.model
    }

    /// A consistent copy of weights and solver state for export.
    public func trainingState(_ id: ModelID) async throws -> TrainingState? {
        if let job = job(id), let state = await job.currentState() { return state }
        guard let loaded = try await ModelLoader.load(id, store: store) else { return nil }
        return TrainingState(model: loaded.model, solver: loaded.solver, ticks: loaded.checkpoint.ticks,
                             epoch: loaded.checkpoint.epoch, randomState: loaded.checkpoint.randomState)
    }
}
