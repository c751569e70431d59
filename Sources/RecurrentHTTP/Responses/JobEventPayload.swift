import RecurrentJobs
import RecurrentStore

/// The data of a job's event as the event stream carries it.
enum JobEventPayload: Encodable, Sendable {
    case status(StatusPayload)
    case progress(ProgressPayload)
    case metric(MetricPointResponse)
    case samples(SamplesPayload)
    case validation(ValidationPayload)

    init(_ event: JobEvent) {
        switch event {
        case .status(let id, let status, let error): self = .status(StatusPayload(id: id, status: status.rawValue, error: error))
        case .progress(let progress): self = .progress(ProgressPayload(progress))
        case .metric(let point): self = .metric(MetricPointResponse(point))
        case .samples(let id, let step, let samples):
            self = .samples(SamplesPayload(id: id, step: step, samples: samples.map { SampleResponse($0, withID: false) }))
        case .validation(let validation): self = .validation(ValidationPayload(validation))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .status(let payload): try payload.encode(to: encoder)
        case .progress(let payload): try payload.encode(to: encoder)
        case .metric(let payload): try payload.encode(to: encoder)
        case .samples(let payload): try payload.encode(to: encoder)
        case .validation(let payload): try payload.encode(to: encoder)
        }
    }
}

/// `status`: the model's status, with the failure message when it failed.
struct StatusPayload: Encodable, Sendable {
    var id: Int64
    var status: String
    var error: String?

    enum CodingKeys: String, CodingKey { case id, status, error }

    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(id, forKey: .id)
        try values.encode(status, forKey: .status)
        if let error { try values.encode(error, forKey: .error) }
    }
}

/// `progress`: the live figures of a training job.
struct ProgressPayload: Encodable, Sendable {
    var id: Int64
    var ticks: Int
    var epoch: Double
    var perplexity: Double?
    var medianPerplexity: Double?
    var ticksPerSec: Double?
    var charsPerSec: Double?
    var learningRate: Double

    enum CodingKeys: String, CodingKey {
        case id, ticks, epoch, perplexity
        case medianPerplexity = "median_perplexity", ticksPerSec = "ticks_per_sec", charsPerSec = "chars_per_sec"
        case learningRate = "learning_rate"
    }

    init(_ progress: ProgressEvent) {
        id = progress.id
        ticks = progress.ticks
        epoch = progress.epoch
        perplexity = progress.perplexity
        medianPerplexity = progress.medianPerplexity
        ticksPerSec = progress.ticksPerSecond
        charsPerSec = progress.charactersPerSecond
        learningRate = progress.learningRate
    }
}

/// `samples`: a round of recorded samples.
struct SamplesPayload: Encodable, Sendable {
    var id: Int64
    var step: Int
    var samples: [SampleResponse]
}

/// `validation`: a validation of a text corpus.
struct ValidationPayload: Encodable, Sendable {
    var id: Int64
    var step: Int
    var validationLoss: Double
    var bestValidationLoss: Double?
    var bestStep: Int?

    enum CodingKeys: String, CodingKey {
        case id, step
        case validationLoss = "validation_loss", bestValidationLoss = "best_validation_loss", bestStep = "best_step"
    }

    init(_ validation: ValidationEvent) {
        id = validation.id
        step = validation.step
        validationLoss = validation.validationLoss
        bestValidationLoss = validation.bestValidationLoss
        bestStep = validation.bestStep
    }
}
