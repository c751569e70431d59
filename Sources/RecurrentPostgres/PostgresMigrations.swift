import Logging
import PostgresNIO

/// The schema, one named migration per change, applied in order. A database
/// of any earlier version is brought up to date when a store opens it.
///
/// The whole run is one transaction holding a transaction-level advisory
/// lock, so nodes starting together take turns: the first applies what is
/// missing, the others then find nothing left to do. `schema_migrations`
/// records each applied name.
enum PostgresMigrations {
    struct Migration: Sendable {
        var name: String
        /// One statement each: the extended protocol runs one at a time.
        var statements: [PostgresQuery]
    }

    /// The advisory lock key of migrations ("Recurrnt" in ASCII).
    static let lockKey: Int64 = 0x5265_6375_7272_6E74

    static let all: [Migration] = [
        Migration(name: "v1: models, corpora, checkpoints, best weights, metrics, samples", statements: [
            """
            CREATE TABLE models (
                id BIGSERIAL PRIMARY KEY,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                config TEXT NOT NULL,
                vocabulary TEXT NOT NULL,
                sentence_count BIGINT NOT NULL DEFAULT 0,
                parameter_count BIGINT NOT NULL,
                ticks BIGINT NOT NULL DEFAULT 0,
                epoch DOUBLE PRECISION NOT NULL DEFAULT 0,
                learning_rate DOUBLE PRECISION NOT NULL,
                sample_temperature DOUBLE PRECISION NOT NULL,
                max_ticks BIGINT,
                latest_perplexity DOUBLE PRECISION,
                median_perplexity DOUBLE PRECISION,
                ticks_per_sec DOUBLE PRECISION,
                chars_per_sec DOUBLE PRECISION,
                last_tick_at DOUBLE PRECISION,
                clipped_ratio DOUBLE PRECISION,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                queued_at DOUBLE PRECISION,
                error TEXT,
                greedy_text TEXT,
                validation_loss DOUBLE PRECISION,
                best_validation_loss DOUBLE PRECISION,
                best_step BIGINT
            )
            """,
            "CREATE INDEX models_status ON models (status)",
            """
            CREATE TABLE corpora (
                model_id BIGINT PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
                sentences TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE checkpoints (
                model_id BIGINT PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
                weights BYTEA NOT NULL,
                random_state TEXT,
                ticks BIGINT NOT NULL,
                epoch DOUBLE PRECISION NOT NULL,
                first_loss DOUBLE PRECISION,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            // Weights are floats that barely compress: storing them out of
            // line uncompressed saves the attempt on every checkpoint.
            "ALTER TABLE checkpoints ALTER COLUMN weights SET STORAGE EXTERNAL",
            """
            CREATE TABLE best_weights (
                model_id BIGINT PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
                weights BYTEA NOT NULL,
                step BIGINT NOT NULL,
                validation_loss DOUBLE PRECISION NOT NULL
            )
            """,
            "ALTER TABLE best_weights ALTER COLUMN weights SET STORAGE EXTERNAL",
            """
            CREATE TABLE metrics (
                id BIGSERIAL PRIMARY KEY,
                model_id BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
                step BIGINT NOT NULL,
                median_perplexity DOUBLE PRECISION NOT NULL,
                mean_loss DOUBLE PRECISION NOT NULL,
                learning_rate DOUBLE PRECISION NOT NULL,
                ticks_per_sec DOUBLE PRECISION NOT NULL,
                time DOUBLE PRECISION NOT NULL,
                validation_loss DOUBLE PRECISION
            )
            """,
            "CREATE INDEX metrics_model_step ON metrics (model_id, step)",
            """
            CREATE TABLE samples (
                id BIGSERIAL PRIMARY KEY,
                model_id BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
                step BIGINT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('sample', 'greedy')),
                temperature DOUBLE PRECISION,
                text TEXT NOT NULL,
                time DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX samples_model_id ON samples (model_id, id)",
            // One row that `requireWritable` rewrites: a real write that
            // touches no model.
            """
            CREATE TABLE store_probe (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                written_at DOUBLE PRECISION NOT NULL
            )
            """,
        ]),
        // Job leases for several nodes sharing one database: which node runs
        // a model's job, until when (by the server's clock), and a counter
        // that fences out writes of a lease that was taken over.
        Migration(name: "v2: job lease columns", statements: [
            "ALTER TABLE models ADD COLUMN lease_owner TEXT",
            "ALTER TABLE models ADD COLUMN lease_expires_at TIMESTAMPTZ",
            "ALTER TABLE models ADD COLUMN lease_generation BIGINT NOT NULL DEFAULT 0",
        ]),
        // When the holder claimed the job (shown by the API), what an API
        // node asked of a job trained elsewhere (pause or cancel), and the
        // index workers claim by: the queue in arrival order.
        Migration(name: "v3: lease claim time, job requests, queue index", statements: [
            "ALTER TABLE models ADD COLUMN lease_claimed_at TIMESTAMPTZ",
            "ALTER TABLE models ADD COLUMN requested TEXT CHECK (requested IN ('pause', 'cancel'))",
            "CREATE INDEX models_queue ON models (queued_at, id) WHERE status IN ('queued', 'running')",
        ]),
        // Corpora uploaded on their own, in chunks every worker can read, and
        // the link of the models that train on one (which keeps it from
        // being deleted).
        Migration(name: "v4: uploaded corpora", statements: [
            """
            CREATE TABLE uploaded_corpora (
                id BIGSERIAL PRIMARY KEY,
                byte_count BIGINT NOT NULL,
                character_count BIGINT NOT NULL,
                vocabulary TEXT NOT NULL,
                checksum TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE corpus_chunks (
                corpus_id BIGINT NOT NULL REFERENCES uploaded_corpora (id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                bytes BYTEA NOT NULL,
                PRIMARY KEY (corpus_id, seq)
            )
            """,
            // Text compresses, but a chunk is read whole anyway: out of line, uncompressed, no attempt per write.
            "ALTER TABLE corpus_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL",
            """
            CREATE TABLE model_corpora (
                model_id BIGINT PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
                corpus_id BIGINT NOT NULL REFERENCES uploaded_corpora (id)
            )
            """,
            "CREATE INDEX model_corpora_corpus ON model_corpora (corpus_id)",
        ]),
        // Every change to what a model's record is read from notifies its id,
        // whoever makes it (a node, an older node, psql), at commit: what
        // keeps the nodes' ModelRecordCache current. Two functions, since the
        // id is `id` in models and `model_id` in the others.
        Migration(name: "v5: notify model changes", statements: [
            """
            CREATE FUNCTION recurrent_model_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('recurrent_models', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
                RETURN NULL;
            END $$
            """,
            """
            CREATE FUNCTION recurrent_model_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('recurrent_models', (CASE WHEN TG_OP = 'DELETE' THEN OLD.model_id ELSE NEW.model_id END)::text);
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER models_changed AFTER INSERT OR UPDATE OR DELETE ON models
                FOR EACH ROW EXECUTE FUNCTION recurrent_model_changed()
            """,
            """
            CREATE TRIGGER checkpoints_changed AFTER INSERT OR UPDATE OR DELETE ON checkpoints
                FOR EACH ROW EXECUTE FUNCTION recurrent_model_part_changed()
            """,
            """
            CREATE TRIGGER model_corpora_changed AFTER INSERT OR UPDATE OR DELETE ON model_corpora
                FOR EACH ROW EXECUTE FUNCTION recurrent_model_part_changed()
            """,
        ]),
    ]

    /// Applies the migrations `connection`'s database lacks under the
    /// advisory lock; returns their names. `connection` is in a transaction,
    /// which releases the lock when it ends.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        try await connection.run("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name TEXT PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var applied = Set<String>()
        for try await name in try await connection.query("SELECT name FROM schema_migrations", logger: logger)
            .decode(String.self) {
            applied.insert(name)
        }
        var names: [String] = []
        for migration in all where !applied.contains(migration.name) {
            for statement in migration.statements { try await connection.run(statement, logger: logger) }
            try await connection.run("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: logger)
            names.append(migration.name)
        }
        return names
    }
}

extension PostgresConnection {
    /// Runs a statement and reads (and drops) whatever rows it returns.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}
