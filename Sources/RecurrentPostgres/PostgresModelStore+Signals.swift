import Foundation
import Logging
import PostgresNIO
import RecurrentStore

/// Cluster signals over LISTEN/NOTIFY on one channel. The listener holds one
/// pooled connection and reconnects when it drops (a server restart); after
/// each (re)connection it reports ``ClusterSignal/queue`` once, since
/// whatever was sent meanwhile is lost.
extension PostgresModelStore {
    /// The notification channel of the cluster.
    static let signalChannel = "recurrent_cluster"

    public func signal(_ signal: ClusterSignal) async {
        let logger = self.logger
        let payload = signal.payload
        do {
            try await withConnection(readOnly: true) { connection in
                try await connection.run("SELECT pg_notify(\(Self.signalChannel), \(payload))", logger: logger)
            }
        } catch {
            // Best effort: the other nodes poll as well.
            logger.debug("could not send the cluster signal \(payload): \(error)")
        }
    }

    public func signals() -> AsyncStream<ClusterSignal> {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterSignal.self, bufferingPolicy: .bufferingNewest(256))
        let task = listen(on: Self.signalChannel, what: "cluster signals",
                          connected: { continuation.yield(.queue) },
                          notified: { payload in if let signal = ClusterSignal(payload: payload) { continuation.yield(signal) } },
                          dropped: {}, ended: { continuation.finish() })
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Listens on `channel` on one pooled connection until ``close()``,
    /// connecting again a second after it drops (a server restart):
    /// `connected` once LISTEN is in effect (each time), `notified` with
    /// each payload, `dropped` when the connection is lost, `ended` at the end.
    func listen(on channel: String, what: String, connected: @escaping @Sendable () -> Void,
                notified: @escaping @Sendable (String) -> Void, dropped: @escaping @Sendable () -> Void,
                ended: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        let client = self.client, logger = self.logger
        let task = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: channel) { notifications in
                            connected()
                            for try await notification in notifications { notified(notification.payload) }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.debug("\(what) interrupted: \(error)")
                }
                dropped()
                try? await Task.sleep(for: .seconds(1))
            }
            ended()
        }
        listeners.withLock { $0.append(task) }
        return task
    }
}

extension ClusterSignal {
    /// The NOTIFY payload: `queue` or `control:<id>`.
    var payload: String {
        switch self {
        case .queue: "queue"
        case .control(let id): "control:\(id)"
        }
    }

    init?(payload: String) {
        if payload == "queue" {
            self = .queue
        } else if payload.hasPrefix("control:"), let id = ModelID(payload.dropFirst("control:".count)) {
            self = .control(id)
        } else {
            return nil
        }
    }
}
