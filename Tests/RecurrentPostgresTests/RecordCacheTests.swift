import Foundation
@testable import RecurrentPostgres
import RecurrentStore
import RecurrentTestSupport
import Testing

extension PostgresStoreTests {
    /// Two stores on one database stand for two nodes of a cluster: what one
    /// changes, the other's cached record shows once the notification
    /// arrives; a node reads its own writes at once.
    @Suite struct RecordCache {
        /// Runs `body` with two stores on one new database, closed after it.
        static func withTwoNodes(_ body: (PostgresModelStore, PostgresModelStore) async throws -> Void) async throws {
            let server = try #require(PostgresServer.shared, "the suite runs a server")
            let url = try await server.createDatabase()
            let first = try await PostgresModelStore(url: url), second = try await PostgresModelStore(url: url)
            do {
                try await body(first, second)
            } catch {
                try? await first.close()
                try? await second.close()
                throw error
            }
            try await first.close()
            try await second.close()
        }

        /// Reads `id` until `store` keeps its record (its listener may still be connecting).
        static func readUntilCached(_ store: PostgresModelStore, _ id: ModelID) async throws -> ModelRecord {
            try await eventually("the record to be cached") {
                let record = try await store.model(id)
                return store.records.count == 1 ? record : nil
            }
        }

        /// Polls `read` every 10 ms until it gives a value, for at most 3 s:
        /// less than the cache's five-second age limit, so only a
        /// notification can have refreshed a cached record in time.
        static func eventually<T>(_ what: String, _ read: () async throws -> T?) async throws -> T {
            let clock = ContinuousClock(), start = clock.now
            while clock.now - start < .seconds(3) {
                if let value = try await read() { return value }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("timed out waiting for \(what)")
            throw CancellationError()
        }

        /// Renames `id` with the triggers off (`session_replication_role`),
        /// as if the notification were lost: only a fresh read sees it.
        static func renameUnnoticed(_ store: PostgresModelStore, _ id: ModelID, to name: String) async throws {
            let logger = store.logger
            try await store.withConnection { connection in
                try await connection.run("SET session_replication_role = replica", logger: logger)
                try await connection.run("UPDATE models SET name = \(name) WHERE id = \(id)", logger: logger)
                try await connection.run("SET session_replication_role = origin", logger: logger)
            }
        }

        @Test func anotherNodesChangesReachTheCacheThroughNotifications() async throws {
            try await Self.withTwoNodes { api, worker in
                let id = try await worker.insert(StoreFixtures.newModel(name: "first"), status: .idle,
                                                 checkpoint: StoreFixtures.checkpoint(ticks: 3)).id
                #expect(try await Self.readUntilCached(api, id).name == "first")

                // Served from memory: a change nobody notified is not seen.
                try await Self.renameUnnoticed(worker, id, to: "unnoticed")
                #expect(try await api.model(id)?.name == "first")
                #expect(try await worker.model(id)?.name == "unnoticed")

                // A notified change to models, to checkpoints, then the delete.
                try await worker.update(id, name: "renamed", settings: StoreFixtures.newModel().settings)
                _ = try await Self.eventually("the rename") { try await api.model(id).flatMap { $0.name == "renamed" ? $0 : nil } }
                let logger = worker.logger
                try await worker.withConnection { connection in
                    try await connection.run("UPDATE checkpoints SET ticks = 77 WHERE model_id = \(id)", logger: logger)
                }
                _ = try await Self.eventually("the checkpoint") {
                    try await api.model(id).flatMap { $0.checkpointTicks == 77 ? $0 : nil }
                }
                try await worker.delete(id)
                _ = try await Self.eventually("the delete") { try await api.model(id) == nil ? true : nil }
            }
        }

        @Test func aNodeReadsItsOwnWritesAtOnce() async throws {
            try await Self.withTwoNodes { api, _ in
                let id = try await api.insert(StoreFixtures.newModel(name: "first"), status: .idle,
                                              checkpoint: StoreFixtures.checkpoint()).id
                _ = try await Self.readUntilCached(api, id)
                try await api.update(id, name: "second", settings: StoreFixtures.newModel().settings)
                #expect(try await api.model(id)?.name == "second")
                #expect(try await api.transition(id, from: [.idle], to: .paused))
                #expect(try await api.model(id)?.status == .paused)
            }
        }

        @Test func aListenerCutOffDropsTheCacheAndListensAgain() async throws {
            try await Self.withTwoNodes { api, worker in
                let id = try await worker.insert(StoreFixtures.newModel(name: "first"), status: .idle,
                                                 checkpoint: StoreFixtures.checkpoint()).id
                _ = try await Self.readUntilCached(api, id)
                // The server ends every listening session (both nodes').
                let logger = worker.logger
                try await worker.withConnection { connection in
                    try await connection.run("""
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                        """, logger: logger)
                }
                _ = try await Self.eventually("the cache to stop") { api.records.isListening ? nil : true }
                #expect(api.records.count == 0)
                // A change made while nobody listens is read, not missed.
                try await Self.renameUnnoticed(worker, id, to: "meanwhile")
                #expect(try await api.model(id)?.name == "meanwhile")
                _ = try await Self.eventually("the listener to come back") { api.records.isListening ? true : nil }
                #expect(try await Self.readUntilCached(api, id).name == "meanwhile")
            }
        }

        @Test func aReadThatRacedAChangeIsNotKeptAndOldRecordsExpire() async throws {
            try await StoreFixtures.withStore { store in
                let record = try await store.insert(StoreFixtures.newModel(), status: .idle,
                                                    checkpoint: StoreFixtures.checkpoint())
                let cache = ModelRecordCache(maximumAge: .milliseconds(200))
                #expect(cache.beginRead() == nil, "nothing is kept before the listener listens")
                cache.setListening(true)
                // A change notified while the record was being read: the read is dropped.
                let raced = try #require(cache.beginRead())
                cache.invalidate(record.id + 1)
                cache.keep(record, raced)
                #expect(cache.record(record.id) == nil)
                // A quiet read is kept, served, then too old.
                cache.keep(record, try #require(cache.beginRead()))
                #expect(cache.record(record.id) == record)
                try await Task.sleep(for: .milliseconds(250))
                #expect(cache.record(record.id) == nil)
                cache.keep(record, try #require(cache.beginRead()))
                cache.invalidateAll()
                #expect(cache.record(record.id) == nil && cache.count == 0)
            }
        }
    }
}
