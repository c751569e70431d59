import Foundation
import GRDB
import RecurrentStore

/// A row of the `models` table as a GRDB record: one property per column,
/// named as the column by its coding key.
struct ModelRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "models"
    /// The model's checkpoint (at most one: its primary key is `model_id`).
    static let checkpoint = hasOne(CheckpointRow.self, using: ForeignKey([CheckpointRow.Columns.modelID]))
    /// The model's link to an uploaded corpus (at most one).
    static let uploadedCorpus = hasOne(ModelCorpusLink.self, using: ForeignKey([Column("model_id")]))

    var id: ModelID?
    var name: String
    var status: String
    /// ``ModelConfig`` as JSON.
    var config: String
    /// The vocabulary's characters as a JSON array.
    var vocabulary: String
    var sentenceCount: Int
    var parameterCount: Int
    var ticks: Int
    var epoch: Double
    var learningRate: Double
    var sampleTemperature: Double
    var maxTicks: Int?
    var latestPerplexity: Double?
    var medianPerplexity: Double?
    var ticksPerSecond: Double?
    var charactersPerSecond: Double?
    var lastTickAt: Double?
    var clippedRatio: Double?
    var createdAt: Double
    var updatedAt: Double
    var queuedAt: Double?
    var error: String?
    var greedyText: String?
    var validationLoss: Double?
    var bestValidationLoss: Double?
    var bestStep: Int?

    enum CodingKeys: String, CodingKey {
        case id, name, status, config, vocabulary, ticks, epoch, error
        case sentenceCount = "sentence_count"
        case parameterCount = "parameter_count"
        case learningRate = "learning_rate"
        case sampleTemperature = "sample_temperature"
        case maxTicks = "max_ticks"
        case latestPerplexity = "latest_perplexity"
        case medianPerplexity = "median_perplexity"
        case ticksPerSecond = "ticks_per_sec"
        case charactersPerSecond = "chars_per_sec"
        case lastTickAt = "last_tick_at"
        case clippedRatio = "clipped_ratio"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case queuedAt = "queued_at"
        case greedyText = "greedy_text"
        case validationLoss = "validation_loss"
        case bestValidationLoss = "best_validation_loss"
        case bestStep = "best_step"
    }

    /// The columns the store filters on or updates on their own.
    enum Columns {
        static let id = Column(CodingKeys.id)
        static let name = Column(CodingKeys.name)
        static let status = Column(CodingKeys.status)
        static let ticks = Column(CodingKeys.ticks)
        static let epoch = Column(CodingKeys.epoch)
        static let learningRate = Column(CodingKeys.learningRate)
        static let sampleTemperature = Column(CodingKeys.sampleTemperature)
        static let maxTicks = Column(CodingKeys.maxTicks)
        static let latestPerplexity = Column(CodingKeys.latestPerplexity)
        static let medianPerplexity = Column(CodingKeys.medianPerplexity)
        static let ticksPerSecond = Column(CodingKeys.ticksPerSecond)
        static let charactersPerSecond = Column(CodingKeys.charactersPerSecond)
        static let lastTickAt = Column(CodingKeys.lastTickAt)
        static let clippedRatio = Column(CodingKeys.clippedRatio)
        static let updatedAt = Column(CodingKeys.updatedAt)
        static let queuedAt = Column(CodingKeys.queuedAt)
        static let error = Column(CodingKeys.error)
        static let greedyText = Column(CodingKeys.greedyText)
        static let validationLoss = Column(CodingKeys.validationLoss)
        static let bestValidationLoss = Column(CodingKeys.bestValidationLoss)
        static let bestStep = Column(CodingKeys.bestStep)
    }

    /// A new model's row, created now; `queued_at` is set when it starts queued.
    init(_ model: NewModel, status: ModelStatus, now: Double) throws {
        id = nil
        name = model.name
        self.status = status.rawValue
        config = model.config.json
        vocabulary = String(decoding: try JSONEncoder().encode(model.vocabulary), as: UTF8.self)
        sentenceCount = model.corpusEntries
        parameterCount = model.parameterCount
        ticks = model.ticks
        epoch = model.epoch
        learningRate = model.settings.learningRate
        sampleTemperature = model.settings.sampleTemperature
        maxTicks = model.settings.maxTicks
        createdAt = now
        updatedAt = now
        queuedAt = status == .queued ? now : nil
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The figures a job writes (``ProgressFigures``), as column assignments.
    /// A nil greedy text keeps the stored one; non-finite losses are stored as NULL.
    static func assignments(_ figures: ProgressFigures, now: Double) -> [ColumnAssignment] {
        var assignments = [
            Columns.ticks.set(to: figures.ticks),
            Columns.epoch.set(to: figures.epoch),
            Columns.latestPerplexity.set(to: figures.latestPerplexity.finiteOrNil),
            Columns.medianPerplexity.set(to: figures.medianPerplexity.finiteOrNil),
            Columns.ticksPerSecond.set(to: figures.ticksPerSecond),
            Columns.charactersPerSecond.set(to: figures.charactersPerSecond),
            Columns.lastTickAt.set(to: figures.lastTickAt),
            Columns.clippedRatio.set(to: figures.clippedRatio),
            Columns.validationLoss.set(to: figures.validationLoss.finiteOrNil),
            Columns.bestValidationLoss.set(to: figures.bestValidationLoss.finiteOrNil),
            Columns.bestStep.set(to: figures.bestStep),
            Columns.updatedAt.set(to: now),
        ]
        if let greedyText = figures.greedyText { assignments.append(Columns.greedyText.set(to: greedyText)) }
        return assignments
    }

    /// The public record, the JSON columns decoded through `columns`.
    func record(checkpointTicks: Int?, checkpointAt: Double?, columns: DecodedColumns, corpusID: CorpusID? = nil) throws -> ModelRecord {
        let figures = ProgressFigures(
            ticks: ticks, epoch: epoch, latestPerplexity: latestPerplexity, medianPerplexity: medianPerplexity,
            ticksPerSecond: ticksPerSecond, charactersPerSecond: charactersPerSecond, lastTickAt: lastTickAt,
            clippedRatio: clippedRatio, greedyText: greedyText, learningRate: learningRate,
            validationLoss: validationLoss, bestValidationLoss: bestValidationLoss, bestStep: bestStep)
        return ModelRecord(
            id: id ?? 0, name: name, status: ModelStatus(rawValue: status) ?? .failed,
            config: try columns.config(config), vocabulary: columns.vocabulary(vocabulary),
            sentenceCount: sentenceCount, parameterCount: parameterCount,
            settings: MutableSettings(learningRate: learningRate, sampleTemperature: sampleTemperature, maxTicks: maxTicks),
            figures: figures, createdAt: createdAt, updatedAt: updatedAt, error: error,
            checkpointTicks: checkpointTicks, checkpointAt: checkpointAt, corpusID: corpusID)
    }
}

