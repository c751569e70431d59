import Foundation
import RecurrentStore

extension JobScheduler {
    /// Checkpoints every running job and waits for their threads; status
    /// stays `running`/`queued` in the store so the next start resumes them.
    public func shutdown(timeout: Double = 60) {
        beginShutdown()
        waitForJobs(timeout: timeout)
    }

    /// Starts no more jobs, asks every running one to checkpoint and stop,
    /// and ends every event stream; returns at once.
    public func beginShutdown() {
        let (jobs, hubs) = markShuttingDown()
        for job in jobs { job.send(.shutdown) }
        for hub in hubs { hub.close() }
    }

    /// Waits (at most `timeout` seconds in all) for every job's thread to
    /// end; returns whether they all did.
    @discardableResult
    public func waitForJobs(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        let jobs = runningJobs
        for job in jobs { job.waitUntilStoppedBlocking(timeout: max(0, deadline.timeIntervalSinceNow)) }
        return jobs.allSatisfy { !$0.isAlive }
    }
}
