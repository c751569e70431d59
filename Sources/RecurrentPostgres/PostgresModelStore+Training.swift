import Foundation
import Logging
import PostgresNIO
import RecurrentStore

extension PostgresModelStore {
    // MARK: CorpusStore

    /// The sentences (or a text as one entry); nil when the model has none.
    public func corpus(_ id: ModelID) async throws -> [String]? {
        let logger = self.logger
        let text = try await withConnection(readOnly: true) { connection in
            var text: String?
            for try await sentences in try await connection.query(
                "SELECT sentences FROM corpora WHERE model_id = \(id)", logger: logger).decode(String.self) {
                text = sentences
            }
            return text
        }
        return try text.map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    // MARK: CheckpointStore

    /// The model's checkpoint; nil when the model is gone.
    public func checkpoint(_ id: ModelID) async throws -> Checkpoint? {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var checkpoint: Checkpoint?
            for try await row in try await connection.query(
                "\(unescaped: PostgresRows.selectCheckpoint) WHERE model_id = \(id)", logger: logger) {
                checkpoint = try PostgresRows.checkpoint(row)
            }
            return checkpoint
        }
    }

    /// Keeps `best` as the model's best weights; nothing when the model is gone.
    public func saveBest(_ id: ModelID, _ best: BestWeights) async throws {
        let logger = self.logger
        try await transaction { connection in
            // INSERT … SELECT inserts nothing when the model is gone.
            try await connection.run("""
                INSERT INTO best_weights (model_id, weights, step, validation_loss)
                SELECT id, \(best.weights), \(best.step), \(best.validationLoss) FROM models WHERE id = \(id)
                ON CONFLICT (model_id) DO UPDATE SET weights = EXCLUDED.weights, step = EXCLUDED.step,
                    validation_loss = EXCLUDED.validation_loss
                """, logger: logger)
        }
    }

