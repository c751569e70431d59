import Foundation
import RecurrentPostgres
import RecurrentStore
import Testing

@Suite struct LocationTests {
    @Test func parsesUserPasswordHostPortAndDatabase() throws {
        let location = try PostgresLocation(url: "postgres://alice:s%40cret@db.example:6543/recurrent", environment: [:])
        #expect(location == PostgresLocation(host: "db.example", port: 6543, username: "alice", password: "s@cret",
                                             database: "recurrent", tls: .prefer))
        #expect(location.displayName == "postgres://alice@db.example:6543/recurrent")
    }

    @Test func acceptsPostgresqlSchemeDefaultPortAndSSLMode() throws {
        let location = try PostgresLocation(url: "postgresql://bob@localhost/models?sslmode=disable", environment: [:])
        #expect(location.port == 5432 && location.tls == .disable && location.password == nil)
    }

    @Test func fallsBackToPGPASSWORD() throws {
        let location = try PostgresLocation(url: "postgres://bob@localhost:5432/models", environment: ["PGPASSWORD": "pw"])
        #expect(location.password == "pw")
        let explicit = try PostgresLocation(url: "postgres://bob:url@localhost:5432/models",
                                            environment: ["PGPASSWORD": "pw"])
        #expect(explicit.password == "url")
    }

    @Test(arguments: [
        ("mysql://bob@localhost/models", "scheme"),
        ("postgres://localhost:5432/models", "user"),
        ("postgres://bob@:5432/models", "host"),
        ("postgres://bob@localhost:5432", "database"),
        ("postgres://bob@localhost:5432/", "database"),
        ("postgres://bob:secret@localhost:5432/models?sslmode=maybe", "sslmode"),
        ("postgres://bob@localhost:5432/models?timeout=3", "unknown parameter"),
        ("not a url at all", "postgres://"),
    ])
    func rejectsWhatIsWrongSayingWhat(url: String, problem: String) throws {
        let error = #expect(throws: StoreError.self) { try PostgresLocation(url: url, environment: [:]) }
        let message = error.map(String.init(describing:)) ?? ""
        #expect(message.contains(problem), "\(message)")
        #expect(!message.contains("secret"))
    }
}
