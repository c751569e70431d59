import Recurrent
import RecurrentStore

/// What the HTTP side asks of a job; the training thread reads it every tick.
enum JobCommand: Sendable {
    case run, pause, cancel, shutdown, delete
    /// Another worker holds the job now (or the model is gone): stop without writing.
    case leaseLost
}

/// How a job's thread ended.
enum JobOutcome: Sendable, Equatable {
    /// Stopped on request; checkpointed.
    case paused, cancelled
    /// Reached `max_ticks`; checkpointed.
    case succeeded
    /// Diverged or could not train; the last good checkpoint is kept.
    case failed(String)
    /// The service is stopping; checkpointed, status left as it was so the
    /// next start resumes it.
    case shutdown
    /// The model is being deleted; nothing written.
    case deleted
    /// The job's lease was lost (another worker took the job over, or the
    /// model was deleted elsewhere); nothing written.
    case leaseLost

    /// The status the store records for this end; nil when it keeps the
    /// current one (shutdown) or the model is gone.
    var recordedStatus: ModelStatus? {
        switch self {
        case .paused: .paused
        case .cancelled: .cancelled
        case .succeeded: .succeeded
        case .failed: .failed
        case .shutdown, .deleted, .leaseLost: nil
        }
    }

    var failureMessage: String? {
        if case .failed(let message) = self { return message }
        return nil
    }

    var summary: String {
        switch self {
        case .shutdown: "checkpointed for shutdown"
        case .deleted: "deleted"
        case .leaseLost: "lease lost"
        default: "\(self)"
        }
    }
}

/// A consistent copy of a job's training state, taken between ticks.
public struct TrainingState: @unchecked Sendable {
    public var model: CharacterModel
    public var solver: Solver
    public var ticks: Int
    public var epoch: Double
    public var randomState: [UInt64]?

    public init(model: CharacterModel, solver: Solver, ticks: Int, epoch: Double, randomState: [UInt64]?) {
        self.model = model
        self.solver = solver
        self.ticks = ticks
        self.epoch = epoch
        self.randomState = randomState
    }
}
