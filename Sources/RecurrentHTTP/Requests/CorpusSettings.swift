import Recurrent
import RecurrentStore

/// How a corpus is trained: `corpus`, `batch_size`, `seq_length`,
/// `val_fraction`, `val_interval`, `lr_decay`, `dropout`, `lr_schedule`,
/// `warmup_ticks`, `early_stop` and `precision`, all optional.
struct CorpusSettings: Decodable, Sendable {
    var corpus: String?
    var batchSize: Int?
    var sequenceLength: Int?
    var validationInterval: Int?
    var validationFraction: Double?
    var dropout: Double?
    var learningRateDecay: Double?
    var learningRateSchedule: String?
    var warmupTicks: Int?
    var earlyStop: Int?
    var precision: String?

    enum CodingKeys: String, CodingKey {
        case corpus, dropout
        case batchSize = "batch_size", sequenceLength = "seq_length", validationInterval = "val_interval"
        case validationFraction = "val_fraction", learningRateDecay = "lr_decay"
        case learningRateSchedule = "lr_schedule", warmupTicks = "warmup_ticks", earlyStop = "early_stop", precision
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        corpus = try values.string(.corpus)
        batchSize = try values.integer(.batchSize)
        sequenceLength = try values.integer(.sequenceLength)
        validationInterval = try values.integer(.validationInterval)
        validationFraction = try values.number(.validationFraction)
        dropout = try values.number(.dropout)
        learningRateDecay = try values.number(.learningRateDecay)
        learningRateSchedule = try values.string(.learningRateSchedule)
        warmupTicks = try values.integer(.warmupTicks)
        earlyStop = try values.integer(.earlyStop)
        precision = try values.string(.precision)
    }

    /// Whether none of the settings is given.
    var isEmpty: Bool {
        corpus == nil && batchSize == nil && sequenceLength == nil && validationInterval == nil
            && validationFraction == nil && dropout == nil && learningRateDecay == nil
            && learningRateSchedule == nil && warmupTicks == nil && earlyStop == nil && precision == nil
    }

    /// The settings checked and written into `config` (a text corpus
    /// defaults to batches of 32).
    func apply(to config: inout ModelConfig, limits: ServiceLimits) throws(APIError) {
        if let corpus {
            guard let kind = CorpusKind(rawValue: corpus) else {
                throw APIError.invalid("corpus", "must be one of sentences, text (got \(corpus.debugDescription))")
            }
            config.corpus = kind
        }
        if config.corpus == .text { config.batchSize = 32 }
        if let batchSize {
            try limits.checkBatchSize(batchSize)
            config.batchSize = batchSize
        }
        if let sequenceLength {
            try limits.checkSequenceLength(sequenceLength)
            config.sequenceLength = sequenceLength
        }
        if let validationInterval {
            try ServiceLimits.checkValidationInterval(validationInterval)
            config.validationInterval = validationInterval
        }
        if let validationFraction {
            try ServiceLimits.checkFraction(validationFraction, field: "val_fraction")
            config.validationFraction = validationFraction
        }
        if let dropout {
            try ServiceLimits.checkFraction(dropout, field: "dropout")
            config.dropout = dropout
        }
        if let learningRateDecay {
            try ServiceLimits.checkLearningRateDecay(learningRateDecay)
            config.learningRateDecay = learningRateDecay
        }
        if let learningRateSchedule {
            guard let shape = LearningRateSchedule.Shape(rawValue: learningRateSchedule) else {
                throw APIError.invalid("lr_schedule", "must be one of constant, cosine (got \(learningRateSchedule.debugDescription))")
            }
            config.learningRateSchedule = shape
        }
        if let warmupTicks {
            try ServiceLimits.checkInteger(warmupTicks, in: ServiceLimits.warmupTicks, field: "warmup_ticks")
            config.warmupTicks = warmupTicks
        }
        if let earlyStop {
            try ServiceLimits.checkInteger(earlyStop, in: ServiceLimits.earlyStopValidations, field: "early_stop")
            config.earlyStop = earlyStop
        }
        if let precision {
            guard let format = ProductPrecision(rawValue: precision) else {
                throw APIError.invalid("precision", "must be one of float32, bfloat16 (got \(precision.debugDescription))")
            }
            config.precision = format
        }
    }
}
