import Foundation
import PostgresNIO
import RecurrentStore

/// Rows of the PostgreSQL tables and the values they hold.
enum PostgresRows {
    /// Model rows with the tick and time of their checkpoint.
    static let selectModels = """
        SELECT models.*, checkpoints.ticks AS checkpoint_ticks, checkpoints.created_at AS checkpoint_at,
            EXTRACT(EPOCH FROM models.lease_claimed_at)::FLOAT8 AS lease_since,
            EXTRACT(EPOCH FROM models.lease_expires_at)::FLOAT8 AS lease_until,
            model_corpora.corpus_id AS uploaded_corpus_id
        FROM models LEFT JOIN checkpoints ON checkpoints.model_id = models.id
            LEFT JOIN model_corpora ON model_corpora.model_id = models.id
        """

    /// A row of ``selectModels``, decoding `config` and `vocabulary` through `columns`.
    static func model(_ row: PostgresRow, columns: DecodedColumns) throws -> ModelRecord {
        let row = row.makeRandomAccess()
        let learningRate = try row["learning_rate"].decode(Double.self)
        let figures = ProgressFigures(
            ticks: try row["ticks"].decode(Int.self), epoch: try row["epoch"].decode(Double.self),
            latestPerplexity: try row["latest_perplexity"].decode(Double?.self),
            medianPerplexity: try row["median_perplexity"].decode(Double?.self),
            ticksPerSecond: try row["ticks_per_sec"].decode(Double?.self),
            charactersPerSecond: try row["chars_per_sec"].decode(Double?.self),
            lastTickAt: try row["last_tick_at"].decode(Double?.self),
            clippedRatio: try row["clipped_ratio"].decode(Double?.self),
            greedyText: try row["greedy_text"].decode(String?.self), learningRate: learningRate,
            validationLoss: try row["validation_loss"].decode(Double?.self),
            bestValidationLoss: try row["best_validation_loss"].decode(Double?.self),
            bestStep: try row["best_step"].decode(Int?.self))
        let settings = MutableSettings(learningRate: learningRate,
                                       sampleTemperature: try row["sample_temperature"].decode(Double.self),
                                       maxTicks: try row["max_ticks"].decode(Int?.self))
        var lease: LeaseHolder?
        if let owner = try row["lease_owner"].decode(String?.self) {
            lease = LeaseHolder(owner: owner, since: try row["lease_since"].decode(Double?.self) ?? 0,
                                expiresAt: try row["lease_until"].decode(Double?.self) ?? 0)
        }
        return ModelRecord(
            id: try row["id"].decode(Int64.self), name: try row["name"].decode(String.self),
            status: ModelStatus(rawValue: try row["status"].decode(String.self)) ?? .failed,
            config: try columns.config(try row["config"].decode(String.self)),
            vocabulary: columns.vocabulary(try row["vocabulary"].decode(String.self)),
            sentenceCount: try row["sentence_count"].decode(Int.self),
            parameterCount: try row["parameter_count"].decode(Int.self), settings: settings, figures: figures,
            createdAt: try row["created_at"].decode(Double.self), updatedAt: try row["updated_at"].decode(Double.self),
            error: try row["error"].decode(String?.self), checkpointTicks: try row["checkpoint_ticks"].decode(Int?.self),
            checkpointAt: try row["checkpoint_at"].decode(Double?.self), lease: lease,
            corpusID: try row["uploaded_corpus_id"].decode(Int64?.self))
    }

    static let selectCheckpoint = "SELECT weights, random_state, ticks, epoch, first_loss, created_at FROM checkpoints"

    /// A row of ``selectCheckpoint``.
    static func checkpoint(_ row: PostgresRow) throws -> Checkpoint {
        let row = row.makeRandomAccess()
        let words = try row["random_state"].decode(String?.self)?.split(separator: ",").compactMap { UInt64($0) }
        return Checkpoint(weights: try row["weights"].decode(Data.self), randomState: words?.count == 4 ? words : nil,
                          ticks: try row["ticks"].decode(Int.self), epoch: try row["epoch"].decode(Double.self),
                          firstLoss: try row["first_loss"].decode(Double?.self),
                          time: try row["created_at"].decode(Double.self))
    }

    /// Inserts or replaces the checkpoint of model `id`.
    static func saveCheckpoint(_ connection: PostgresConnection, id: ModelID, _ checkpoint: Checkpoint,
                               logger: Logger) async throws {
        let randomState = checkpoint.randomState?.map(String.init).joined(separator: ",")
        try await connection.run("""
            INSERT INTO checkpoints (model_id, weights, random_state, ticks, epoch, first_loss, created_at)
            VALUES (\(id), \(checkpoint.weights), \(randomState), \(checkpoint.ticks), \(checkpoint.epoch),
                \(checkpoint.firstLoss.withoutNaN), \(checkpoint.time))
            ON CONFLICT (model_id) DO UPDATE SET weights = EXCLUDED.weights, random_state = EXCLUDED.random_state,
                ticks = EXCLUDED.ticks, epoch = EXCLUDED.epoch, first_loss = EXCLUDED.first_loss,
                created_at = EXCLUDED.created_at
            """, logger: logger)
    }

    static let selectMetrics = """
        SELECT step, median_perplexity, mean_loss, learning_rate, ticks_per_sec, time, validation_loss FROM metrics
        """

    /// A row of ``selectMetrics``.
    static func metric(_ row: PostgresRow) throws -> MetricPoint {
        let row = row.makeRandomAccess()
        return MetricPoint(step: try row["step"].decode(Int.self),
                           medianPerplexity: try row["median_perplexity"].decode(Double.self),
                           meanLoss: try row["mean_loss"].decode(Double.self),
                           learningRate: try row["learning_rate"].decode(Double.self),
                           ticksPerSecond: try row["ticks_per_sec"].decode(Double.self),
                           time: try row["time"].decode(Double.self),
                           validationLoss: try row["validation_loss"].decode(Double?.self))
    }

    static let selectSamples = "SELECT id, step, kind, temperature, text, time FROM samples"

    /// A row of ``selectSamples``.
    static func sample(_ row: PostgresRow) throws -> SampleEntry {
        let row = row.makeRandomAccess()
        return SampleEntry(id: try row["id"].decode(Int64.self), step: try row["step"].decode(Int.self),
                           kind: SampleEntry.Kind(rawValue: try row["kind"].decode(String.self)) ?? .sample,
                           temperature: try row["temperature"].decode(Double?.self),
                           text: try row["text"].decode(String.self), time: try row["time"].decode(Double.self))
    }
}

extension Optional where Wrapped == Double {
    /// NaN and the infinities as NULL: the figures the SQLite store keeps
    /// finite (a diverged loss reads as "none").
    var finiteOrNil: Double? { self.flatMap { $0.isFinite ? $0 : nil } }
    /// NaN as NULL, as SQLite stores it (PostgreSQL would keep NaN).
    var withoutNaN: Double? { self.flatMap { $0.isNaN ? nil : $0 } }
}
