import Logging
import Synchronization

/// The time limits of one store call: getting a connection, and the call as
/// a whole. The call runs in a task of its own and the caller waits for
/// whichever comes first, its result or a limit; a call past its limit is
/// cancelled and left behind rather than waited for, so a connection that
/// died without the client noticing (seen once in a while when the server
/// restarts) cannot hold a job's writes for ever.
struct CallDeadline: Sendable {
    /// How long the call may wait for a connection from the pool.
    var connectionTimeout: Duration
    /// How long the call may take in all.
    var operationTimeout: Duration
    /// Give up waiting for a connection after ``knownDownWait`` when the
    /// pool's latest attempt to connect failed (requests answer 503 promptly
    /// while the server is down); false at start, when it may be coming up.
    var failFastWhenDown: Bool
    let failures: ConnectionFailures
    let logger: Logger

    /// How long a call waits for a connection while the server is known to be down.
    static let knownDownWait: Duration = .seconds(1)

    /// Runs `operation`, which calls `leased` once it has a connection.
    func run<T: Sendable>(
        _ operation: @escaping @Sendable (_ leased: @escaping @Sendable () -> Void) async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.begin(continuation)
                race.start(work: Task {
                    do {
                        race.finish(.success(try await operation { race.markLeased() }))
                    } catch {
                        race.finish(.failure(error))
                    }
                }, watcher: Task { await watch(race) })
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// Ends the race with a timeout when a limit passes first. It sleeps
    /// until each limit (no polling) and is cancelled when the call ends.
    private func watch<T>(_ race: Race<T>) async {
        let start = ContinuousClock.now
        func sleep(until limit: Duration) async -> Bool {
            let left = limit - (ContinuousClock.now - start)
            if left > .zero { try? await Task.sleep(for: left) }
            return !Task.isCancelled && !race.isFinished
        }
        if failFastWhenDown, connectionTimeout > Self.knownDownWait {
            guard await sleep(until: Self.knownDownWait) else { return }
            if !race.isLeased, failures.recent(within: .seconds(3)) != nil { return timeOut(race, since: start) }
        }
        guard await sleep(until: connectionTimeout) else { return }
        if !race.isLeased { return timeOut(race, since: start) }
        guard await sleep(until: operationTimeout) else { return }
        logger.error("a database call took longer than \(operationTimeout) and was abandoned")
        race.finish(.failure(PostgresFault.CallTimedOut(limit: operationTimeout)))
    }

    private func timeOut<T>(_ race: Race<T>, since start: ContinuousClock.Instant) {
        let waited = ContinuousClock.now - start
        race.finish(.failure(PostgresFault.NoConnection(timeout: waited,
                                                        lastFailure: failures.recent(within: connectionTimeout + .seconds(5)))))
    }
}

/// One call's race between its result and its limits: the first to finish
/// resumes the caller; a call that lost is cancelled.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var work: Task<Void, Never>?
        var watcher: Task<Void, Never>?
        var leased = false
    }

    private let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.result != nil } }
    var isLeased: Bool { state.withLock { $0.leased } }

    func markLeased() { state.withLock { $0.leased = true } }

    func begin(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            guard let result = state.result else {
                state.continuation = continuation
                return nil
            }
            return result
        }
        if let early { continuation.resume(with: early) }
    }

    func start(work: Task<Void, Never>, watcher: Task<Void, Never>) {
        let result = state.withLock { state -> Result<T, any Error>? in
            state.work = work
            state.watcher = watcher
            return state.result
        }
        guard let result else { return }
        watcher.cancel()
        if case .failure = result { work.cancel() }
    }

    /// Records the first result and resumes the caller with it; later ones are dropped.
    func finish(_ result: Result<T, any Error>) {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?, Task<Void, Never>?)? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.continuation = nil }
            return (state.continuation, state.work, state.watcher)
        }
        guard let (continuation, work, watcher) = taken else { return }
        continuation?.resume(with: result)
        watcher?.cancel()
        if case .failure = result { work?.cancel() }
    }
}
