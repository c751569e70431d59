import Foundation
import Recurrent
import RecurrentStore
import Synchronization

/// A job's recorded samples: every so often five samples at the model's
/// temperature and the greedy one, computed off the training thread from an
/// immutable snapshot, published as events and kept for the next flush.
final class RecordedSamples: Sendable {
    /// At most one round a second: a small model trains thousands of ticks a
    /// second, and six rows every 50 ticks would grow the samples table by
    /// gigabytes an hour.
    static let roundSeconds = 1.0
    /// Longest recorded sample (the demo's).
    static let sampleLength = 100

    private let modelID: ModelID
    private let hub: EventHub
    private let metrics: ServiceMetrics
    private let queue: DispatchQueue
    private let pending = Mutex<[SampleEntry]>([])
    private let greedy = Mutex<String?>(nil)
    /// Separate from the trainer's generator: recorded samples never change what is trained.
    private let random: Mutex<RandomSource>
    /// Set while a round is being computed. A small model trains 50 ticks
    /// faster than six samples are drawn; rather than letting the backlog (and
    /// the samples table) grow without bound, a round that is due while the
    /// previous one still runs is skipped.
    private let busy = Atomic<Bool>(false)

    init(modelID: ModelID, seed: UInt64?, hub: EventHub, metrics: ServiceMetrics) {
        self.modelID = modelID
        self.hub = hub
        self.metrics = metrics
        queue = DispatchQueue(label: "recurrent.samples.\(modelID)", qos: .utility)
        random = Mutex(seed.map { RandomSource(seed: $0 ^ 0x5A4D_504C_4553) } ?? RandomSource())
    }

    /// The latest greedy sample (the stored one until a round has run).
    var latestGreedy: String? {
        get { greedy.withLock { $0 } }
        set { greedy.withLock { $0 = newValue } }
    }

    /// The samples recorded since the last call, for the next flush.
    func take() -> [SampleEntry] {
        pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
    }

    /// Waits for the round in progress, if any.
    func waitForRound() { queue.sync {} }

    /// Starts a round from `snapshot` unless one is still running; whether it did.
    func startRound(from snapshot: CharacterModel, step: Int, temperature: Double) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        queue.async { [self] in
            let entries = draw(from: snapshot, step: step, temperature: temperature)
            metrics.recordedSamples.increment(by: Int64(entries.count))
            pending.withLock { $0.append(contentsOf: entries) }
            // Without ids: the rows get theirs when the next flush writes them.
            hub.publish(.samples(id: modelID, step: step, samples: entries))
            busy.store(false, ordering: .releasing)
        }
        return true
    }

    private func draw(from snapshot: CharacterModel, step: Int, temperature: Double) -> [SampleEntry] {
        var entries: [SampleEntry] = []
        var random = random.withLock { $0 }
        let time = StoreClock.now
        for _ in 0..<TrainingJob.samplesPerRecord {
            let options = SamplingOptions(temperature: Float(temperature), maxLength: Self.sampleLength)
            if let text = try? snapshot.sample(options, random: &random) {
                entries.append(SampleEntry(step: step, kind: .sample, temperature: temperature, text: text, time: time))
            }
        }
        if let text = try? snapshot.sample(SamplingOptions(greedy: true, maxLength: Self.sampleLength), random: &random) {
            entries.append(SampleEntry(step: step, kind: .greedy, temperature: nil, text: text, time: time))
            latestGreedy = text
        }
        self.random.withLock { $0 = random }
        return entries
    }
}