    /// The weights with the best validation loss so far, if any were saved.
    public func bestWeights(_ id: ModelID) async throws -> BestWeights? {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var best: BestWeights?
            let rows = try await connection.query(
                "SELECT weights, step, validation_loss FROM best_weights WHERE model_id = \(id)", logger: logger)
            for try await (weights, step, loss) in rows.decode((Data, Int, Double).self) {
                best = BestWeights(weights: weights, step: step, validationLoss: loss)
            }
            return best
        }
    }

    // MARK: TrainingHistoryStore

    /// Writes the figures (a nil greedy text keeps the stored one; NaN figures
    /// are stored as NULL), the metric points, the samples and the checkpoint
    /// in one transaction.
    public func flush(_ id: ModelID, figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry],
                      checkpoint: Checkpoint?) async throws {
        let logger = self.logger
        try await transaction { connection in
            _ = try await Self.writeFlush(connection, id: id, generation: nil, figures: figures, metrics: metrics,
                                          samples: samples, checkpoint: checkpoint, logger: logger)
        }
    }

    /// The statements of a flush, on a connection in a transaction. With a
    /// `generation`, the model row is updated only when its lease still has
    /// it; then nothing else is written and the result is false. The model
    /// row goes first, so its lock orders this flush against a claim.
    static func writeFlush(_ connection: PostgresConnection, id: ModelID, generation: Int64?, figures: ProgressFigures,
                           metrics: [MetricPoint], samples: [SampleEntry], checkpoint: Checkpoint?,
                           logger: Logger) async throws -> Bool {
        var updated = false
        for try await _ in try await connection.query("""
            UPDATE models SET ticks = \(figures.ticks), epoch = \(figures.epoch),
                latest_perplexity = \(figures.latestPerplexity.finiteOrNil),
                median_perplexity = \(figures.medianPerplexity.finiteOrNil),
                ticks_per_sec = \(figures.ticksPerSecond.withoutNaN),
                chars_per_sec = \(figures.charactersPerSecond.withoutNaN),
                last_tick_at = \(figures.lastTickAt.withoutNaN), clipped_ratio = \(figures.clippedRatio.withoutNaN),
                greedy_text = COALESCE(\(figures.greedyText), greedy_text),
                validation_loss = \(figures.validationLoss.finiteOrNil),
                best_validation_loss = \(figures.bestValidationLoss.finiteOrNil), best_step = \(figures.bestStep),
                updated_at = \(StoreClock.now)
            WHERE id = \(id) AND (\(generation)::BIGINT IS NULL OR lease_generation = \(generation))
            RETURNING id
            """, logger: logger) {
            updated = true
        }
        guard updated || generation == nil else { return false }
        // A flush that committed while the server went away is sent again
        // (the client never heard the commit): a step already stored is kept
        // once, so the history has no doubled points.
        for point in metrics {
            try await connection.run("""
                INSERT INTO metrics (model_id, step, median_perplexity, mean_loss, learning_rate, ticks_per_sec, time,
                    validation_loss)
                SELECT \(id), \(point.step), \(point.medianPerplexity), \(point.meanLoss), \(point.learningRate),
                    \(point.ticksPerSecond), \(point.time), \(point.validationLoss.finiteOrNil)
                WHERE NOT EXISTS (SELECT 1 FROM metrics WHERE model_id = \(id) AND step = \(point.step))
                """, logger: logger)
        }
        for sample in samples {
            try await connection.run("""
                INSERT INTO samples (model_id, step, kind, temperature, text, time)
                VALUES (\(id), \(sample.step), \(sample.kind.rawValue), \(sample.temperature.withoutNaN),
                    \(sample.text), \(sample.time))
                """, logger: logger)
        }
        if let checkpoint { try await PostgresRows.saveCheckpoint(connection, id: id, checkpoint, logger: logger) }
        return true
    }

    /// Up to `limit` points with `step > afterStep`, by step.
    public func metrics(_ id: ModelID, afterStep: Int, limit: Int) async throws -> [MetricPoint] {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var points: [MetricPoint] = []
            for try await row in try await connection.query("""
                \(unescaped: PostgresRows.selectMetrics) WHERE model_id = \(id) AND step > \(afterStep)
                ORDER BY step, id LIMIT \(limit)
                """, logger: logger) {
                points.append(try PostgresRows.metric(row))
            }
            return points
        }
    }

    /// Up to `limit` samples with `id > after`, oldest first.
    public func samples(_ id: ModelID, after: Int64, limit: Int) async throws -> [SampleEntry] {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var entries: [SampleEntry] = []
            for try await row in try await connection.query("""
                \(unescaped: PostgresRows.selectSamples) WHERE model_id = \(id) AND id > \(after) ORDER BY id LIMIT \(limit)
                """, logger: logger) {
                entries.append(try PostgresRows.sample(row))
            }
            return entries
        }
    }

    /// The id of the model's newest sample; 0 when it has none.
    public func lastSampleID(_ id: ModelID) async throws -> Int64 {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var last: Int64 = 0
            for try await value in try await connection.query(
                "SELECT COALESCE(MAX(id), 0)::BIGINT FROM samples WHERE model_id = \(id)", logger: logger).decode(Int64.self) {
                last = value
            }
            return last
        }
    }

    /// Rows model `id` has in `models`, `corpora`, `checkpoints`,
    /// `best_weights`, `metrics` and `samples`.
    public func rowCounts(_ id: ModelID) async throws -> [String: Int] {
        let logger = self.logger
        return try await transaction { connection in
            var counts: [String: Int] = [:]
            let rows = try await connection.query("""
                SELECT (SELECT COUNT(*) FROM models WHERE id = \(id)),
                    (SELECT COUNT(*) FROM corpora WHERE model_id = \(id)),
                    (SELECT COUNT(*) FROM checkpoints WHERE model_id = \(id)),
                    (SELECT COUNT(*) FROM best_weights WHERE model_id = \(id)),
                    (SELECT COUNT(*) FROM metrics WHERE model_id = \(id)),
                    (SELECT COUNT(*) FROM samples WHERE model_id = \(id))
                """, logger: logger)
            for try await (models, corpora, checkpoints, best, metrics, samples)
                in rows.decode((Int, Int, Int, Int, Int, Int).self) {
                counts = ["models": models, "corpora": corpora, "checkpoints": checkpoints, "best_weights": best,
                          "metrics": metrics, "samples": samples]
            }
            return counts
        }
    }

    // MARK: JobQueueStore

    /// Sets the status and failure message; `queued` also records when it joined the queue.
    public func setStatus(_ id: ModelID, _ status: ModelStatus, error: String?) async throws {
        let logger = self.logger
        try await transaction { connection in
            let now = StoreClock.now
            let queuedAt: Double? = status == .queued ? now : nil
            try await connection.run("""
                UPDATE models SET status = \(status.rawValue), error = \(error), updated_at = \(now),
                    queued_at = COALESCE(\(queuedAt), queued_at)
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// Running models first, then queued ones in the order they joined the
    /// queue (ids break ties).
    public func interruptedModels() async throws -> [ModelID] {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var ids: [ModelID] = []
            for try await id in try await connection.query("""
                SELECT id FROM models WHERE status IN ('running', 'queued')
                ORDER BY status = 'running' DESC, queued_at NULLS FIRST, id
                """, logger: logger).decode(Int64.self) {
                ids.append(id)
            }
            return ids
        }
    }

    /// Counters back to the checkpoint's; metrics and samples recorded after
    /// its tick removed. Nothing when the model has no checkpoint.
    public func rewindToCheckpoint(_ id: ModelID) async throws {
        let logger = self.logger
        try await transaction { connection in try await Self.rewind(connection, id: id, logger: logger) }
    }

    /// The statements of ``rewindToCheckpoint(_:)`` on a connection in a transaction.
    static func rewind(_ connection: PostgresConnection, id: ModelID, logger: Logger) async throws {
        var saved: (ticks: Int, epoch: Double)?
        for try await (ticks, epoch) in try await connection.query(
            "SELECT ticks, epoch FROM checkpoints WHERE model_id = \(id) FOR SHARE", logger: logger)
            .decode((Int, Double).self) {
            saved = (ticks, epoch)
        }
        guard let saved else { return }
        try await connection.run("DELETE FROM metrics WHERE model_id = \(id) AND step > \(saved.ticks)", logger: logger)
        try await connection.run("DELETE FROM samples WHERE model_id = \(id) AND step > \(saved.ticks)", logger: logger)
        try await connection.run("""
            UPDATE models SET ticks = \(saved.ticks), epoch = \(saved.epoch), updated_at = \(StoreClock.now)
            WHERE id = \(id)
            """, logger: logger)
    }
}
