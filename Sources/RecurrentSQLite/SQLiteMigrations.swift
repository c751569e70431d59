import GRDB

/// The schema, one migration per change; a database of any earlier version
/// is brought up to date when it opens.
enum SQLiteMigrations {
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
        // Corpora uploaded on their own: their bytes are files next to the
        // database (see `CorpusFiles`); models that train on one link to it,
        // and the link keeps it from being deleted.
        migrator.registerMigration("v3: uploaded corpora") { db in
            try db.execute(sql: """
                CREATE TABLE uploaded_corpora (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    file_name TEXT NOT NULL UNIQUE,
                    byte_count INTEGER NOT NULL,
                    character_count INTEGER NOT NULL,
                    vocabulary TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE model_corpora (
                    model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
                    corpus_id INTEGER NOT NULL REFERENCES uploaded_corpora(id)
                );
                CREATE INDEX model_corpora_corpus ON model_corpora(corpus_id);
                """)
        }
        return migrator
    }

}
