import Foundation
import RecurrentPostgres
import RecurrentStore
import RecurrentTestSupport
import Testing

/// Models, checkpoints and stores the tests share.
enum StoreFixtures {
    static func newModel(name: String = "", sentences: [String]? = ["hello", "world"]) -> NewModel {
        NewModel(name: name, config: .demo, vocabulary: ["d", "e", "h", "l", "o", "r", "w"], sentences: sentences,
                 parameterCount: 1234, settings: MutableSettings(learningRate: 0.02, sampleTemperature: 0.7, maxTicks: 500))
    }

    static func checkpoint(bytes: Int = 64, ticks: Int = 0, seed: UInt8 = 1) -> Checkpoint {
        Checkpoint(weights: data(bytes, seed: seed), randomState: [1, 2, UInt64.max, 4], ticks: ticks,
                   epoch: Double(ticks) / 10, firstLoss: 3.25, time: 1_700_000_000.5)
    }

    /// `count` bytes of a cheap pattern that never repeats within a page.
    static func data(_ count: Int, seed: UInt8) -> Data {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: count)
        for index in bytes.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return Data(bytes)
    }

    /// A store on a new empty database of the suite's server, closed after `body`.
    static func withStore<T>(_ body: (PostgresModelStore) async throws -> T) async throws -> T {
        let server = try #require(PostgresServer.shared, "the suite runs a server")
        let store = try await PostgresModelStore(url: try await server.createDatabase())
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}
