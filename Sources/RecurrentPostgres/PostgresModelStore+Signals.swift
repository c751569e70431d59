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
        let client = self.client, logger = self.logger
        let task = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.signalChannel) { notifications in
                            continuation.yield(.queue)
                            for try await notification in notifications {
                                if let signal = ClusterSignal(payload: notification.payload) { continuation.yield(signal) }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.debug("cluster signals interrupted: \(error)")
                }
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        listeners.withLock { $0.append(task) }
        return stream
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
