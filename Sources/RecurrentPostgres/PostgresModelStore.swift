import Foundation
import Logging
import PostgresNIO
import RecurrentStore
import Synchronization

/// The clustered store: one PostgreSQL database that several service nodes
/// may share, through a PostgresNIO connection pool. Every model's rows hang
/// off `models` with `ON DELETE CASCADE`, so deleting a model removes
/// everything it owns. Every method is one transaction (an explicit one when
/// it runs more than one statement). All I/O is asynchronous on PostgresNIO's
/// event loops; nothing blocks a thread.
///
/// A server that is down, refuses or drops connections, or has too many,
/// makes calls fail with ``StoreError/unavailable(reason:detail:)`` (after at
/// most ``connectionTimeout`` when no connection can be had); the pool keeps
/// reconnecting, so the same store works again once the server is back.
public final class PostgresModelStore: ModelStore {
    let client: PostgresClient
    let logger: Logger
    /// Decoded configs and vocabularies of the models this store has read.
    let columns = DecodedColumns()
    /// The pool's latest failure to connect, for the errors of calls that got no connection.
    let failures: ConnectionFailures
    private let runner: Task<Void, Never>
    /// The tasks listening for cluster signals, ended by ``close()``.
    let listeners = Mutex<[Task<Void, Never>]>([])
    /// Where the database is (without the password in its description).
    public let location: PostgresLocation
    /// How long a call waits for a connection before it fails as unavailable.
    public let connectionTimeout: Duration
    /// Always false: a read-only server shows as unavailable writes instead.
    public var isReadOnly: Bool { false }

    /// Connects to the database at `url`
    /// (`postgres://USER[:PASSWORD]@HOST:PORT/DATABASE`, see
    /// ``PostgresLocation``) and migrates it. Fails with
    /// ``StoreError/cannotOpen(_:)`` when the URL is invalid or the database
    /// cannot be reached or migrated.
    public convenience init(url: String, connectionTimeout: Duration = .seconds(10),
                            logger: Logger = PostgresModelStore.silentLogger) async throws {
        try await self.init(location: PostgresLocation(url: url), connectionTimeout: connectionTimeout, logger: logger)
    }

    /// Connects to the database at `location` and migrates it.
    public init(location: PostgresLocation, connectionTimeout: Duration = .seconds(10),
                logger: Logger = PostgresModelStore.silentLogger) async throws {
        self.location = location
        self.connectionTimeout = connectionTimeout
        self.logger = logger
        let failures = ConnectionFailures()
        self.failures = failures
        let client = PostgresClient(configuration: location.clientConfiguration(connectTimeout: connectionTimeout),
                                    backgroundLogger: failures.logger(forwardingTo: logger))
        self.client = client
        runner = Task { await client.run() }
        do {
            _ = try await migrate()
        } catch {
            await shutDown()
            throw StoreError.cannotOpen("cannot open the database \(location.displayName): \(error)")
        }
    }

    /// A logger that drops everything (the default).
    public static let silentLogger = Logger(label: "recurrent.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Brings the schema up to date (``init(location:connectionTimeout:logger:)``
    /// already did); returns the names of the migrations it applied, none
    /// when the database was current.
    @discardableResult
    public func migrate() async throws -> [String] {
        let logger = self.logger
        return try await transaction { connection in try await PostgresMigrations.migrate(connection, logger: logger) }
    }

    /// Shuts the connection pool down: open connections close, later calls
    /// fail as unavailable. Every write was committed when its call returned.
    public func close() async throws {
        await shutDown()
    }

    private func shutDown() async {
        for listener in listeners.withLock({ $0 }) { listener.cancel() }
        runner.cancel()
        await runner.value
    }

    // MARK: Access

    /// `body` with a pooled connection; fails as unavailable when none can be
    /// had within ``connectionTimeout`` (the pool itself would queue requests
    /// for a minute while the server is down). Errors become store errors.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = self.client
        return try await withDeadline { leased in
            try await client.withConnection { connection in
                leased()
                return try await body(connection)
            }
        }
    }

    /// `body` in a transaction on a pooled connection: committed when it
    /// returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// Runs `operation`, which calls `leased` once it has a connection, and
    /// fails it when that did not happen within ``connectionTimeout``. Once
    /// leased, `operation` runs to its end however long it takes.
    private func withDeadline<T: Sendable>(
        _ operation: @escaping @Sendable (_ leased: @escaping @Sendable () -> Void) async throws -> T
    ) async throws -> T {
        let timeout = connectionTimeout, failures = self.failures
        let flag = LeaseFlag()
        do {
            return try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
                group.addTask { .value(try await operation { flag.mark() }) }
                group.addTask {
                    // A server known to be down (the pool failed to connect
                    // moments ago) fails a call after a second rather than
                    // the whole timeout: API requests answer 503 promptly.
                    let start = ContinuousClock.now
                    while !flag.isMarked {
                        let waited = ContinuousClock.now - start
                        if waited >= timeout || (waited >= Self.knownDownWait && failures.recent(within: .seconds(3)) != nil) {
                            throw PostgresFault.NoConnection(timeout: waited,
                                                             lastFailure: failures.recent(within: timeout + .seconds(5)))
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return .deadlinePassed
                }
                while let outcome = try await group.next() {
                    if case .value(let value) = outcome {
                        group.cancelAll()
                        return value
                    }
                }
                throw CancellationError()
            }
        } catch {
            throw PostgresFault.storeError(error)
        }
    }

    /// How long a call waits for a connection while the pool's latest
    /// attempt to connect failed.
    static let knownDownWait: Duration = .seconds(1)

    private enum Outcome<T: Sendable>: Sendable {
        case value(T)
        case deadlinePassed
    }

    /// Whether an operation got its connection.
    private final class LeaseFlag: Sendable {
        private let state = Mutex(false)
        var isMarked: Bool { state.withLock { $0 } }
        func mark() { state.withLock { $0 = true } }
    }
}
