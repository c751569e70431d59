import Foundation
import GRDB
import RecurrentStore

/// A row of `checkpoints`: one per model, replaced by each new checkpoint.
struct CheckpointRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "checkpoints"

    var modelID: ModelID
    var weights: Data
    /// The generator's four state words, comma-separated.
    var randomState: String?
    var ticks: Int
    var epoch: Double
    var firstLoss: Double?
    var createdAt: Double

    enum CodingKeys: String, CodingKey {
        case weights, ticks, epoch
        case modelID = "model_id"
        case randomState = "random_state"
        case firstLoss = "first_loss"
        case createdAt = "created_at"
    }

    enum Columns {
        static let modelID = Column(CodingKeys.modelID)
        static let ticks = Column(CodingKeys.ticks)
        static let createdAt = Column(CodingKeys.createdAt)
    }

    init(modelID: ModelID, _ checkpoint: Checkpoint) {
        self.modelID = modelID
        weights = checkpoint.weights
        randomState = checkpoint.randomState?.map(String.init).joined(separator: ",")
        ticks = checkpoint.ticks
        epoch = checkpoint.epoch
        firstLoss = checkpoint.firstLoss
        createdAt = checkpoint.time
    }

    var checkpoint: Checkpoint {
        let words = randomState?.split(separator: ",").compactMap { UInt64($0) }
        return Checkpoint(weights: weights, randomState: words?.count == 4 ? words : nil, ticks: ticks, epoch: epoch,
                          firstLoss: firstLoss, time: createdAt)
    }

    /// Writes the checkpoint in place of the model's previous one.
    static func save(_ db: Database, id: ModelID, _ checkpoint: Checkpoint) throws {
        try CheckpointRow(modelID: id, checkpoint).insert(db, onConflict: .replace)
    }
}

/// A row of `best_weights`: the weights with the best validation loss so far.
struct BestWeightsRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "best_weights"

    var modelID: ModelID
    var weights: Data
    var step: Int
    var validationLoss: Double

    enum CodingKeys: String, CodingKey {
        case weights, step
        case modelID = "model_id"
        case validationLoss = "validation_loss"
    }

    init(modelID: ModelID, _ best: BestWeights) {
        self.modelID = modelID
        weights = best.weights
        step = best.step
        validationLoss = best.validationLoss
    }

    var best: BestWeights { BestWeights(weights: weights, step: step, validationLoss: validationLoss) }
}

/// A row of `corpora`: a model's sentences (or its text as one entry) as a JSON array.
struct CorpusRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "corpora"

    var modelID: ModelID
    var sentences: String

    enum CodingKeys: String, CodingKey {
        case sentences
        case modelID = "model_id"
    }

    init(modelID: ModelID, sentences: [String]) throws {
        self.modelID = modelID
        self.sentences = String(decoding: try JSONEncoder().encode(sentences), as: UTF8.self)
    }

    func decoded() throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(sentences.utf8))
    }
}
