import Foundation
@testable import RecurrentPostgres
import RecurrentStore
import RecurrentTestSupport
import Testing

/// A server of its own, stopped and started again under a live store.
@Suite struct OutageTests {
    @Test func aStoppedServerMakesCallsUnavailableAndTheSameStoreRecoversAfterARestart() async throws {
        let server = try await PostgresServer.start()
        do {
            let store = try await PostgresModelStore(url: try await server.createDatabase(),
                                                     connectionTimeout: .seconds(3))
            let id = try await store.insert(StoreFixtures.newModel(), status: .idle,
                                            checkpoint: StoreFixtures.checkpoint()).id
            try await server.stop(mode: "fast")

            // Both the connection the pool kept and new ones fail.
            for _ in 0..<2 {
                let error = await #expect(throws: StoreError.self) { _ = try await store.model(id) }
                guard case .unavailable(let reason, _)? = error else {
                    Issue.record("expected unavailable, got \(String(describing: error))")
                    continue
                }
                print("PostgresModelStore with the server stopped: \(error!)")
                #expect(!reason.isEmpty)
            }
            let write = await #expect(throws: StoreError.self) { try await store.requireWritable() }
            #expect(write.flatMap { StoreError.unavailableReason($0) } != nil)

            try await server.start()
            let clock = ContinuousClock()
            let restarted = clock.now
            var record: ModelRecord?
            while record == nil, clock.now - restarted < .seconds(60) {
                do {
                    record = try await store.model(id)
                } catch let error as StoreError {
                    guard case .unavailable = error else { throw error }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            print("PostgresModelStore worked again \(clock.now - restarted) after the restart")
            #expect(record?.id == id)
            try await store.requireWritable()
            try await store.close()
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }

    @Test func noServerAtTheURLCannotOpen() async throws {
        let url = "postgres://postgres@127.0.0.1:\(try PostgresServer.freePort())/postgres?sslmode=disable"
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: StoreError.self) {
            _ = try await PostgresModelStore(url: url, connectionTimeout: .seconds(2))
        }
        guard case .cannotOpen(let message)? = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(message.contains("cannot be reached"), "\(message)")
        #expect(clock.now - start < .seconds(30))
    }
}

extension PostgresStoreTests {
    @Suite struct ConnectionRefusals {
        @Test func aRoleOverItsConnectionLimitSaysTooManyConnections() async throws {
            let server = try #require(PostgresServer.shared)
            let url = try await server.createDatabase()
            let admin = try await PostgresModelStore(url: url)
            let logger = admin.logger
            try await admin.withConnection { connection in
                try await connection.run("CREATE ROLE limited LOGIN CONNECTION LIMIT 0", logger: logger)
            }
            try await admin.close()
            let limited = url.replacingOccurrences(of: "postgres://postgres@", with: "postgres://limited@")
            let error = await #expect(throws: StoreError.self) {
                _ = try await PostgresModelStore(url: limited, connectionTimeout: .seconds(2))
            }
            #expect(String(describing: error).contains("too many connections"), "\(String(describing: error))")
        }
    }
}
