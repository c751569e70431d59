import Foundation
import RecurrentStore

extension JobScheduler {
    /// Checkpoints every running job and waits for their threads; status
    /// stays `running`/`queued` in the store so the next start resumes them.
    public func shutdown(timeout: Double = 60) async {
        beginShutdown()
        await waitForJobs(timeout: timeout)
    }

    /// Starts no more jobs, asks every running one to checkpoint and stop,
    /// and ends every event stream; returns at once.
    public func beginShutdown() {
        let (jobs, hubs, tasks) = markShuttingDown()
        for task in tasks { task.cancel() }
        for job in jobs { job.send(.shutdown) }
        for hub in hubs { hub.close() }
    }

    /// Waits (at most `timeout` seconds in all) for every job's thread to
    /// end and its end to be recorded (in a cluster, its lease released);
    /// returns whether they all did.
    @discardableResult
    public func waitForJobs(timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        let jobs = runningJobs
        for job in jobs { await job.waitUntilStopped(timeout: max(0, deadline.timeIntervalSinceNow)) }
        while !runningJobs.isEmpty && Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return jobs.allSatisfy { !$0.isAlive } && runningJobs.isEmpty
    }
}
