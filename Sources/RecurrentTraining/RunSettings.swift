import Foundation
import Recurrent

/// Everything that decides how a run trains, whoever starts it: the model's
/// shape and solver, the corpus's reading, the step size and the threads.
///
/// `recurrent train` fills it from its options (and a resumed file), the
/// service from a model's stored configuration and its current settings;
/// given the same settings, corpus and seed both train the same weights.
public struct RunSettings: Codable, Sendable, Equatable {
    /// How the training data is read (the engine's ``CorpusKind``).
    public typealias CorpusKind = Recurrent.CorpusKind

    public var generator: Generator
    public var hiddenSizes: [Int]
    public var letterSize: Int
    public var optimizer: Optimizer
    public var regc: Double
    public var clipval: Double
    /// The seed of initialisation and sentence choice; nil: a random one.
    public var seed: UInt64?
    public var corpus: CorpusKind
    /// Sequences per tick.
    public var batchSize: Int
    /// Text corpora: characters per window of backpropagation through time.
    public var sequenceLength: Int
    /// Text corpora: fraction of the text held out for validation.
    public var validationFraction: Double
    /// Text corpora: ticks between validations (0: never).
    public var validationInterval: Int
    /// Text corpora: learning-rate factor applied after every completed pass.
    public var learningRateDecay: Double
    /// Inverted-dropout rate on upper layers' and the decoder's inputs.
    public var dropout: Double
    /// The step size as set, before any decay (see ``TrainingRun/resumedLearningRate(set:decay:completedEpochs:)``).
    public var learningRate: Double
    /// Text corpora: data-parallel workers sharing each tick.
    public var workers: Int
    /// Warm-up and decay of the rate over the run's known length.
    public var schedule = LearningRateSchedule()
    /// Text corpora: stop after this many validations in a row without a
    /// new best (0: never).
    public var earlyStopPatience = 0
    /// Text corpora: the operands' format in the large products (sentence
    /// corpora always train in float32).
    public var precision = ProductPrecision.float32

    public init(generator: Generator = .lstm, hiddenSizes: [Int] = [20, 20], letterSize: Int = 5,
                optimizer: Optimizer = .rmsprop, regc: Double = 1e-6, clipval: Double = 5, seed: UInt64? = nil,
                corpus: CorpusKind = .sentences, batchSize: Int = 1, sequenceLength: Int = 64,
                validationFraction: Double = 0.05, validationInterval: Int = 200, learningRateDecay: Double = 1,
                dropout: Double = 0, learningRate: Double = 0.01, workers: Int = 1) {
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
        self.learningRate = learningRate
        self.workers = workers
    }

    /// The engine's settings for a tick at the set rate.
    public var trainingSettings: TrainingSettings {
        TrainingSettings(learningRate: Float(learningRate), regc: Float(regc), clipval: Float(clipval),
                         batchSize: batchSize, dropout: Float(dropout),
                         productPrecision: corpus == .text ? precision : .float32)
    }

    /// The engine's text-corpus options, with ``workers``.
    public var textOptions: TextTrainingOptions {
        var options = TextTrainingOptions(sequenceLength: sequenceLength, validationFraction: validationFraction,
                                          validationInterval: validationInterval,
                                          learningRateDecay: Float(learningRateDecay))
        options.workers = workers
        return options
    }
}

/// Where a run starts: fresh weights, or the saved state of an earlier run.
///
/// Not `Sendable`: the model and solver are mutable classes, owned by the run.
public struct RunStart {
    public var model: CharacterModel
    public var solver: Solver
    /// The trainer's generator (sentence choice, dropout).
    public var random: RandomSource
    /// Ticks run before.
    public var ticks: Int
    /// Text corpora: where in the text the earlier run stopped (0: the start).
    public var epoch: Double
    /// The loss of the first tick ever trained, the yardstick of divergence;
    /// nil when none was recorded.
    public var firstLoss: Double?

    public init(model: CharacterModel, solver: Solver, random: RandomSource, ticks: Int = 0, epoch: Double = 0,
                firstLoss: Double? = nil) {
        self.model = model
        self.solver = solver
        self.random = random
        self.ticks = ticks
        self.epoch = epoch
        self.firstLoss = firstLoss
    }

    /// New weights for `vocabulary` in the shape of `settings`, initialised
    /// from its seed; the trainer's generator goes on from where the
    /// initialisation left it (as the service's model creation does).
    public static func fresh(_ settings: RunSettings, vocabulary: Vocabulary) -> RunStart {
        var random = settings.seed.map(RandomSource.init(seed:)) ?? RandomSource()
        let model = CharacterModel(vocabulary: vocabulary, generator: settings.generator,
                                   hiddenSizes: settings.hiddenSizes, letterSize: settings.letterSize, random: &random)
        return RunStart(model: model, solver: Solver(optimizer: settings.optimizer), random: random)
    }
}
