import Dispatch

/// Runs CPU-heavy work (sampling, evaluation, weight initialisation, export)
/// on a Dispatch queue, off the Swift concurrency pool whose few threads must
/// stay free to answer requests.
enum Background {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