/// A row of `model_corpora`: which uploaded corpus a model trains on.
struct ModelCorpusLink: TableRecord {
    static let databaseTableName = "model_corpora"
}

/// A model row with the tick and time of its checkpoint: what every read of
/// a ``ModelRecord`` fetches.
struct ModelListingRow: Decodable, FetchableRecord {
    /// Decoded from the row itself (GRDB decodes a key that is neither a
    /// column nor a scope from the base row).
    var model: ModelRow
    var checkpointTicks: Int?
    var checkpointAt: Double?
    var uploadedCorpusID: Int64?

    enum CodingKeys: String, CodingKey {
        case model
        case checkpointTicks = "checkpoint_ticks"
        case checkpointAt = "checkpoint_at"
        case uploadedCorpusID = "uploaded_corpus_id"
    }

    /// Every model with its checkpoint's columns, for the query interface
    /// (listing, with filters, order and limit added by the caller).
    static func all() -> QueryInterfaceRequest<ModelListingRow> {
        ModelRow
            .annotated(withOptional: ModelRow.checkpoint.select(
                CheckpointRow.Columns.ticks.forKey(CodingKeys.checkpointTicks.rawValue),
                CheckpointRow.Columns.createdAt.forKey(CodingKeys.checkpointAt.rawValue)))
            .annotated(withOptional: ModelRow.uploadedCorpus.select(
                Column("corpus_id").forKey(CodingKeys.uploadedCorpusID.rawValue)))
            .asRequest(of: ModelListingRow.self)
    }

    /// The same selection for one model by id, as a request whose statement
    /// is cached: status reads are hot, and preparing (and authorizing) the
    /// statement again on every read showed in profiles.
    static func one(_ id: ModelID) -> SQLRequest<ModelListingRow> {
        SQLRequest(sql: selectOne, arguments: [id], cached: true)
    }

    private static let selectOne = """
        SELECT models.*, checkpoints.ticks AS checkpoint_ticks, checkpoints.created_at AS checkpoint_at,
            model_corpora.corpus_id AS uploaded_corpus_id
        FROM models LEFT JOIN checkpoints ON checkpoints.model_id = models.id
            LEFT JOIN model_corpora ON model_corpora.model_id = models.id
        WHERE models.id = ?
        """

    func record(columns: DecodedColumns) throws -> ModelRecord {
        try model.record(checkpointTicks: checkpointTicks, checkpointAt: checkpointAt, columns: columns, corpusID: uploadedCorpusID)
    }
}

extension Optional where Wrapped == Double {
    /// SQLite stores NaN as NULL anyway; infinities are kept out the same way.
    var finiteOrNil: Double? { self.flatMap { $0.isFinite ? $0 : nil } }
}
