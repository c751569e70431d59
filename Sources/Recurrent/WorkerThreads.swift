import Foundation

/// Threads of a trainer's own for the parts of a tick that run in parallel.
///
/// A tick's shares used to run through `DispatchQueue.concurrentPerform`,
/// which borrows threads from the process's shared dispatch pool. On Linux
/// that pool is also where Swift's tasks run, one thread per core: a
/// service whose jobs train on every core then had no thread left for its
/// requests until the tick ended. These threads are the trainer's alone, and
/// they are started from the thread that first runs work on them, so they
/// inherit its scheduling priority (a training thread that lowered its own
/// priority gets helpers that yield as it does).
final class WorkerThreads {
    /// What the helper threads share with the caller. Access to ``job`` and
    /// ``stopping`` is ordered by the semaphores: the caller writes before
    /// signalling `start` and reads nothing back until every `done`.
    private final class Shared: @unchecked Sendable {
        var job: ((Int) -> Void)?
        var stopping = false
        let done = DispatchSemaphore(value: 0)
    }

    private let shared = Shared()
    /// One start signal per helper; helper `i` runs index `i + 1`.
    private var starts: [DispatchSemaphore] = []

    /// A pool with no helper threads yet; they start as ``run(_:_:)`` needs them.
    init() {}

    /// Helper threads started so far (the caller is not counted).
    var helperCount: Int { starts.count }

    /// Runs `body(0)` on the calling thread and `body(1)` … `body(count − 1)`
    /// on helper threads, and returns when all have returned.
    func run(_ count: Int, _ body: (Int) -> Void) {
        precondition(count >= 1, "at least one share")
        guard count > 1 else { return body(0) }
        while starts.count < count - 1 { startHelper(index: starts.count + 1) }
        withoutActuallyEscaping(body) { body in
            shared.job = body
            for index in 0..<(count - 1) { starts[index].signal() }
            body(0)
            for _ in 0..<(count - 1) { shared.done.wait() }
            shared.job = nil
        }
    }

    private func startHelper(index: Int) {
        let start = DispatchSemaphore(value: 0)
        starts.append(start)
        let shared = shared
        let thread = Thread {
            while true {
                start.wait()
                if shared.stopping { return }
                shared.job?(index)
                shared.done.signal()
            }
        }
        thread.name = "recurrent-worker-\(index)"
        // Deep enough for the graph code, as the dispatch pool's threads were.
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        shared.stopping = true
        for start in starts { start.signal() }
    }
}
