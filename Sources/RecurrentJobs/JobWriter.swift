import Foundation
import Recurrent
import RecurrentStore
import Synchronization

/// A store write of a job failed.
struct StoreWriteError: Error, CustomStringConvertible {
    let message: String
    /// The write was refused because the job's lease is no longer held.
    var leaseLost = false
    var description: String { "could not write to the database: \(message)" }
}

/// What a job could not write because of a storage fault, waiting for its
/// next flush. Metric points are all kept (one per 100 ticks); of the recorded
/// samples only the newest `maxSamples`, so a long outage cannot fill memory.
struct UnwrittenBatch: Sendable {
    static let maxSamples = 5000
    var metrics: [MetricPoint] = []
    var samples: [SampleEntry] = []
    var checkpoint: Checkpoint?
    /// Why the last write failed; nil once a write succeeded.
    var fault: String?

    /// This batch followed by a newer one (whose checkpoint, if any, wins).
    func adding(metrics newMetrics: [MetricPoint], samples newSamples: [SampleEntry], checkpoint newCheckpoint: Checkpoint?)
        -> UnwrittenBatch {
        var batch = self
        batch.metrics += newMetrics
        batch.samples += newSamples
        if batch.samples.count > Self.maxSamples { batch.samples.removeFirst(batch.samples.count - Self.maxSamples) }
        batch.checkpoint = newCheckpoint ?? checkpoint
        return batch
    }
}

/// A job's store writes, in order on their own queue, so the training thread
/// never waits for the disk (an fsync can take longer than many ticks).
///
/// Writes that meet a storage fault (disk full, read-only, ...) are kept as an
/// ``UnwrittenBatch`` for the next flush, so training goes on and nothing is
/// lost once storage is back; any other failed write fails the job.
final class JobWriter: Sendable {
    private let modelID: ModelID
    private let store: any ModelStore
    /// In a cluster: the job's lease, which fences every write.
    private let fence: (store: any JobLeaseStore, lease: JobLease)?
    private let queue: DispatchQueue
    /// Only changed on `queue`.
    private let unwritten = Mutex(UnwrittenBatch())
    /// A write that failed on the queue; the job fails with it.
    private let failure = Mutex<StoreWriteError?>(nil)

    init(modelID: ModelID, store: any ModelStore, lease: JobLease?) {
        self.modelID = modelID
        self.store = store
        if let lease, let leases = store as? any JobLeaseStore { fence = (leases, lease) } else { fence = nil }
        queue = DispatchQueue(label: "recurrent.store.\(modelID)", qos: .utility)
    }

    /// Why writes are being kept back; nil while storage works.
    var fault: String? { unwritten.withLock { $0.fault } }

    /// Waits until every queued write has been tried.
    func waitForQueue() { queue.sync {} }

    /// Waits until every queued write has been tried, or until `giveUp`
    /// (asked every 50 ms) says to stop waiting; returns whether the queue
    /// drained.
    func waitForQueue(unless giveUp: () -> Bool) -> Bool {
        let drained = DispatchSemaphore(value: 0)
        queue.async { drained.signal() }
        while drained.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if giveUp() { return false }
        }
        return true
    }

    /// Throws the first write that failed (other than a storage fault).
    func checkFailure() throws {
        if let failure = failure.withLock({ $0 }) { throw failure }
    }

    /// Queues one flush: figures, metric points, samples and maybe a
    /// checkpoint, in one transaction together with whatever a storage fault
    /// kept back before.
    func write(figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry], checkpoint: Checkpoint?) {
        queue.async { [self, store, modelID, fence] in
            let batch = unwritten.withLock { $0.adding(metrics: metrics, samples: samples, checkpoint: checkpoint) }
            do {
                try Background.wait {
                    if let fence {
                        try await fence.store.flush(fence.lease, figures: figures, metrics: batch.metrics,
                                                    samples: batch.samples, checkpoint: batch.checkpoint)
                    } else {
                        try await store.flush(modelID, figures: figures, metrics: batch.metrics, samples: batch.samples,
                                              checkpoint: batch.checkpoint)
                    }
                }
                unwritten.withLock { $0 = UnwrittenBatch() }
            } catch {
                if let reason = StoreError.unavailableReason(error) {
                    unwritten.withLock {
                        $0 = batch
                        $0.fault = "checkpoints cannot be saved: \(reason); training goes on and saves once storage is back"
                    }
                } else {
                    let refused = StoreWriteError(message: "\(error)", leaseLost: StoreError.isLeaseLost(error))
                    failure.withLock { $0 = $0 ?? refused }
                }
            }
        }
    }

    /// Queues the weights with the best validation loss so far; a failure
    /// only loses this copy (the next best replaces it).
    func saveBest(_ best: BestWeights) {
        queue.async { [store, modelID, fence] in
            try? Background.wait {
                if let fence { try await fence.store.saveBest(fence.lease, best) } else { try await store.saveBest(modelID, best) }
            }
        }
    }

    /// Waits for every queued write; throws the first that failed, or the
    /// storage fault that still keeps the last flush from the disk.
    func drain() throws {
        waitForQueue()
        try checkFailure()
        if let fault { throw StoreWriteError(message: fault) }
    }
}
