import Foundation
import Recurrent

/// The fixed shape and training constants of a model, chosen at creation (or
/// import) and stored as JSON in `models.config`.
public struct ModelConfig: Codable, Sendable, Equatable {
    public var generator: Generator
    public var hiddenSizes: [Int]
    public var letterSize: Int
    public var optimizer: Optimizer
    public var regc: Double
    public var clipval: Double
    /// The seed of initialisation and sentence choice, when one was given.
    public var seed: UInt64?
    /// How the corpus is trained: sentences (the demo) or one continuous text.
    public var corpus: CorpusKind = .sentences
    /// Sequences per tick.
    public var batchSize = 1
    /// Text corpora: characters per window of backpropagation through time.
    public var sequenceLength = 64
    /// Text corpora: fraction of the text held out for validation.
    public var validationFraction = 0.05
    /// Text corpora: ticks between validations.
    public var validationInterval = 200
    /// Text corpora: learning-rate factor applied after every epoch.
    public var learningRateDecay = 1.0
    /// Inverted-dropout rate on upper layers' and the decoder's inputs.
    public var dropout = 0.0
    /// The learning rate's shape over `max_ticks` (cosine needs them).
    public var learningRateSchedule = LearningRateSchedule.Shape.constant
    /// Ticks over which the rate first rises linearly to its value.
    public var warmupTicks = 0
    /// Text corpora: stop after this many validations without a new best (0: never).
    public var earlyStop = 0
    /// Text corpora: the operands' format in the large products.
    public var precision = ProductPrecision.float32

    /// The schedule the run follows.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(shape: learningRateSchedule, warmupTicks: warmupTicks)
    }

    enum CodingKeys: String, CodingKey {
        case generator, optimizer, regc, clipval, seed, corpus, dropout
        case learningRateSchedule = "lr_schedule", warmupTicks = "warmup_ticks", earlyStop = "early_stop", precision
        case hiddenSizes = "hidden_sizes"
        case letterSize = "letter_size"
        case batchSize = "batch_size"
        case sequenceLength = "seq_length"
        case validationFraction = "val_fraction"
        case validationInterval = "val_interval"
        case learningRateDecay = "lr_decay"
    }

    public init(generator: Generator, hiddenSizes: [Int], letterSize: Int, optimizer: Optimizer, regc: Double, clipval: Double,
         seed: UInt64?, corpus: CorpusKind = .sentences, batchSize: Int = 1, sequenceLength: Int = 64,
         validationFraction: Double = 0.05, validationInterval: Int = 200, learningRateDecay: Double = 1,
         dropout: Double = 0) {
        self.generator = generator
        self.hiddenSizes = hiddenSizes
        self.letterSize = letterSize
        self.optimizer = optimizer
        self.regc = regc
        self.clipval = clipval
        self.seed = seed
        self.corpus = corpus
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.validationFraction = validationFraction
        self.validationInterval = validationInterval
        self.learningRateDecay = learningRateDecay
        self.dropout = dropout
    }

    /// Configurations stored before the corpus fields existed read with their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        generator = try container.decode(Generator.self, forKey: .generator)
        hiddenSizes = try container.decode([Int].self, forKey: .hiddenSizes)
        letterSize = try container.decode(Int.self, forKey: .letterSize)
        optimizer = try container.decode(Optimizer.self, forKey: .optimizer)
        regc = try container.decode(Double.self, forKey: .regc)
        clipval = try container.decode(Double.self, forKey: .clipval)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        corpus = try container.decodeIfPresent(CorpusKind.self, forKey: .corpus) ?? .sentences
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? 1
        sequenceLength = try container.decodeIfPresent(Int.self, forKey: .sequenceLength) ?? 64
        validationFraction = try container.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0.05
        validationInterval = try container.decodeIfPresent(Int.self, forKey: .validationInterval) ?? 200
        learningRateDecay = try container.decodeIfPresent(Double.self, forKey: .learningRateDecay) ?? 1
        dropout = try container.decodeIfPresent(Double.self, forKey: .dropout) ?? 0
        learningRateSchedule = try container.decodeIfPresent(LearningRateSchedule.Shape.self, forKey: .learningRateSchedule)
            ?? .constant
        warmupTicks = try container.decodeIfPresent(Int.self, forKey: .warmupTicks) ?? 0
        earlyStop = try container.decodeIfPresent(Int.self, forKey: .earlyStop) ?? 0
        precision = try container.decodeIfPresent(ProductPrecision.self, forKey: .precision) ?? .float32
    }

    /// The demo's defaults: LSTM [20, 20], letter size 5, RMSProp, regc 1e-6, clip 5.
    public static let demo = ModelConfig(generator: .lstm, hiddenSizes: [20, 20], letterSize: 5, optimizer: .rmsprop,
                                  regc: 1e-6, clipval: 5, seed: nil)

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> ModelConfig {
        try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8))
    }
}

/// The settings that may change while a model trains (PATCH).
public struct MutableSettings: Sendable, Equatable {
    public var learningRate = 0.01
    public var sampleTemperature = 1.0
    public var maxTicks: Int?

    public init(learningRate: Double = 0.01, sampleTemperature: Double = 1.0, maxTicks: Int? = nil) {
        self.learningRate = learningRate
        self.sampleTemperature = sampleTemperature
        self.maxTicks = maxTicks
    }
}

