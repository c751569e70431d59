import Dispatch

/// Runs CPU-heavy or blocking work (sampling, evaluation, weight
/// initialisation, export) on a Dispatch queue, off the Swift concurrency
/// pool whose few threads must stay free to answer requests.
public enum Background {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// Runs async `work` from a thread that is not part of the concurrency
    /// pool (a training thread, a writer queue) and waits for its result.
    public static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = ResultSlot<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { outcome.set(.success(try await work())) } catch { outcome.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try outcome.get()
    }
}

/// The result handed from the task to the waiting thread (the semaphore
/// orders the write before the read).
private final class ResultSlot<T: Sendable>: @unchecked Sendable {
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { result = value }
    func get() throws -> T { try result!.get() }
}
