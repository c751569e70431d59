import RecurrentStore

/// What a model's job tells the world while it trains, in the order it
/// happens. The HTTP layer turns these into server-sent events.
public enum JobEvent: Sendable, Equatable {
    /// The model's status changed (with the failure message when it failed).
    case status(id: ModelID, status: ModelStatus, error: String?)
    /// About twice a second while training.
    case progress(ProgressEvent)
    /// A point of the loss history (every 100 ticks).
    case metric(MetricPoint)
    /// A round of recorded samples (their ids are given when they are written).
    case samples(id: ModelID, step: Int, samples: [SampleEntry])
    /// A validation of a text corpus.
    case validation(ValidationEvent)

    /// The event's name on the wire.
    public var name: String {
        switch self {
        case .status: "status"
        case .progress: "progress"
        case .metric: "metric"
        case .samples: "samples"
        case .validation: "validation"
        }
    }
}

/// The live figures of a training job.
public struct ProgressEvent: Sendable, Equatable {
    public var id: ModelID
    public var ticks: Int
    public var epoch: Double
    public var perplexity: Double?
    public var medianPerplexity: Double?
    public var ticksPerSecond: Double?
    public var charactersPerSecond: Double?
    public var learningRate: Double
}

/// A validation result and the best one so far.
public struct ValidationEvent: Sendable, Equatable {
    public var id: ModelID
    public var step: Int
    public var validationLoss: Double
    public var bestValidationLoss: Double?
    public var bestStep: Int?
}
