import Foundation
import Synchronization

/// A Server-Sent Event: its name and JSON data.
struct ServerEvent: Sendable {
    var name: String
    var data: String

    /// The event in the `text/event-stream` wire format.
    var wire: String { "event: \(name)\ndata: \(data)\n\n" }
}

/// Fans a model's events (progress, samples, status changes) out to every
/// open event stream. Slow readers lose the oldest events rather than
/// holding back the training thread that publishes them.
final class EventHub: Sendable {
    private struct State {
        var next = 0
        var subscribers: [Int: AsyncStream<ServerEvent>.Continuation] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// A stream of the events published from now on; it ends when the hub closes.
    func subscribe() -> AsyncStream<ServerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ServerEvent.self, bufferingPolicy: .bufferingNewest(256))
        let id: Int? = state.withLock { state in
            guard !state.closed else { return nil }
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    func publish(_ name: String, _ object: Any) {
        let event = ServerEvent(name: name, data: JSON.string(object))
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// Ends every stream (the model was deleted or the service stops).
    func close() {
        let subscribers = state.withLock { state in
            state.closed = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
