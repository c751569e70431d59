import Foundation
import Logging
import RecurrentJobs

/// Everything `recurrent serve` can be told: where to listen, where to keep
/// its data, how many jobs train at once, and the limits that protect it from
/// requests it cannot honour.
public struct ServiceConfiguration: Sendable {
    /// Address to listen on (loopback by default; set an ``apiToken`` before
    /// listening on a public address).
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one.
    public var port = 8080
    /// The SQLite file (its folder is created when missing), or the URL of
    /// a PostgreSQL database (`postgres://USER[:PASSWORD]@HOST:PORT/DB`)
    /// that the nodes of a cluster share.
    public var databasePath = "./data/recurrent.sqlite"
    /// What this node does; anything but `all` needs PostgreSQL.
    public var role = ServiceRole.all
    /// The name of this node's job leases in a cluster (unique per node).
    public var workerID = ServiceConfiguration.defaultWorkerID
    /// Seconds a cluster worker's claim on a job lasts unless renewed (it
    /// renews every third of it); a job whose worker died moves to another
    /// after at most this long.
    public var leaseSeconds = 15.0
    /// Jobs training at once; the others wait `queued`, first in first out.
    public var maxJobs = ProcessInfo.processInfo.activeProcessorCount
    /// Seconds between checkpoints of a running job (jobs also checkpoint on
    /// pause, cancel, completion and shutdown).
    public var checkpointSeconds = 30.0
    /// Threads OpenBLAS uses for each large product. One (the default) lets
    /// concurrent jobs each keep a core; more helps a single job with large
    /// batches when it has the machine to itself.
    public var blasThreads = 1
    /// Cores the training jobs share when `limits.jobThreads` is nil; nil:
    /// the cores this process may use.
    public var sharedCores: Int?
    /// Static files served at `/` (the page), and `openapi.json`.
    public var publicDirectory = "./public"
    /// Request limits, documented in the OpenAPI document.
    public var limits = Limits()
    /// When set, every request that changes state (any method but GET, HEAD
    /// and OPTIONS, except the inference calls generate, evaluate and
    /// predict) needs `Authorization: Bearer <token>`.
    public var apiToken: String?
    /// With an ``apiToken``, reads need the token too (all of `/api` but
    /// `/api/health`, and `/metrics`); the page and its static files stay open.
    public var tokenForReads = false
    /// Origins allowed to call the API from another site's pages
    /// (`https://example.org`, or `*` for any). Empty: CORS is off and
    /// browsers refuse cross-origin calls.
    public var corsOrigins: [String] = []
    /// Seconds a SIGTERM or SIGINT may take: checkpoint every job, end the
    /// event streams, stop listening. Past it the process exits anyway
    /// (every job keeps its last periodic checkpoint).
    public var shutdownSeconds = 8.0
    /// Seconds a connection may stay silent (no request, or a request head
    /// still incomplete) before the server closes it; 0 never closes.
    /// Without it, clients that open connections and trickle a request
    /// line, or never send one, hold a file descriptor each for ever.
    /// Responses being written, event streams included, are never cut.
    public var idleTimeoutSeconds = 30.0

    /// Least severe log level written (requests and job lifecycle are `info`).
    public var logLevel: Logger.Level = .info
    /// How log lines look: `text` for people, `json` for log collectors.
    public var logFormat: LogFormat = .text

    /// Whether ``databasePath`` names a PostgreSQL database.
    public var usesPostgres: Bool {
        let lowered = databasePath.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// What the job scheduler needs of it: on PostgreSQL every node is part
    /// of a cluster (others may share the database).
    var scheduler: SchedulerConfiguration {
        SchedulerConfiguration(maxJobs: maxJobs, checkpointSeconds: checkpointSeconds, jobThreads: limits.jobThreads.map { .fixed($0) } ?? .shared(cores: sharedCores ?? CoreShare.availableCores),
                               trains: role.trains,
                               cluster: usesPostgres ? ClusterSettings(workerID: workerID, leaseSeconds: leaseSeconds) : nil)
    }

    /// The host name and process id: unique among the nodes of a cluster.
    public static var defaultWorkerID: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Whether the service has a token.
    public var requiresToken: Bool { !(apiToken ?? "").isEmpty }

    public init() {}

    /// The limits on what one request may ask for (see ``ServiceLimits``).
    public typealias Limits = ServiceLimits
}
