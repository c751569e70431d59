import RecurrentStore
import RecurrentTraining
import Synchronization

/// How many threads each training job of this node uses.
///
/// Fixed (`--job-threads N`): every text-corpus job gets `N`. Shared (the
/// default): the node's cores go to the jobs training at the moment, evenly,
/// the earlier jobs getting the odd cores; a job alone uses every core, and
/// each job asks again at every tick boundary, so its share follows jobs
/// that start and stop. Sentence corpora train one sequence at a time and
/// use one thread whatever the share.
public final class CoreShare: Sendable {
    /// How the threads are chosen.
    public enum Policy: Sendable, Equatable {
        /// Every job gets this many.
        case fixed(Int)
        /// The jobs share this many cores.
        case shared(cores: Int)
    }

    /// Fixed or shared.
    public let policy: Policy
    /// The jobs training now, in the order they started.
    private let running = Mutex<[ModelID]>([])

    public init(_ policy: Policy) {
        self.policy = policy
    }

    /// The cores this process may use (affinity and cgroup quota respected).
    public static var availableCores: Int { AvailableCores.count() }

    /// Counts `id` among the jobs training now.
    func join(_ id: ModelID) {
        running.withLock { if !$0.contains(id) { $0.append(id) } }
    }

    /// Stops counting `id`.
    func leave(_ id: ModelID) {
        running.withLock { $0.removeAll { $0 == id } }
    }

    /// The threads `id` should train with now: its part of the cores (at
    /// least one), or the fixed number.
    public func threads(for id: ModelID) -> Int {
        switch policy {
        case .fixed(let threads):
            return threads
        case .shared(let cores):
            return running.withLock { jobs in
                let count = max(1, jobs.count), position = jobs.firstIndex(of: id) ?? jobs.count
                return max(1, cores / count + (position < cores % count ? 1 : 0))
            }
        }
    }

    /// The most threads one job can get (the memory budget counts a weight
    /// copy per thread).
    public var mostThreads: Int {
        switch policy {
        case .fixed(let threads): threads
        case .shared(let cores): max(1, cores)
        }
    }
}
