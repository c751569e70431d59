import Foundation
import GRDB
import Synchronization

/// One row of `models`: what a model is and the latest figures of its training.
struct ModelRecord: Sendable {
    var id: Int64
    var name: String
    var status: ModelStatus
    var config: ModelConfig
    /// The characters of the vocabulary in index order (index 1 first).
    var vocabulary: [String]
    var sentenceCount: Int
    var parameterCount: Int
    var ticks: Int
    var epoch: Double
    var settings: MutableSettings
    var latestPerplexity: Double?
    var medianPerplexity: Double?
    var ticksPerSecond: Double?
    var charactersPerSecond: Double?
    var lastTickAt: Double?
    var clippedRatio: Double?
    var createdAt: Double
    var updatedAt: Double
    var error: String?
    var greedyText: String?
    /// Tick and time of the latest checkpoint.
    var checkpointTicks: Int?
    var checkpointAt: Double?
    /// Text corpora: the latest validation loss, the best one and its tick.
    var validationLoss: Double?
    var bestValidationLoss: Double?
    var bestStep: Int?

    /// Reads a row of `ModelStore.selectModels`, decoding the `config` and
    /// `vocabulary` columns through `columns`.
    init(row: Row, columns: DecodedColumns) throws {
        id = row["id"]
        name = row["name"]
        status = ModelStatus(rawValue: row["status"]) ?? .failed
        config = try columns.config(row["config"])
        vocabulary = columns.vocabulary(row["vocabulary"])
        sentenceCount = row["sentence_count"]
        parameterCount = row["parameter_count"]
        ticks = row["ticks"]
        epoch = row["epoch"]
        settings = MutableSettings(learningRate: row["learning_rate"], sampleTemperature: row["sample_temperature"],
                                   maxTicks: row["max_ticks"])
        latestPerplexity = row["latest_perplexity"]
        medianPerplexity = row["median_perplexity"]
        ticksPerSecond = row["ticks_per_sec"]
        charactersPerSecond = row["chars_per_sec"]
        lastTickAt = row["last_tick_at"]
        clippedRatio = row["clipped_ratio"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        error = row["error"]
        greedyText = row["greedy_text"]
        checkpointTicks = row["checkpoint_ticks"]
        checkpointAt = row["checkpoint_at"]
        validationLoss = row["validation_loss"]
        bestValidationLoss = row["best_validation_loss"]
        bestStep = row["best_step"]
    }
}

/// A model's lifecycle state.
enum ModelStatus: String, Sendable, CaseIterable {
    case idle, queued, running, paused, succeeded, failed, cancelled
}

/// A model about to be inserted.
struct NewModel: Sendable {
    var name: String
    var config: ModelConfig
    var vocabulary: [String]
    var sentences: [String]?
    var parameterCount: Int
    var settings: MutableSettings
    var ticks = 0
    var epoch = 0.0
}

/// The saved training state of a model: weights and solver state (see
/// ``CheckpointCodec``), the generators' states and the counters.
struct CheckpointRow: Sendable {
    var weights: Data
    var randomState: [UInt64]?
    var ticks: Int
    var epoch: Double
    /// The loss of the first tick ever recorded, the yardstick of divergence.
    var firstLoss: Double?
    var time: Double

    init(weights: Data, randomState: [UInt64]?, ticks: Int, epoch: Double, firstLoss: Double?, time: Double) {
        self.weights = weights
        self.randomState = randomState
        self.ticks = ticks
        self.epoch = epoch
        self.firstLoss = firstLoss
        self.time = time
    }

    init(row: Row) {
        weights = row["weights"]
        let words = (row["random_state"] as String?)?.split(separator: ",").compactMap { UInt64($0) }
        randomState = words?.count == 4 ? words : nil
        ticks = row["ticks"]
        epoch = row["epoch"]
        firstLoss = row["first_loss"]
        time = row["created_at"]
    }
}

/// A point of the loss history (every 100 ticks).
struct MetricPoint: Sendable {
    var step: Int
    var medianPerplexity: Double
    var meanLoss: Double
    var learningRate: Double
    var ticksPerSecond: Double
    var time: Double
    /// Text corpora: the latest validation loss at this step, if any yet.
    var validationLoss: Double? = nil

    var dictionary: [String: Any] {
        ["step": step, "median_perplexity": medianPerplexity, "mean_loss": meanLoss,
         "learning_rate": learningRate, "ticks_per_sec": ticksPerSecond, "time": JSON.time(time),
         "validation_loss": JSON.number(validationLoss)]
    }
}

/// A text the job recorded while training.
struct SampleEntry: Sendable {
    var id: Int64 = 0
    var step: Int
    var kind: String
    var temperature: Double?
    var text: String
    var time: Double

    var dictionary: [String: Any] {
        ["id": id, "step": step, "kind": kind, "temperature": JSON.number(temperature), "text": text, "time": JSON.time(time)]
    }
}

/// The training figures a job writes to its model row.
struct ProgressFigures: Sendable {
    var ticks = 0
    var epoch = 0.0
    var latestPerplexity: Double?
    var medianPerplexity: Double?
    var ticksPerSecond: Double?
    var charactersPerSecond: Double?
    var lastTickAt: Double?
    var clippedRatio: Double?
    var greedyText: String?
    var learningRate = 0.01
    /// Text corpora: the latest validation loss, the best one and its tick.
    var validationLoss: Double?
    var bestValidationLoss: Double?
    var bestStep: Int?
    /// Set while the job's writes fail for a storage fault (it trains on).
    var storageError: String?
}

/// Decoded `config` and `vocabulary` columns by their text: they never change
/// for a model, and decoding JSON on every status read was a good part of
/// its cost. Each ``ModelStore`` owns one.
final class DecodedColumns: Sendable {
    private let configs = Mutex<[String: ModelConfig]>([:])
    private let vocabularies = Mutex<[String: [String]]>([:])
    /// Entries per cache; a full cache is emptied (models are few, so this is rare).
    let capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    func config(_ text: String) throws -> ModelConfig {
        if let cached = configs.withLock({ $0[text] }) { return cached }
        let config = try ModelConfig.decode(text)
        configs.withLock { cache in
            if cache.count >= capacity { cache.removeAll() }
            cache[text] = config
        }
        return config
    }

    func vocabulary(_ text: String) -> [String] {
        if let cached = vocabularies.withLock({ $0[text] }) { return cached }
        let letters = (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
        vocabularies.withLock { cache in
            if cache.count >= capacity { cache.removeAll() }
            cache[text] = letters
        }
        return letters
    }
}
