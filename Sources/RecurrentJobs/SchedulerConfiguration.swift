/// How the scheduler runs jobs on this node.
public struct SchedulerConfiguration: Sendable {
    /// Jobs training at once; the others wait `queued`, first in first out.
    public var maxJobs: Int
    /// Seconds between checkpoints of a running job (jobs also checkpoint on
    /// pause, cancel, completion and shutdown).
    public var checkpointSeconds: Double
    /// Threads each text-corpus job trains with (data-parallel workers).
    public var jobThreads: Int

    public init(maxJobs: Int, checkpointSeconds: Double, jobThreads: Int) {
        self.maxJobs = maxJobs
        self.checkpointSeconds = checkpointSeconds
        self.jobThreads = jobThreads
    }
}
