/// A worker's hold on a model's job in a cluster. Each claim of a job gets a
/// new, larger `generation`; every write the worker makes for the job names
/// it, and the store refuses a write whose generation is no longer the
/// model's (``StoreError/leaseLost(_:generation:)``). A worker that stalled
/// past its lease can thus never overwrite the progress of the job's next
/// holder.
public struct JobLease: Sendable, Hashable {
    public var modelID: ModelID
    /// The worker holding it.
    public var owner: String
    /// The fencing number of this claim.
    public var generation: Int64

    public init(modelID: ModelID, owner: String, generation: Int64) {
        self.modelID = modelID
        self.owner = owner
        self.generation = generation
    }
}

/// Who holds a model's job, as the API shows it.
public struct LeaseHolder: Sendable, Equatable {
    /// The worker's id.
    public var owner: String
    /// When it claimed the job (seconds since 1970).
    public var since: Double
    /// When the lease runs out unless renewed (seconds since 1970, the database server's clock).
    public var expiresAt: Double

    public init(owner: String, since: Double, expiresAt: Double) {
        self.owner = owner
        self.since = since
        self.expiresAt = expiresAt
    }
}

/// What an API node asks of a job trained elsewhere.
public enum JobRequest: String, Sendable, CaseIterable {
    case pause, cancel
}

/// What the holder of a lease reads back about its job: a stop an API node
/// asked for, and the settings as last changed.
public struct JobOrders: Sendable, Equatable {
    public var request: JobRequest?
    public var settings: MutableSettings

    public init(request: JobRequest?, settings: MutableSettings) {
        self.request = request
        self.settings = settings
    }
}

/// A nudge between the nodes of a cluster, so that they act at once instead
/// of at their next poll. Signals may be lost (a node reconnecting); every
/// node also polls, so they only make things faster.
public enum ClusterSignal: Sendable, Equatable {
    /// A job joined the queue or a lease was released: workers try to claim.
    case queue
    /// An API node changed model `id` (pause, cancel, settings, delete): its
    /// holder reads its orders.
    case control(ModelID)
}

/// A store that several service nodes share: jobs are claimed with leases
/// (first in, first out, each by one worker at a time), a lease holder's
/// writes are fenced by its generation, and nodes nudge each other with
/// ``ClusterSignal``s. The SQLite store, for one node, does not need it.
public protocol JobLeaseStore: ModelStore {
    /// Claims the job that has waited longest: a queued model, or a running
    /// one whose lease has expired (its worker is presumed dead), which is
    /// first rewound to its checkpoint. Several workers claiming at once
    /// each get a different job. Nil when no job waits.
    func claimJob(owner: String, leaseSeconds: Double) async throws -> JobLease?
    /// Extends the lease by `leaseSeconds` from now and returns the job's
    /// orders; nil when the lease is lost (taken over, or the model gone).
    func renew(_ lease: JobLease, leaseSeconds: Double) async throws -> JobOrders?
    /// The job's orders without renewing; nil when the lease is lost.
    func orders(_ lease: JobLease) async throws -> JobOrders?
    /// ``TrainingHistoryStore/flush(_:figures:metrics:samples:checkpoint:)``
    /// fenced by `lease`: throws ``StoreError/leaseLost(_:generation:)`` and
    /// writes nothing when the lease is no longer held.
    func flush(_ lease: JobLease, figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry],
               checkpoint: Checkpoint?) async throws
    /// ``CheckpointStore/saveBest(_:_:)`` fenced by `lease`.
    func saveBest(_ lease: JobLease, _ best: BestWeights) async throws
    /// Ends the lease: records `status` (and the failure message) when
    /// given, else leaves the job `running` without a holder, so another
    /// worker claims it at once (a worker shutting down). Fenced.
    func release(_ lease: JobLease, status: ModelStatus?, error: String?) async throws
    /// Asks the holder of a running job to pause or cancel it; false when
    /// the model is not running.
    func request(_ id: ModelID, _ request: JobRequest) async throws -> Bool
    /// Sets `status` only when the model's status is one of `from`; returns
    /// whether it did (a queued job may be claimed at any moment).
    func transition(_ id: ModelID, from: Set<ModelStatus>, to status: ModelStatus) async throws -> Bool
    /// Sends `signal` to every node listening (best effort).
    func signal(_ signal: ClusterSignal) async
    /// The signals of every node, this one's included, until the store
    /// closes. One consumer.
    func signals() -> AsyncStream<ClusterSignal>
}
