import Foundation
import RecurrentStore
import Synchronization

/// Model records a node has read, kept until the database says they changed,
/// so that `GET /api/models/{id}` and every route that looks a model up
/// answer from memory instead of a round trip through the pool.
///
/// On a machine whose cores all train, each round trip to PostgreSQL waits
/// for several threads to be scheduled (the request's, the pool's, the
/// server's) and its tail reaches hundreds of milliseconds; a lookup in
/// memory does not.
///
/// A record stays only while it is known to be current:
/// - a trigger on `models`, `checkpoints` and `model_corpora` notifies
///   ``PostgresModelStore/recordChannel`` with the model's id when a row
///   changes, whoever changed it, and the store's listener drops that record
///   (``invalidate(_:)``);
/// - the store's own writes drop every record when they end
///   (``invalidateAll()``), so a node reads its own writes at once rather
///   than when the notification arrives;
/// - records are kept only while the listener is connected (``setListening(_:)``):
///   notifications sent while it is away are lost, so it starts empty again;
/// - a record older than ``maximumAge`` is read again, a bound on staleness
///   should the listener's connection die without anyone noticing.
///
/// Each invalidation advances an epoch; a record read from the database is
/// kept only if no invalidation came while it was being read
/// (``beginRead()``, ``keep(_:_:)``), so a read that raced a change cannot
/// put the old row back after the change's notification.
final class ModelRecordCache: Sendable {
    private struct Entry {
        var record: ModelRecord
        var readAt: ContinuousClock.Instant
    }

    /// When a read from the database started.
    struct Read {
        fileprivate let epoch: UInt64
        fileprivate let start: ContinuousClock.Instant
    }

    private struct State {
        var entries: [ModelID: Entry] = [:]
        var epoch: UInt64 = 0
        var listening = false
    }

    /// Records kept at most; past it the cache starts over (a node reads
    /// this many different models within ``maximumAge`` only under a scan).
    static let capacity = 10_000
    /// How long a record is served without being read again (five seconds
    /// unless a test says otherwise).
    let maximumAge: Duration
    private let state = Mutex(State())

    init(maximumAge: Duration = .seconds(5)) {
        self.maximumAge = maximumAge
    }

    /// The current record of `id`, or nil when it has to be read.
    func record(_ id: ModelID) -> ModelRecord? {
        let now = ContinuousClock.now
        return state.withLock { state in
            // Nothing is kept while not listening, so no check of that here.
            guard let entry = state.entries[id] else { return nil }
            return now - entry.readAt < maximumAge ? entry.record : nil
        }
    }

    /// A read starting now, to hand to ``keep(_:_:)``; nil while nothing may be kept.
    func beginRead() -> Read? {
        let now = ContinuousClock.now
        return state.withLock { $0.listening ? Read(epoch: $0.epoch, start: now) : nil }
    }

    /// Keeps `record`, read from the database by `read`, unless something changed since it began.
    func keep(_ record: ModelRecord, _ read: Read) {
        state.withLock { state in
            guard state.listening, state.epoch == read.epoch else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[record.id] = Entry(record: record, readAt: read.start)
        }
    }

    /// Drops `id`'s record: the database said it changed.
    func invalidate(_ id: ModelID) {
        state.withLock { state in
            state.epoch &+= 1
            state.entries[id] = nil
        }
    }

    /// Drops every record: this node wrote, or may have written.
    func invalidateAll() {
        state.withLock { state in
            state.epoch &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    /// Whether the listener is connected; either way the cache starts empty.
    func setListening(_ listening: Bool) {
        state.withLock { state in
            state.epoch &+= 1
            state.entries.removeAll(keepingCapacity: true)
            state.listening = listening
        }
    }

    /// Records held now.
    var count: Int { state.withLock { $0.entries.count } }

    /// Whether records may be kept: the listener is connected.
    var isListening: Bool { state.withLock { $0.listening } }
}
