import Foundation

/// A model's id in the store.
public typealias ModelID = Int64

/// One stored model: what it is and the latest figures of its training.
public struct ModelRecord: Sendable, Equatable {
    public var id: ModelID
    public var name: String
    public var status: ModelStatus
    public var config: ModelConfig
    /// The characters of the vocabulary in index order (index 1 first).
    public var vocabulary: [String]
    /// Sentences of a sentence corpus, 1 for a text, 0 without a corpus.
    public var sentenceCount: Int
    public var parameterCount: Int
    public var settings: MutableSettings
    /// The figures last written by the model's job.
    public var figures: ProgressFigures
    public var createdAt: Double
    public var updatedAt: Double
    /// Why the model failed, if it did.
    public var error: String?
    /// Tick and time of the latest checkpoint.
    public var checkpointTicks: Int?
    public var checkpointAt: Double?
    /// The worker holding the model's job, in a cluster (nil on one node).
    public var lease: LeaseHolder?
    /// The uploaded corpus the model trains on, if any.
    public var corpusID: CorpusID?

    public init(id: ModelID, name: String, status: ModelStatus, config: ModelConfig, vocabulary: [String],
                sentenceCount: Int, parameterCount: Int, settings: MutableSettings, figures: ProgressFigures,
                createdAt: Double, updatedAt: Double, error: String?, checkpointTicks: Int?, checkpointAt: Double?,
                lease: LeaseHolder? = nil, corpusID: CorpusID? = nil) {
        self.corpusID = corpusID
        self.id = id
        self.name = name
        self.status = status
        self.config = config
        self.vocabulary = vocabulary
        self.sentenceCount = sentenceCount
        self.parameterCount = parameterCount
        self.settings = settings
        self.figures = figures
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.error = error
        self.checkpointTicks = checkpointTicks
        self.checkpointAt = checkpointAt
        self.lease = lease
    }

    public var ticks: Int { figures.ticks }
}

/// A model's lifecycle state.
public enum ModelStatus: String, Sendable, CaseIterable, Codable {
    case idle, queued, running, paused, succeeded, failed, cancelled
}

/// A model about to be inserted.
public struct NewModel: Sendable {
    public var name: String
    public var config: ModelConfig
    public var vocabulary: [String]
    /// The corpus: sentences, or a text as one entry; nil for none.
    public var sentences: [String]?
    /// An uploaded corpus to train on instead (text corpora); `sentences` is then nil.
    public var corpusID: CorpusID?
    public var parameterCount: Int
    public var settings: MutableSettings
    public var ticks = 0
    public var epoch = 0.0

    /// What `sentence_count` records: the sentences, 1 for a text (its own or uploaded), 0 for none.
    public var corpusEntries: Int { sentences?.count ?? (corpusID == nil ? 0 : 1) }

    public init(name: String, config: ModelConfig, vocabulary: [String], sentences: [String]?, parameterCount: Int,
                settings: MutableSettings, ticks: Int = 0, epoch: Double = 0, corpusID: CorpusID? = nil) {
        self.corpusID = corpusID
        self.name = name
        self.config = config
        self.vocabulary = vocabulary
        self.sentences = sentences
        self.parameterCount = parameterCount
        self.settings = settings
        self.ticks = ticks
        self.epoch = epoch
    }
}

/// The saved training state of a model: the encoded weights and solver
/// state, the generator's state and the counters.
public struct Checkpoint: Sendable, Equatable {
    public var weights: Data
    public var randomState: [UInt64]?
    public var ticks: Int
    public var epoch: Double
    /// The loss of the first tick ever recorded, the yardstick of divergence.
    public var firstLoss: Double?
    public var time: Double

    public init(weights: Data, randomState: [UInt64]?, ticks: Int, epoch: Double, firstLoss: Double?, time: Double) {
        self.weights = weights
        self.randomState = randomState
        self.ticks = ticks
        self.epoch = epoch
        self.firstLoss = firstLoss
        self.time = time
    }
}

/// The weights with the best validation loss so far (text corpora).
public struct BestWeights: Sendable, Equatable {
    public var weights: Data
    public var step: Int
    public var validationLoss: Double

    public init(weights: Data, step: Int, validationLoss: Double) {
        self.weights = weights
        self.step = step
        self.validationLoss = validationLoss
    }
}

/// A point of the loss history (every 100 ticks).
public struct MetricPoint: Sendable, Equatable, Codable {
    public var step: Int
    public var medianPerplexity: Double
    public var meanLoss: Double
    public var learningRate: Double
    public var ticksPerSecond: Double
    public var time: Double
    /// Text corpora: the latest validation loss at this step, if any yet.
    public var validationLoss: Double?

    public init(step: Int, medianPerplexity: Double, meanLoss: Double, learningRate: Double, ticksPerSecond: Double,
                time: Double, validationLoss: Double? = nil) {
        self.step = step
        self.medianPerplexity = medianPerplexity
        self.meanLoss = meanLoss
        self.learningRate = learningRate
        self.ticksPerSecond = ticksPerSecond
        self.time = time
        self.validationLoss = validationLoss
    }
}

/// A text the job recorded while training.
public struct SampleEntry: Sendable, Equatable {
    /// Which kind of recorded text.
    public enum Kind: String, Sendable, Codable {
        /// Drawn at the model's temperature.
        case sample
        /// The most likely characters.
        case greedy
    }

    /// The row's id once written (0 before).
    public var id: Int64
    public var step: Int
    public var kind: Kind
    public var temperature: Double?
    public var text: String
    public var time: Double

    public init(id: Int64 = 0, step: Int, kind: Kind, temperature: Double?, text: String, time: Double) {
        self.id = id
        self.step = step
        self.kind = kind
        self.temperature = temperature
        self.text = text
        self.time = time
    }
}

/// The training figures a job writes to its model row.
public struct ProgressFigures: Sendable, Equatable {
    public var ticks = 0
    public var epoch = 0.0
    public var latestPerplexity: Double?
    public var medianPerplexity: Double?
    public var ticksPerSecond: Double?
    public var charactersPerSecond: Double?
    public var lastTickAt: Double?
    public var clippedRatio: Double?
    public var greedyText: String?
    public var learningRate = 0.01
    /// Text corpora: the latest validation loss, the best one and its tick.
    public var validationLoss: Double?
    public var bestValidationLoss: Double?
    public var bestStep: Int?
    /// Threads a running job trains with now, on the node that trains it
    /// (live only: not stored).
    public var threads: Int?
    /// Set while the job's writes fail for a storage fault (it trains on).
    public var storageError: String?

    public init(ticks: Int = 0, epoch: Double = 0, latestPerplexity: Double? = nil, medianPerplexity: Double? = nil,
                ticksPerSecond: Double? = nil, charactersPerSecond: Double? = nil, lastTickAt: Double? = nil,
                clippedRatio: Double? = nil, greedyText: String? = nil, learningRate: Double = 0.01,
                validationLoss: Double? = nil, bestValidationLoss: Double? = nil, bestStep: Int? = nil) {
        self.ticks = ticks
        self.epoch = epoch
        self.latestPerplexity = latestPerplexity
        self.medianPerplexity = medianPerplexity
        self.ticksPerSecond = ticksPerSecond
        self.charactersPerSecond = charactersPerSecond
        self.lastTickAt = lastTickAt
        self.clippedRatio = clippedRatio
        self.greedyText = greedyText
        self.learningRate = learningRate
        self.validationLoss = validationLoss
        self.bestValidationLoss = bestValidationLoss
        self.bestStep = bestStep
    }
}
