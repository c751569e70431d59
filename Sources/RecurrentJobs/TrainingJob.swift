import Foundation
import Recurrent
import RecurrentStore
import Synchronization

/// One model's training, on a dedicated thread (never an event loop or the
/// concurrency pool, whose few threads must stay free for requests).
///
/// The run itself (trainer, resume, divergence, progress figures) is the
/// shared `TrainingRun`, driven by a ``JobLoop``; this class is the job's
/// face to the other threads. Between ticks the thread reads a small control
/// block (pause, resume, cancel, new settings), so every request acts within
/// one tick. Every 50 ticks it publishes an immutable copy of the weights,
/// from which the recorded samples and any `generate`/`evaluate`/`predict`
/// call are computed on other threads, so they never stall training nor see
/// a half-updated matrix. Figures, metric points and samples are written to
/// the store in one transaction per flush (about every second), a checkpoint
/// every `checkpointSeconds` and when the job stops (see ``JobWriter``).
public final class TrainingJob: Sendable {
    /// Recorded samples and snapshots are taken at this tick interval.
    static let sampleInterval = 50
    /// Samples at the model's temperature every `sampleInterval` ticks.
    public static let samplesPerRecord = 5
    static let progressSeconds = 0.5
    static let flushSeconds = 1.0

    public let modelID: ModelID
    /// The job's lease when it trains in a cluster; nil on a single node.
    public let lease: JobLease?
    let store: any ModelStore
    let hub: EventHub
    let checkpointSeconds: Double
    let metrics: ServiceMetrics
    /// Where a text-corpus job learns how many data-parallel workers to use.
    let cores: CoreShare
    private let onEnd: @Sendable (TrainingJob, JobOutcome) -> Void

    /// What the other threads ask of the training thread.
    struct Control {
        var command: JobCommand = .run
        var settings: MutableSettings
        var stateRequests: [CheckedContinuation<TrainingState?, Never>] = []
        var alive = true
    }

    private struct Published {
        var figures: ProgressFigures?
        var snapshot: CharacterModel?
    }

    private let control: Mutex<Control>
    private let published = Mutex(Published())
    let writer: JobWriter
    let samples: RecordedSamples

    init(modelID: ModelID, lease: JobLease? = nil, settings: MutableSettings, seed: UInt64?, store: any ModelStore,
         hub: EventHub, checkpointSeconds: Double, cores: CoreShare = CoreShare(.fixed(1)), metrics: ServiceMetrics,
         onEnd: @escaping @Sendable (TrainingJob, JobOutcome) -> Void) {
        self.modelID = modelID
        self.lease = lease
        self.store = store
        self.hub = hub
        self.checkpointSeconds = checkpointSeconds
        self.metrics = metrics
        self.cores = cores
        self.onEnd = onEnd
        control = Mutex(Control(settings: settings))
        writer = JobWriter(modelID: modelID, store: store, lease: lease)
        samples = RecordedSamples(modelID: modelID, seed: seed, hub: hub, metrics: metrics)
    }

    /// Starts the training thread.
    func start() {
        let name = "train-\(modelID)"
        let thread = Thread { [self] in
            Self.prepareThread(name: name)
            run()
        }
        thread.name = name
        thread.stackSize = 16 << 20
        thread.start()
    }

    // MARK: Control (any thread)

    func send(_ command: JobCommand) {
        control.withLock { control in
            // A lost lease outranks everything (nothing may be written); a
            // delete or shutdown outranks a pause or cancel already asked for.
            guard control.command != .leaseLost else { return }
            if control.command == .run || [.delete, .shutdown, .leaseLost].contains(command) { control.command = command }
        }
    }

    func update(_ settings: MutableSettings) {
        control.withLock { $0.settings = settings }
    }

    public var isAlive: Bool { control.withLock { $0.alive } }

    /// Waits until the thread has ended (at most `timeout` seconds).
    func waitUntilStopped(timeout: Double = 60) async {
        let deadline = Date().addingTimeInterval(timeout)
        while isAlive && Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// The latest figures, nil before the first progress report.
    public var figures: ProgressFigures? {
        var figures = published.withLock { $0.figures }
        if let greedy = samples.latestGreedy { figures?.greedyText = greedy }
        figures?.storageError = writer.fault
        return figures
    }

    /// The latest published weights (immutable; safe to read on any thread).
    public var snapshot: CharacterModel? { published.withLock { $0.snapshot } }

    /// Weights and solver state as of the next tick boundary; nil when the
    /// job has already ended (read the checkpoint instead).
    func currentState() async -> TrainingState? {
        await withCheckedContinuation { continuation in
            let accepted = control.withLock { control -> Bool in
                guard control.alive else { return false }
                control.stateRequests.append(continuation)
                return true
            }
            if !accepted { continuation.resume(returning: nil) }
        }
    }

    // MARK: The training thread

    private func run() {
        cores.join(modelID)
        defer { cores.leave(modelID) }
        let outcome: JobOutcome
        do {
            outcome = try JobLoop.train(self)
        } catch let error as StoreWriteError where error.leaseLost {
            // Writes still queued are refused by the store: no need to wait.
            outcome = .leaseLost
            retire(state: nil)
        } catch {
            outcome = .failed("training stopped: \(error)")
            retire(state: nil)
        }
        onEnd(self, outcome)
    }

    /// The command, the settings and the state requests since the last call
    /// (which are handed over: the caller answers them).
    func takeControl() -> (command: JobCommand, settings: MutableSettings, requests: [CheckedContinuation<TrainingState?, Never>]) {
        control.withLock { control in
            defer { control.stateRequests.removeAll() }
            return (control.command, control.settings, control.stateRequests)
        }
    }

    /// Whether the job has been told that its lease is lost.
    var leaseIsLost: Bool { control.withLock { $0.command == .leaseLost } }

    /// Threads the job's text corpus should train with now.
    var threads: Int { cores.threads(for: modelID) }

    /// The settings as last set.
    var settings: MutableSettings { control.withLock { $0.settings } }

    /// Marks the job ended and answers every pending state request.
    func retire(state: TrainingState?) {
        let requests = control.withLock { control in
            control.alive = false
            defer { control.stateRequests.removeAll() }
            return control.stateRequests
        }
        for request in requests { request.resume(returning: state) }
    }

    /// Names the thread (for `top -H`) and lowers its priority: training
    /// threads yield to the threads that answer requests, so the
    /// API stays responsive while every core trains; on an otherwise idle
    /// machine they still get whole cores.
    private static func prepareThread(name: String) {
        #if os(Linux)
        // Named from inside, through /proc (Foundation does not pass the name
        // on here, and Glibc's module hides pthread_setname_np); Linux keeps
        // at most 15 characters.
        try? Data(name.prefix(15).utf8).write(to: URL(fileURLWithPath: "/proc/thread-self/comm"))
        // On Linux the nice value is per thread and `who` 0 is the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5)
        #endif
    }

    /// Publishes figures and, when given, new weights for the other threads.
    func publish(snapshot: CharacterModel?, figures: ProgressFigures) {
        published.withLock { published in
            if let snapshot { published.snapshot = snapshot }
            published.figures = figures
        }
    }

    /// Publishes new weights alone (every `sampleInterval` ticks).
    func publish(snapshot: CharacterModel) {
        published.withLock { $0.snapshot = snapshot }
    }

    /// Withdraws the weights (after divergence: they are not to be used).
    func withdrawSnapshot() {
        published.withLock { $0.snapshot = nil }
    }
}
