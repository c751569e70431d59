/// How the scheduler runs jobs on this node.
public struct SchedulerConfiguration: Sendable {
    /// Jobs training at once on this node; the others wait `queued`, first
    /// in first out.
    public var maxJobs: Int
    /// Seconds between checkpoints of a running job (jobs also checkpoint on
    /// pause, cancel, completion and shutdown).
    public var checkpointSeconds: Double
    /// Threads each text-corpus job trains with (data-parallel workers):
    /// fixed, or the node's cores shared among the jobs training at the moment.
    public var jobThreads: CoreShare.Policy
    /// Whether this node trains (false for an API-only node of a cluster).
    public var trains: Bool
    /// Set when the node is part of a cluster (the store is shared, jobs are
    /// claimed with leases); nil on a single node.
    public var cluster: ClusterSettings?

    public init(maxJobs: Int, checkpointSeconds: Double, jobThreads: CoreShare.Policy, trains: Bool = true,
                cluster: ClusterSettings? = nil) {
        self.maxJobs = maxJobs
        self.checkpointSeconds = checkpointSeconds
        self.jobThreads = jobThreads
        self.trains = trains
        self.cluster = cluster
    }
}

/// A node's part in a cluster.
public struct ClusterSettings: Sendable, Equatable {
    /// The name this node's leases carry (unique in the cluster).
    public var workerID: String
    /// How long a claim lasts unless renewed; renewed about every third of it.
    /// A job whose worker died moves to another after at most this long.
    public var leaseSeconds: Double
    /// How often a node looks for work and for requests to its jobs when no
    /// signal came (signals make it act at once).
    public var pollSeconds: Double

    public init(workerID: String, leaseSeconds: Double = 15, pollSeconds: Double = 1) {
        self.workerID = workerID
        self.leaseSeconds = leaseSeconds
        self.pollSeconds = pollSeconds
    }
}
