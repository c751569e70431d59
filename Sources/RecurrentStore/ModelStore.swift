import Foundation

/// Models and their settings: the `models` table of a store.
public protocol ModelCatalog: Sendable {
    /// Inserts a model with its corpus and first checkpoint in one
    /// transaction. An empty name becomes "model <id>".
    func insert(_ model: NewModel, status: ModelStatus, checkpoint: Checkpoint) async throws -> ModelRecord
    func model(_ id: ModelID) async throws -> ModelRecord?
    /// Newest first; `before` is the id cursor (models with smaller ids).
    func models(limit: Int, before: ModelID?, status: ModelStatus?) async throws -> [ModelRecord]
    /// A new name (when given) and the settings that may change while training.
    func update(_ id: ModelID, name: String?, settings: MutableSettings) async throws
    /// Removes the model and everything it owns.
    func delete(_ id: ModelID) async throws
    /// How many models have each status.
    func statusCounts() async throws -> [ModelStatus: Int]
    func totalModels() async throws -> Int
    /// Fails with ``StoreError/unavailable(reason:detail:)`` when nothing can
    /// be written, before a caller starts a change it could not record (such
    /// as stopping a job). It makes a real write.
    func requireWritable() async throws
    /// Whether the storage was opened read-only (reads work, writes fail).
    var isReadOnly: Bool { get }
}

/// The training corpus of each model.
public protocol CorpusStore: Sendable {
    /// The sentences (or a text, as one entry); nil when the model has none.
    func corpus(_ id: ModelID) async throws -> [String]?
}

/// Checkpoints and the best weights of each model.
public protocol CheckpointStore: Sendable {
    func checkpoint(_ id: ModelID) async throws -> Checkpoint?
    /// Keeps the weights with the best validation loss so far; nothing when
    /// the model is gone.
    func saveBest(_ id: ModelID, _ best: BestWeights) async throws
    func bestWeights(_ id: ModelID) async throws -> BestWeights?
}

/// The loss history and recorded samples, and the job's periodic write.
public protocol TrainingHistoryStore: Sendable {
    /// Writes what a job gathered since its last flush in one transaction:
    /// its figures, new metric points and samples, and optionally a checkpoint.
    func flush(_ id: ModelID, figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry],
               checkpoint: Checkpoint?) async throws
    /// Points with `step > afterStep`, by step.
    func metrics(_ id: ModelID, afterStep: Int, limit: Int) async throws -> [MetricPoint]
    /// Samples with `id > after`, oldest first.
    func samples(_ id: ModelID, after: Int64, limit: Int) async throws -> [SampleEntry]
    /// The id of the model's newest sample; 0 when it has none (where a
    /// reader of new samples starts).
    func lastSampleID(_ id: ModelID) async throws -> Int64
    /// Rows a model owns in each table (tests check a delete removed them all).
    func rowCounts(_ id: ModelID) async throws -> [String: Int]
}

/// The training queue: which models wait, train or stopped.
public protocol JobQueueStore: Sendable {
    /// Sets a model's status (and its failure message); `queued` also
    /// records the time it joined the queue.
    func setStatus(_ id: ModelID, _ status: ModelStatus, error: String?) async throws
    /// Models that were training or waiting when the service stopped, in the
    /// order they should get slots again (running ones first, then first in,
    /// first out).
    func interruptedModels() async throws -> [ModelID]
    /// Makes a model's history agree with its checkpoint: counters back to
    /// the checkpoint's, metrics and samples recorded after it removed.
    func rewindToCheckpoint(_ id: ModelID) async throws
}

/// Everything the service keeps: one database behind these protocols. The
/// SQLite store is the embedded default; every method is one transaction.
public protocol ModelStore: ModelCatalog, CorpusStore, UploadedCorpusStore, CheckpointStore, TrainingHistoryStore, JobQueueStore {
    /// Writes everything out and closes the database (after a clean stop the
    /// database file alone is complete).
    func close() async throws
}

extension JobQueueStore {
    public func setStatus(_ id: ModelID, _ status: ModelStatus) async throws {
        try await setStatus(id, status, error: nil)
    }
}

/// The store's clock: seconds since 1970.
public enum StoreClock {
    public static var now: Double { Date().timeIntervalSince1970 }
}
