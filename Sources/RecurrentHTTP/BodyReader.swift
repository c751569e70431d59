import Dispatch
import Foundation
import Hummingbird
import NIOCore
import RecurrentJobs
import Synchronization

/// Reads request bodies and decodes them. A large body is decoded on a
/// Dispatch queue, off the few threads of the concurrency pool that answer
/// every request, and at most `capacity` bytes of large bodies are decoded
/// at once: parsing a 16 MiB body of `{},` once took about 1 GB and 5 s of
/// CPU, and three of them stalled even /api/health for 6 s.
final class BodyReader: Sendable {
    /// Bodies smaller than this are decoded where they arrive.
    static var inlineBytes: Int { ServiceLimits.inlineParseBytes }

    let limit: Int
    let capacity: Int
    private let budget = Mutex(Budget())

    private struct Budget {
        var inUse = 0
        var waiting: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    /// `limit`: the largest body (413 past it); `capacity`: bytes of large
    /// bodies decoded at once (at least one body of `limit` bytes).
    init(limit: Int, capacity: Int? = nil) {
        self.limit = limit
        self.capacity = max(capacity ?? limit, Self.inlineBytes)
    }

    /// The body as a `Body` (an empty body reads as an empty object).
    func read<Body: Decodable & Sendable>(_ type: Body.Type, from request: Request) async throws -> Body {
        try await process(try await collect(request)) { bytes throws in try RequestDecoder.decode(Body.self, from: bytes) }
    }

    /// The body's bytes, or 413 past the limit.
    func collect(_ request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit)
        }
    }

    /// `work` on `bytes`: where it is for a small body, else on a Dispatch
    /// queue within the budget of large bodies.
    func process<Result: Sendable>(_ bytes: ByteBuffer, _ work: @escaping @Sendable (ByteBuffer) throws -> Result) async throws -> Result {
        guard bytes.readableBytes >= Self.inlineBytes else { return try work(bytes) }
        let weight = min(bytes.readableBytes, capacity)
        await acquire(weight)
        defer { release(weight) }
        return try await Background.run { try work(bytes) }
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
