import Foundation
import Synchronization
import Testing
@testable import Recurrent
#if canImport(Glibc)
import Glibc
#endif

@Suite struct WorkerThreadsTests {
    /// Every index runs once per call, index 0 on the caller and the others
    /// on threads of the pool's own (started once, reused), and the call
    /// returns only when all have finished.
    @Test func everyShareRunsOnceOnItsOwnThread() {
        let threads = WorkerThreads()
        let caller = Thread.current
        for count in [1, 3, 2, 4, 4] {
            let seen = Mutex<[Int: Int]>([:])
            let onCaller = Mutex<[Int]>([])
            threads.run(count) { index in
                if index > 0 { Thread.sleep(forTimeInterval: 0.01) }
                seen.withLock { $0[index, default: 0] += 1 }
                if Thread.current == caller { onCaller.withLock { $0.append(index) } }
            }
            #expect(seen.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0..<count).map { ($0, 1) }))
            #expect(onCaller.withLock { $0 } == [0])
        }
        #expect(threads.helperCount == 3)
    }

    #if os(Linux)
    /// Helpers started by a thread that lowered its priority run at that
    /// priority (the dispatch pool's threads did not: half a job's training
    /// ran at the priority of the threads answering requests).
    @Test func helpersInheritTheCallersPriority() {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        // Raising one's niceness is always allowed (lowering it is not).
        let lowered = min(19, getpriority(which, 0) + 3)
        let niceness = Mutex<[Int: Int32]>([:])
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = setpriority(which, 0, lowered)
            let threads = WorkerThreads()
            threads.run(3) { index in
                let value = getpriority(which, 0)
                niceness.withLock { $0[index] = value }
            }
            finished.signal()
        }
        thread.start()
        finished.wait()
        #expect(lowered > getpriority(which, 0))
        #expect(niceness.withLock { $0 } == [0: lowered, 1: lowered, 2: lowered])
    }
    #endif
}
