import Testing

/// Runs a ``PostgresServer`` around a whole suite (see
/// ``PostgresServer/shared``); each test makes its own database on it.
///
/// Suites that run at the same time share one server: starting one (initdb)
/// costs seconds, far more on a busy machine when several start at once,
/// and a database per test already keeps the tests apart. The server is
/// destroyed, passed or failed, when the last suite using it ends. A test
/// that stops or restarts a server starts one of its own.
public struct SharedPostgresServer: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        let server = try await ServerUsers.all.acquire()
        do {
            try await PostgresServer.$shared.withValue(server) { try await function() }
        } catch {
            await ServerUsers.all.release()
            throw error
        }
        await ServerUsers.all.release()
    }
}

extension Trait where Self == SharedPostgresServer {
    /// A PostgreSQL server for the suite, in ``PostgresServer/shared``.
    public static var postgresServer: Self { SharedPostgresServer() }
}

/// Counts the suites using the shared server: the first starts it, the
/// last destroys it.
private actor ServerUsers {
    static let all = ServerUsers()

    private var server: Task<PostgresServer, any Error>?
    private var users = 0

    func acquire() async throws -> PostgresServer {
        users += 1
        let starting = server ?? Task { try await PostgresServer.start() }
        server = starting
        do {
            return try await starting.value
        } catch {
            // Every waiting suite fails with the same error; the last one
            // out lets the next suite try again.
            users -= 1
            if users == 0 { server = nil }
            throw error
        }
    }

    func release() async {
        users -= 1
        guard users == 0, let ending = server else { return }
        server = nil
        if let started = try? await ending.value { await started.destroy() }
    }
}
