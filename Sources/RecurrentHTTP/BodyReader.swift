import Dispatch
import Foundation
import Hummingbird
import NIOCore
import RecurrentJobs
import Synchronization

/// Reads and parses JSON request bodies. A large body is parsed on a
/// Dispatch queue, off the few threads of the concurrency pool that answer
/// every request, and at most `capacity` bytes of large bodies are parsed
/// at once: `JSONSerialization` builds an object for every value, so a
/// 16 MiB body of `{},` took about 1 GB and 5 s of CPU, and three of them
/// stalled even /api/health for 6 s.
final class BodyReader: Sendable {
    /// Bodies smaller than this are parsed where they arrive.
    static let inlineBytes = 64 * 1024

    let limit: Int
    let capacity: Int
    private let budget = Mutex(Budget())

    private struct Budget {
        var inUse = 0
        var waiting: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    /// `limit`: the largest body (413 past it); `capacity`: bytes of large
    /// bodies parsed at once (at least one body of `limit` bytes).
    init(limit: Int, capacity: Int? = nil) {
        self.limit = limit
        self.capacity = max(capacity ?? limit, Self.inlineBytes)
    }

    /// The body as a JSON object (an empty body is an empty object).
    func read(_ request: Request) async throws -> JSONObject {
        try await parse(try await JSONObject.collect(request, limit: limit))
    }

    func parse(_ bytes: ByteBuffer) async throws -> JSONObject {
        guard bytes.readableBytes >= Self.inlineBytes else { return try JSONObject(bytes: bytes) }
        let weight = min(bytes.readableBytes, capacity)
        await acquire(weight)
        defer { release(weight) }
        return try await Background.run { ParsedBody(object: try JSONObject(bytes: bytes)) }.object
    }

    private func acquire(_ bytes: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = budget.withLock { budget -> Bool in
                guard budget.waiting.isEmpty, budget.inUse + bytes <= capacity else {
                    budget.waiting.append((bytes, continuation))
                    return false
                }
                budget.inUse += bytes
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ bytes: Int) {
        let ready = budget.withLock { budget -> [CheckedContinuation<Void, Never>] in
            budget.inUse -= bytes
            var ready: [CheckedContinuation<Void, Never>] = []
            // First come, first served: a large body is not passed over by smaller ones.
            while let next = budget.waiting.first, budget.inUse + next.bytes <= capacity {
                budget.inUse += next.bytes
                budget.waiting.removeFirst()
                ready.append(next.continuation)
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}

/// A parsed body handed back from the parsing thread. Unchecked: the
/// Foundation objects inside are never changed after parsing.
private struct ParsedBody: @unchecked Sendable {
    let object: JSONObject
}
