import Foundation
import GRDB

/// The service's SQLite database (WAL mode through a `DatabasePool`, so status
/// reads never wait for a job's writes). Every model's rows hang off `models`
/// with `ON DELETE CASCADE`, so deleting a model removes everything it owns.
final class ModelStore: Sendable {
    let pool: DatabasePool
    /// Decoded configs and vocabularies of the models this store has read.
    private let columns = DecodedColumns()

    /// Opens (creating when missing) the database at `path` and migrates it.
    init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // In WAL mode NORMAL never corrupts the database and survives a
        // process crash; it only skips the fsync of every commit, which would
        // otherwise cost each flush a disk round trip.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        (pool, isReadOnly) = try Self.open(path: path, configuration: configuration)
    }

    private static func open(path: String, configuration: Configuration) throws -> (DatabasePool, Bool) {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try migrator.migrate(pool)
            return (pool, false)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            // A file the service may not write still serves reads: every
            // write then answers 503 storage_unavailable.
            var readOnly = configuration
            readOnly.readonly = true
            let pool = try DatabasePool(path: path, configuration: readOnly)
            guard try pool.read({ db in try migrator.hasCompletedMigrations(db) }) else {
                throw StoreOpenError(message: "the database \(path) is read-only and older than this version: "
                                     + "make it writable once so it can be migrated")
            }
            return (pool, true)
        }
    }

    /// Whether the file was opened read-only (it could not be written).
    let isReadOnly: Bool

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: models, corpora, checkpoints, metrics, samples") { db in
            try db.execute(sql: """
                CREATE TABLE models (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    config TEXT NOT NULL,
                    vocabulary TEXT NOT NULL,
                    sentence_count INTEGER NOT NULL DEFAULT 0,
                    parameter_count INTEGER NOT NULL,
                    ticks INTEGER NOT NULL DEFAULT 0,
                    epoch REAL NOT NULL DEFAULT 0,
                    learning_rate REAL NOT NULL,
                    sample_temperature REAL NOT NULL,
                    max_ticks INTEGER,
                    latest_perplexity REAL,
                    median_perplexity REAL,
                    ticks_per_sec REAL,
                    chars_per_sec REAL,
                    last_tick_at REAL,
                    clipped_ratio REAL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    queued_at REAL,
                    error TEXT,
                    greedy_text TEXT
                );
                CREATE INDEX models_status ON models(status);
                CREATE TABLE corpora (
                    model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
                    sentences TEXT NOT NULL
                );
                CREATE TABLE checkpoints (
                    model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
                    weights BLOB NOT NULL,
                    random_state TEXT,
                    ticks INTEGER NOT NULL,
                    epoch REAL NOT NULL,
                    first_loss REAL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE metrics (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    median_perplexity REAL NOT NULL,
                    mean_loss REAL NOT NULL,
                    learning_rate REAL NOT NULL,
                    ticks_per_sec REAL NOT NULL,
                    time REAL NOT NULL
                );
                CREATE INDEX metrics_model_step ON metrics(model_id, step);
                CREATE TABLE samples (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('sample', 'greedy')),
                    temperature REAL,
                    text TEXT NOT NULL,
                    time REAL NOT NULL
                );
                CREATE INDEX samples_model_id ON samples(model_id, id);
                """)
        }
        migrator.registerMigration("v2: validation of text corpora, best weights") { db in
            try db.execute(sql: """
                ALTER TABLE models ADD COLUMN validation_loss REAL;
                ALTER TABLE models ADD COLUMN best_validation_loss REAL;
                ALTER TABLE models ADD COLUMN best_step INTEGER;
                ALTER TABLE metrics ADD COLUMN validation_loss REAL;
                CREATE TABLE best_weights (
                    model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
                    weights BLOB NOT NULL,
                    step INTEGER NOT NULL,
                    validation_loss REAL NOT NULL
                );
                """)
        }
        return migrator
    }

    /// Keeps the weights with the best validation loss so far (text corpora).
    func saveBest(_ id: Int64, weights: Data, step: Int, validationLoss: Double) throws {
        try pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM models WHERE id = ?", arguments: [id]) != nil else { return }
            try db.execute(sql: """
                INSERT OR REPLACE INTO best_weights (model_id, weights, step, validation_loss) VALUES (?, ?, ?, ?)
                """, arguments: [id, weights, step, validationLoss])
        }
    }

    /// The best weights by validation loss, with their tick, if any were kept.
    func bestWeights(_ id: Int64) throws -> (weights: Data, step: Int)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT weights, step FROM best_weights WHERE model_id = ?", arguments: [id])
                .map { ($0["weights"], $0["step"]) }
        }
    }

    /// Model rows with the tick and time of their checkpoint.
    static let selectModels = """
        SELECT models.*, checkpoints.ticks AS checkpoint_ticks, checkpoints.created_at AS checkpoint_at
        FROM models LEFT JOIN checkpoints ON checkpoints.model_id = models.id
        """

    static var now: Double { Date().timeIntervalSince1970 }

    // MARK: Models

    /// Fails with the database's own error (a storage fault: read-only, disk
    /// full, ...) when nothing can be written, before a request starts a
    /// change it could not record, such as stopping a job. It rewrites the
    /// header's user_version with its own value: a real one-page write.
    func requireWritable() throws {
        try pool.write { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            try db.execute(sql: "PRAGMA user_version = \(version)")
        }
    }

    /// Inserts a model with its corpus and first checkpoint in one transaction.
    /// An empty name becomes "model <id>".
    func insert(_ model: NewModel, status: ModelStatus, checkpoint: CheckpointRow) throws -> ModelRecord {
        let vocabulary = String(decoding: try JSONEncoder().encode(model.vocabulary), as: UTF8.self)
        let sentences = try model.sentences.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try pool.write { db in
            let now = Self.now
            try db.execute(sql: """
                INSERT INTO models (name, status, config, vocabulary, sentence_count, parameter_count, ticks, epoch,
                    learning_rate, sample_temperature, max_ticks, created_at, updated_at, queued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [model.name, status.rawValue, model.config.json, vocabulary, model.sentences?.count ?? 0,
                                 model.parameterCount, model.ticks, model.epoch, model.settings.learningRate,
                                 model.settings.sampleTemperature, model.settings.maxTicks, now, now,
                                 status == .queued ? now : nil])
            let id = db.lastInsertedRowID
            if model.name.isEmpty {
                try db.execute(sql: "UPDATE models SET name = ? WHERE id = ?", arguments: ["model \(id)", id])
            }
            if let sentences {
                try db.execute(sql: "INSERT INTO corpora (model_id, sentences) VALUES (?, ?)", arguments: [id, sentences])
            }
            try Self.saveCheckpoint(db, id: id, checkpoint)
            let row = try Row.fetchOne(db, sql: "\(Self.selectModels) WHERE models.id = ?", arguments: [id])!
            return try ModelRecord(row: row, columns: columns)
        }
    }

    func model(_ id: Int64) throws -> ModelRecord? {
        // A cached statement: preparing (and authorizing) it again on every
        // status read showed in profiles.
        try pool.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "\(Self.selectModels) WHERE models.id = ?"), arguments: [id])
                .map { try ModelRecord(row: $0, columns: columns) }
        }
    }

    /// Newest first; `before` is the id cursor (models with smaller ids).
    func models(limit: Int, before: Int64?, status: ModelStatus?) throws -> [ModelRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let before {
            conditions.append("models.id < ?")
            _ = arguments.append(contentsOf: [before])
        }
        if let status {
            conditions.append("models.status = ?")
            _ = arguments.append(contentsOf: [status.rawValue])
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        _ = arguments.append(contentsOf: [limit])
        return try pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.selectModels) \(filter) ORDER BY models.id DESC LIMIT ?", arguments: arguments)
                .map { try ModelRecord(row: $0, columns: columns) }
        }
    }

    func setStatus(_ id: Int64, _ status: ModelStatus, error: String? = nil) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE models SET status = ?, error = ?, updated_at = ?,
                    queued_at = CASE WHEN ? = 'queued' THEN ? ELSE queued_at END WHERE id = ?
                """, arguments: [status.rawValue, error, Self.now, status.rawValue, Self.now, id])
        }
    }

    func update(_ id: Int64, name: String?, settings: MutableSettings) throws {
        try pool.write { db in
            if let name { try db.execute(sql: "UPDATE models SET name = ? WHERE id = ?", arguments: [name, id]) }
            try db.execute(sql: """
                UPDATE models SET learning_rate = ?, sample_temperature = ?, max_ticks = ?, updated_at = ? WHERE id = ?
                """, arguments: [settings.learningRate, settings.sampleTemperature, settings.maxTicks, Self.now, id])
        }
    }

    func delete(_ id: Int64) throws {
        _ = try pool.write { db in try db.execute(sql: "DELETE FROM models WHERE id = ?", arguments: [id]) }
    }

    /// Models that were training or waiting when the service stopped, in the
    /// order they should get slots again (running ones first, then FIFO).
    func interruptedModels() throws -> [Int64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM models WHERE status IN ('running', 'queued')
                ORDER BY status = 'running' DESC, queued_at, id
                """)
        }
    }

    /// Makes a model's history agree with its checkpoint: counters back to
    /// the checkpoint's, metrics and samples recorded after it removed.
    func rewindToCheckpoint(_ id: Int64) throws {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT ticks, epoch FROM checkpoints WHERE model_id = ?", arguments: [id]) else { return }
            let ticks: Int = row["ticks"]
            let epoch: Double = row["epoch"]
            try db.execute(sql: "DELETE FROM metrics WHERE model_id = ? AND step > ?", arguments: [id, ticks])
            try db.execute(sql: "DELETE FROM samples WHERE model_id = ? AND step > ?", arguments: [id, ticks])
            try db.execute(sql: "UPDATE models SET ticks = ?, epoch = ?, updated_at = ? WHERE id = ?",
                           arguments: [ticks, epoch, Self.now, id])
        }
    }

    // MARK: Corpus and checkpoints

    func sentences(_ id: Int64) throws -> [String]? {
        let text = try pool.read { db in
            try String.fetchOne(db, sql: "SELECT sentences FROM corpora WHERE model_id = ?", arguments: [id])
        }
        return try text.map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    func checkpoint(_ id: Int64) throws -> CheckpointRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoints WHERE model_id = ?", arguments: [id]).map(CheckpointRow.init(row:))
        }
    }

    private static func saveCheckpoint(_ db: Database, id: Int64, _ checkpoint: CheckpointRow) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO checkpoints (model_id, weights, random_state, ticks, epoch, first_loss, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, checkpoint.weights, checkpoint.randomState?.map(String.init).joined(separator: ","),
                             checkpoint.ticks, checkpoint.epoch, checkpoint.firstLoss, checkpoint.time])
    }

    /// Writes what a job gathered since its last flush in one transaction:
    /// its figures, new metric points and samples, and optionally a checkpoint.
    func flush(_ id: Int64, figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry],
               checkpoint: CheckpointRow?) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE models SET ticks = ?, epoch = ?, latest_perplexity = ?, median_perplexity = ?, ticks_per_sec = ?,
                    chars_per_sec = ?, last_tick_at = ?, clipped_ratio = ?, greedy_text = COALESCE(?, greedy_text),
                    validation_loss = ?, best_validation_loss = ?, best_step = ?, updated_at = ? WHERE id = ?
                """, arguments: [figures.ticks, figures.epoch, figures.latestPerplexity.finiteOrNil,
                                 figures.medianPerplexity.finiteOrNil, figures.ticksPerSecond, figures.charactersPerSecond,
                                 figures.lastTickAt, figures.clippedRatio, figures.greedyText,
                                 figures.validationLoss.finiteOrNil, figures.bestValidationLoss.finiteOrNil,
                                 figures.bestStep, Self.now, id])
            for point in metrics {
                try db.execute(sql: """
                    INSERT INTO metrics (model_id, step, median_perplexity, mean_loss, learning_rate, ticks_per_sec, time,
                        validation_loss)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, point.step, point.medianPerplexity, point.meanLoss, point.learningRate,
                                     point.ticksPerSecond, point.time, point.validationLoss.finiteOrNil])
            }
            for sample in samples {
                try db.execute(sql: """
                    INSERT INTO samples (model_id, step, kind, temperature, text, time) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [id, sample.step, sample.kind, sample.temperature, sample.text, sample.time])
            }
            if let checkpoint { try Self.saveCheckpoint(db, id: id, checkpoint) }
        }
    }

    // MARK: History

    func metrics(_ id: Int64, afterStep: Int, limit: Int) throws -> [MetricPoint] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM metrics WHERE model_id = ? AND step > ? ORDER BY step, id LIMIT ?
                """, arguments: [id, afterStep, limit]).map { row in
                MetricPoint(step: row["step"], medianPerplexity: row["median_perplexity"], meanLoss: row["mean_loss"],
                            learningRate: row["learning_rate"], ticksPerSecond: row["ticks_per_sec"], time: row["time"],
                            validationLoss: row["validation_loss"])
            }
        }
    }

    func samples(_ id: Int64, after: Int64, limit: Int) throws -> [SampleEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM samples WHERE model_id = ? AND id > ? ORDER BY id LIMIT ?
                """, arguments: [id, after, limit]).map { row in
                SampleEntry(id: row["id"], step: row["step"], kind: row["kind"], temperature: row["temperature"],
                            text: row["text"], time: row["time"])
            }
        }
    }

    /// Rows a model owns in each table (tests check a delete removed them all).
    func rowCounts(_ id: Int64) throws -> [String: Int] {
        try pool.read { db in
            var counts: [String: Int] = [:]
            for (table, column) in [("models", "id"), ("corpora", "model_id"), ("checkpoints", "model_id"),
                                    ("metrics", "model_id"), ("samples", "model_id")] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(column) = ?", arguments: [id]) ?? 0
            }
            return counts
        }
    }

    /// How many models have each status.
    func statusCounts() throws -> [ModelStatus: Int] {
        try pool.read { db in
            var counts: [ModelStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS count FROM models GROUP BY status") {
                if let status = ModelStatus(rawValue: row["status"]) { counts[status] = row["count"] }
            }
            return counts
        }
    }

    func totalModels() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM models") ?? 0 }
    }
}

/// The database cannot be opened for this service.
struct StoreOpenError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension Optional where Wrapped == Double {
    var finiteOrNil: Double? { self.flatMap { $0.isFinite ? $0 : nil } }
}
