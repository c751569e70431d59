import Synchronization

/// Hands an upload's pieces from the request's task to the task that writes
/// them inside a database transaction, one at a time: the sender waits until
/// the writer has taken the previous piece, so at most one piece is in
/// flight and memory stays bounded however slow the database is.
final class PieceHandoff: Sendable {
    private struct State {
        var piece: [UInt8]?
        var finished = false
        var failure: (any Error)?
        /// The writer, waiting for a piece or the end.
        var taker: CheckedContinuation<[UInt8]?, any Error>?
        /// The sender, waiting for the slot to empty.
        var giver: CheckedContinuation<Void, any Error>?
    }

    private let state = Mutex(State())

    /// Gives `piece` once the slot is free; fails when the writer gave up.
    func send(_ piece: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let action = state.withLock { state -> (() -> Void) in
                if let failure = state.failure { return { continuation.resume(throwing: failure) } }
                if let taker = state.taker {
                    state.taker = nil
                    return { taker.resume(returning: piece); continuation.resume() }
                }
                state.piece = piece
                state.giver = continuation
                return {}
            }
            action()
        }
    }

    /// The end of the pieces (`failure` nil) or why they stopped.
    func finish(_ failure: (any Error)? = nil) {
        let action = state.withLock { state -> (() -> Void) in
            state.finished = true
            if let failure, state.failure == nil { state.failure = failure }
            guard let taker = state.taker else { return {} }
            state.taker = nil
            if let failure { return { taker.resume(throwing: failure) } }
            return { taker.resume(returning: nil) }
        }
        action()
    }

    /// The writer stops taking (its transaction failed): a waiting sender fails too.
    func abandon(_ failure: any Error) {
        let giver = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.failure == nil { state.failure = failure }
            defer { state.giver = nil }
            return state.giver
        }
        giver?.resume(throwing: failure)
    }

    /// The next piece; nil at the end; throws when the sender failed.
    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
            let action = state.withLock { state -> (() -> Void) in
                if let piece = state.piece {
                    state.piece = nil
                    let giver = state.giver
                    state.giver = nil
                    return { continuation.resume(returning: piece); giver?.resume() }
                }
                if let failure = state.failure { return { continuation.resume(throwing: failure) } }
                if state.finished { return { continuation.resume(returning: nil) } }
                state.taker = continuation
                return {}
            }
            action()
        }
    }
}
