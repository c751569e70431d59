import Foundation
import PostgresNIO
import RecurrentStore

/// Where a PostgreSQL store lives, parsed from a connection URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`
/// (`postgresql://` is accepted too). Without a password in the URL the
/// `PGPASSWORD` environment variable is used, if set.
public struct PostgresLocation: Sendable, Equatable {
    /// How the connection uses TLS.
    public enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain TCP otherwise (the default).
        case prefer
        /// TLS or no connection.
        case require
    }

    /// The server's host name or IP address.
    public var host: String
    /// The server's TCP port (5432 unless the URL says otherwise).
    public var port: Int
    /// The role the store connects as.
    public var username: String
    /// From the URL, else `PGPASSWORD`, else none (trust authentication).
    public var password: String?
    /// The database holding the store's tables (created beforehand).
    public var database: String
    /// Whether the connection uses TLS (`sslmode` in the URL).
    public var tls: TLSMode

    /// A location from its parts.
    public init(host: String, port: Int = 5432, username: String, password: String?, database: String,
                tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses `url`; fails with ``StoreError/cannotOpen(_:)`` saying what is
    /// wrong with it. `environment` supplies `PGPASSWORD`.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func invalid(_ problem: String) -> StoreError {
            // The password never appears in a message.
            .cannotOpen("invalid PostgreSQL URL \(Self.redacted(url)): \(problem)")
        }
        guard let components = URLComponents(string: url) else {
            throw invalid("expected postgres://USER[:PASSWORD]@HOST:PORT/DATABASE")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("the scheme must be postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("the host is missing") }
        guard let user = components.user, !user.isEmpty else { throw invalid("the user name is missing") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("the port must be between 1 and 65535") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw invalid("the database name is missing (…@HOST:PORT/DATABASE)")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw invalid("unknown parameter \(item.name)") }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw invalid("sslmode must be disable, prefer or require")
            }
            tls = mode
        }
        let password = components.password ?? environment["PGPASSWORD"]
        self.init(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// `url` with its password replaced by `***`, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    /// A description without the password.
    public var displayName: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The PostgresNIO client configuration for this location.
    func clientConfiguration(connectTimeout: Duration) -> PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                         database: database, tls: mode)
        configuration.options.connectTimeout = connectTimeout
        // No transaction of the store waits for its client between
        // statements; a session that does (its process stopped, or cut off)
        // would hold its rows' locks, and a job it holds could never be
        // claimed by another worker. The server ends such a session.
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", "5000")]
        return configuration
    }
}
