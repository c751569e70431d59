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
    /// The model records this node read, kept while the database says they
    /// are current (``ModelRecordCache``).
    let records = ModelRecordCache()
    /// The pool's latest failure to connect, for the errors of calls that got no connection.
    let failures: ConnectionFailures
    private let runner: Task<Void, Never>
    /// The tasks listening for cluster signals, ended by ``close()``.
    let listeners = Mutex<[Task<Void, Never>]>([])
    /// Where the database is (without the password in its description).
    public let location: PostgresLocation
    /// How long a call waits for a connection before it fails as unavailable.
    public let connectionTimeout: Duration
    /// How long a call may take in all before it is abandoned as unavailable
    /// (a connection that died without notice must not hold a caller for ever).
    public let operationTimeout: Duration
    /// Always false: a read-only server shows as unavailable writes instead.
    public var isReadOnly: Bool { false }

    /// Connects to the database at `url`
    /// (`postgres://USER[:PASSWORD]@HOST:PORT/DATABASE`, see
    /// ``PostgresLocation``) and migrates it. Fails with
    /// ``StoreError/cannotOpen(_:)`` when the URL is invalid or the database
    /// cannot be reached or migrated.
    public convenience init(url: String, connectionTimeout: Duration = .seconds(10),
                            operationTimeout: Duration = .seconds(30),
                            logger: Logger = PostgresModelStore.silentLogger) async throws {
        try await self.init(location: PostgresLocation(url: url), connectionTimeout: connectionTimeout,
                            operationTimeout: operationTimeout, logger: logger)
    }

    /// Connects to the database at `location` and migrates it.
    public init(location: PostgresLocation, connectionTimeout: Duration = .seconds(10),
                operationTimeout: Duration = .seconds(30),
                logger: Logger = PostgresModelStore.silentLogger) async throws {
        self.location = location
        self.connectionTimeout = connectionTimeout
        self.operationTimeout = operationTimeout
        self.logger = logger
        let failures = ConnectionFailures()
        self.failures = failures
        // The pool's own chatter (every failed reconnection) stays out of
        // the service's log; its failures are kept for the errors they cause.
        let client = PostgresClient(configuration: location.clientConfiguration(connectTimeout: connectionTimeout),
                                    backgroundLogger: failures.logger(forwardingTo: Self.silentLogger))
        self.client = client
        runner = Task { await client.run() }
        do {
            _ = try await migrate()
        } catch {
            await shutDown()
            throw StoreError.cannotOpen("cannot open the database \(location.displayName): \(error)")
        }
        startRecordListener()
    }

    /// A logger that drops everything (the default).
    public static let silentLogger = Logger(label: "recurrent.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Brings the schema up to date (``init(location:connectionTimeout:logger:)``
    /// already did); returns the names of the migrations it applied, none
    /// when the database was current.
    @discardableResult
    public func migrate() async throws -> [String] {
        let logger = self.logger
        // At start the server may still be coming up: wait the whole connection timeout.
        return try await transaction(waitForServer: true) { connection in
            try await PostgresMigrations.migrate(connection, logger: logger)
        }
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
    /// had within ``connectionTimeout`` (a second when the server is known to
    /// be down), or when the call takes longer than ``operationTimeout``.
    /// Errors become store errors. A call that is not `readOnly` may have
    /// changed models, so when it ends, however it ends, this node's cached
    /// records are dropped (``ModelRecordCache``).
    func withConnection<T: Sendable>(readOnly: Bool = false, waitForServer: Bool = false, operationTimeout: Duration? = nil,
                                      _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = self.client
        let deadline = CallDeadline(connectionTimeout: connectionTimeout, operationTimeout: operationTimeout ?? self.operationTimeout,
                                    failFastWhenDown: !waitForServer, failures: failures, logger: logger)
        defer { if !readOnly { records.invalidateAll() } }
        do {
            return try await deadline.run { leased in
                try await client.withConnection { connection in
                    leased()
                    return try await body(connection)
                }
            }
        } catch {
            throw PostgresFault.storeError(error)
        }
    }

    /// `body` in a transaction on a pooled connection: committed when it
    /// returns, rolled back when it throws.
    func transaction<T: Sendable>(waitForServer: Bool = false, operationTimeout: Duration? = nil,
                                  _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await withConnection(waitForServer: waitForServer, operationTimeout: operationTimeout) { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }
}
