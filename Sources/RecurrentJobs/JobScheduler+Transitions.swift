import Foundation
import Recurrent
import RecurrentStore

extension JobScheduler {
    /// running or queued → paused.
    public func pause(_ id: ModelID, status: ModelStatus) async throws {
        try await requireStoppable(id)
        switch status {
        case .running:
            guard let job = job(id) else { throw JobError.transitionNotAllowed("model \(id) is not running") }
            job.send(.pause)
            await waitForEnd(of: job)
        case .queued:
            removeFromQueue(id)
            try await store.setStatus(id, .paused)
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
            guard let job = job(id) else { throw JobError.transitionNotAllowed("model \(id) is not running") }
            job.send(.cancel)
            await waitForEnd(of: job)
        case .queued, .paused, .idle:
            removeFromQueue(id)
            try await store.setStatus(id, .cancelled)
            hub(id).publish(.status(id: id, status: .cancelled, error: nil))
        default:
            throw JobError.transitionNotAllowed(
                "model \(id) is \(status.rawValue); only a running, queued, paused or idle model can be cancelled")
        }
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

    /// New settings reach a running job before its next tick.
    public func settingsChanged(_ id: ModelID, _ settings: MutableSettings) {
        job(id)?.update(settings)
    }

    /// Stops the model's job without saving and forgets it.
    public func remove(_ id: ModelID) async {
        if let job = forget(id) {
            job.send(.delete)
            await waitForEnd(of: job)
        }
        closeHub(id)
    }

    // MARK: Inference

    /// The weights to sample from: the running job's latest snapshot, or the
    /// model's checkpoint.
    public func inferenceModel(_ id: ModelID) async throws -> CharacterModel? {
        if let job = job(id), let snapshot = job.snapshot { return snapshot }
        if let cached = idleModel(id) { return cached }
        guard let loaded = try await ModelLoader.load(id, store: store) else { return nil }
        keepIdleModel(loaded.model, for: id)
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
