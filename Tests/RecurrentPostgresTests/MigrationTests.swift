import Foundation
@testable import RecurrentPostgres
import RecurrentStore
import RecurrentTestSupport
import Testing

extension PostgresStoreTests {
    @Suite struct Migrations {
        static func appliedNames(_ store: PostgresModelStore) async throws -> [String] {
            let logger = store.logger
            return try await store.withConnection { connection in
                var names: [String] = []
                for try await name in try await connection.query("SELECT name FROM schema_migrations ORDER BY name",
                                                                 logger: logger).decode(String.self) {
                    names.append(name)
                }
                return names
            }
        }

        @Test func migratingAgainChangesNothing() async throws {
            let server = try #require(PostgresServer.shared)
            let url = try await server.createDatabase()
            let first = try await PostgresModelStore(url: url)
            let id = try await first.insert(StoreFixtures.newModel(), status: .idle, checkpoint: StoreFixtures.checkpoint()).id
            #expect(try await first.migrate().isEmpty)
            #expect(try await first.migrate().isEmpty)
            try await first.close()
            let second = try await PostgresModelStore(url: url)
            #expect(try await second.migrate().isEmpty)
            #expect(try await Self.appliedNames(second) == PostgresMigrations.all.map(\.name).sorted())
            #expect(try await second.model(id) != nil)
            try await second.close()
        }

        @Test func storesMigratingOneEmptyDatabaseTogetherBothSucceed() async throws {
            let server = try #require(PostgresServer.shared)
            let url = try await server.createDatabase()
            async let first = PostgresModelStore(url: url)
            async let second = PostgresModelStore(url: url)
            async let third = PostgresModelStore(url: url)
            let stores = try await [first, second, third]
            #expect(try await Self.appliedNames(stores[0]) == PostgresMigrations.all.map(\.name).sorted())
            let ids = try await withThrowingTaskGroup(of: ModelID.self) { group in
                for store in stores {
                    group.addTask {
                        try await store.insert(StoreFixtures.newModel(), status: .idle,
                                               checkpoint: StoreFixtures.checkpoint()).id
                    }
                }
                return try await group.reduce(into: Set<ModelID>()) { $0.insert($1) }
            }
            #expect(ids.count == 3)
            #expect(try await stores[1].totalModels() == 3)
            for store in stores { try await store.close() }
        }

        @Test func theSchemaHasTheLeaseColumns() async throws {
            try await StoreFixtures.withStore { store in
                let logger = store.logger
                let columns = try await store.withConnection { connection in
                    var columns: [String: String] = [:]
                    for try await (name, type, nullable) in try await connection.query("""
                        SELECT column_name, data_type, is_nullable FROM information_schema.columns
                        WHERE table_name = 'models' AND (column_name LIKE 'lease_%' OR column_name = 'requested')
                        """, logger: logger).decode((String, String, String).self) {
                        columns[name] = "\(type) \(nullable)"
                    }
                    return columns
                }
                #expect(columns == ["lease_owner": "text YES", "lease_expires_at": "timestamp with time zone YES",
                                    "lease_generation": "bigint NO", "lease_claimed_at": "timestamp with time zone YES",
                                    "requested": "text YES"])
            }
        }
    }
}
