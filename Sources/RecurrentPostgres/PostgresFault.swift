import NIOCore
import PostgresNIO
import RecurrentStore

/// Failures of the server or of the way to it (down, refusing or closing
/// connections, too many connections, shutting down, disk full, read-only)
/// become ``StoreError/unavailable(reason:detail:)``, so callers act on them
/// without knowing PostgreSQL; any other error (a constraint a request broke,
/// a bug in a statement) passes through, unwrapped from PostgresNIO's
/// transaction error.
enum PostgresFault {
    /// No connection could be leased within the store's connection timeout:
    /// the pool keeps failing to connect (server down or refusing).
    struct NoConnection: Error, CustomStringConvertible {
        var timeout: Duration
        /// Why the pool's latest attempt to connect failed, if it did lately.
        var lastFailure: String?
        var description: String {
            "no connection to the server within \(timeout)" + (lastFailure.map { ": \($0.prefix(500))" } ?? "")
        }

        var reason: String {
            switch lastFailure.flatMap(ConnectionFailures.sqlState) {
            case "53300"?: "the database server has too many connections"
            case "57P03"?: "the database server is not accepting connections yet"
            case let state? where state.hasPrefix("28"): "the database server refused the credentials"
            case "3D000"?: "the database does not exist"
            case _ where lastFailure?.contains("authMechanismRequiresPassword") == true:
                "the database server asks for a password: put it in the URL or in PGPASSWORD"
            default: "the database server cannot be reached"
            }
        }
    }

    /// A call took longer than the store's operation timeout and was abandoned.
    struct CallTimedOut: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "no answer from the database server within \(limit)" }
    }

    static func storeError(_ error: any Error) -> any Error {
        let error = unwrapped(error)
        if error is StoreError { return error }
        guard let reason = reason(error) else { return error }
        return StoreError.unavailable(reason: reason, detail: detail(error))
    }

    /// The error that made a transaction fail, rather than PostgresNIO's wrapper.
    static func unwrapped(_ error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.beginError ?? transaction.closureError ?? transaction.commitError
            ?? transaction.rollbackError ?? error
    }

    private static func reason(_ error: any Error) -> String? {
        if let noConnection = error as? NoConnection { return noConnection.reason }
        if error is CallTimedOut { return "the database server did not answer in time" }
        // The pool's own errors (shut down, circuit breaker open, request
        // cancelled) all mean no connection was had; its module is internal.
        if String(describing: type(of: error)) == "ConnectionPoolError" {
            return "the database server cannot be reached"
        }
        if error is IOError || error is ChannelError {
            return "the connection to the database server failed"
        }
        guard let psql = error as? PSQLError else { return nil }
        switch psql.code {
        case .server:
            return psql.serverInfo?[.sqlState].flatMap(reason(sqlState:))
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            return "the connection to the database server failed"
        case .clientClosedConnection, .poolClosed:
            return "the database connection is closed"
        case .sslUnsupported, .failedToAddSSLHandler:
            return "the database server cannot be reached securely"
        default:
            return nil
        }
    }

    /// SQLSTATE classes and codes that are the server's trouble, not the request's.
    private static func reason(sqlState: String) -> String? {
        switch sqlState {
        case "53300": "the database server has too many connections"
        case "53100": "the disk holding the database is full"
        case "25006": "the database is read-only"
        case "57P01", "57P02": "the database server is shutting down"
        case "57P03": "the database server is not accepting connections yet"
        case "58030": "the database server reported an I/O error"
        case _ where sqlState.hasPrefix("08"): "the connection to the database server failed"
        case _ where sqlState.hasPrefix("53"): "the database server ran out of resources"
        default: nil
        }
    }

    private static func detail(_ error: any Error) -> String? {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying { return String(describing: underlying) }
            return psql.code.description
        }
        return String(describing: error)
    }
}
