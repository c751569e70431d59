import Foundation
import Logging
import Synchronization

/// The pool's latest failure to connect, so a call that got no connection
/// can say why (refused, too many connections, authentication). The pool
/// hands requests no such error: it retries in the background and only logs
/// it, so this log handler sits in front of the store's own and keeps it.
final class ConnectionFailures: Sendable {
    private let latest = Mutex<(message: String, at: ContinuousClock.Instant)?>(nil)

    /// The SQLSTATE in a recorded failure ("53300" for too many connections).
    static func sqlState(_ failure: String) -> String? {
        guard let range = failure.range(of: "sqlState: ") else { return nil }
        return String(failure[range.upperBound...].prefix(5))
    }

    /// The latest failure if it happened within `window`.
    func recent(within window: Duration) -> String? {
        latest.withLock { entry in
            guard let entry, ContinuousClock.now - entry.at <= window else { return nil }
            return entry.message
        }
    }

    fileprivate func record(_ message: String) {
        latest.withLock { $0 = (message, ContinuousClock.now) }
    }

    /// A logger for the pool that records its connection failures and passes
    /// everything `logger` would log on to it.
    func logger(forwardingTo logger: Logger) -> Logger {
        let handler = Handler(failures: self, inner: logger)
        return Logger(label: logger.label, factory: { _ in handler })
    }

    private struct Handler: LogHandler {
        let failures: ConnectionFailures
        let inner: Logger
        var metadata: Logger.Metadata = [:]
        /// Low enough for the pool's "Connection creation failed" (info).
        var logLevel: Logger.Level {
            get { min(inner.logLevel, .info) }
            set {}
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            if event.message.description == "Connection creation failed", let error = event.metadata?["psql_error"] {
                failures.record("\(error)")
            }
            guard event.level >= inner.logLevel else { return }
            var forwarded = event
            forwarded.metadata = metadata.merging(event.metadata ?? [:]) { $1 }
            inner.handler.log(event: forwarded)
        }
    }
}
