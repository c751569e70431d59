import Foundation
import GRDB
import RecurrentStore

/// Rows of the SQLite tables and the values they hold.
enum SQLiteRows {
    /// Model rows with the tick and time of their checkpoint.
    static let selectModels = """
        SELECT models.*, checkpoints.ticks AS checkpoint_ticks, checkpoints.created_at AS checkpoint_at
        FROM models LEFT JOIN checkpoints ON checkpoints.model_id = models.id
        """

    /// A row of ``selectModels``, decoding the `config` and `vocabulary`
    /// columns through `columns`.
    static func model(_ row: Row, columns: DecodedColumns) throws -> ModelRecord {
        let figures = ProgressFigures(
            ticks: row["ticks"], epoch: row["epoch"], latestPerplexity: row["latest_perplexity"],
            medianPerplexity: row["median_perplexity"], ticksPerSecond: row["ticks_per_sec"],
            charactersPerSecond: row["chars_per_sec"], lastTickAt: row["last_tick_at"], clippedRatio: row["clipped_ratio"],
            greedyText: row["greedy_text"], learningRate: row["learning_rate"], validationLoss: row["validation_loss"],
            bestValidationLoss: row["best_validation_loss"], bestStep: row["best_step"])
        return ModelRecord(
            id: row["id"], name: row["name"], status: ModelStatus(rawValue: row["status"]) ?? .failed,
            config: try columns.config(row["config"]), vocabulary: columns.vocabulary(row["vocabulary"]),
            sentenceCount: row["sentence_count"], parameterCount: row["parameter_count"],
            settings: MutableSettings(learningRate: row["learning_rate"], sampleTemperature: row["sample_temperature"],
                                      maxTicks: row["max_ticks"]),
            figures: figures, createdAt: row["created_at"], updatedAt: row["updated_at"], error: row["error"],
            checkpointTicks: row["checkpoint_ticks"], checkpointAt: row["checkpoint_at"])
    }

    static func checkpoint(_ row: Row) -> Checkpoint {
        let words = (row["random_state"] as String?)?.split(separator: ",").compactMap { UInt64($0) }
        return Checkpoint(weights: row["weights"], randomState: words?.count == 4 ? words : nil, ticks: row["ticks"],
                          epoch: row["epoch"], firstLoss: row["first_loss"], time: row["created_at"])
    }

    static func saveCheckpoint(_ db: Database, id: ModelID, _ checkpoint: Checkpoint) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO checkpoints (model_id, weights, random_state, ticks, epoch, first_loss, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, checkpoint.weights, checkpoint.randomState?.map(String.init).joined(separator: ","),
                             checkpoint.ticks, checkpoint.epoch, checkpoint.firstLoss, checkpoint.time])
    }

    static func metric(_ row: Row) -> MetricPoint {
        MetricPoint(step: row["step"], medianPerplexity: row["median_perplexity"], meanLoss: row["mean_loss"],
                    learningRate: row["learning_rate"], ticksPerSecond: row["ticks_per_sec"], time: row["time"],
                    validationLoss: row["validation_loss"])
    }

    static func sample(_ row: Row) -> SampleEntry {
        SampleEntry(id: row["id"], step: row["step"], kind: SampleEntry.Kind(rawValue: row["kind"]) ?? .sample,
                    temperature: row["temperature"], text: row["text"], time: row["time"])
    }
}

extension Optional where Wrapped == Double {
    /// SQLite stores NaN as NULL anyway; infinities are kept out the same way.
    var finiteOrNil: Double? { self.flatMap { $0.isFinite ? $0 : nil } }
}
