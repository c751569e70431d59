import Foundation
import Recurrent
import RecurrentStore
import Synchronization

/// What the HTTP side asks of a job; the training thread reads it every tick.
enum JobCommand: Sendable {
    case run, pause, cancel, shutdown, delete
}

/// How a job's thread ended.
enum JobOutcome: Sendable, Equatable {
    /// Stopped on request; checkpointed.
    case paused, cancelled
    /// Reached `max_ticks`; checkpointed.
    case succeeded
    /// Diverged or could not train; the last good checkpoint is kept.
    case failed(String)
    /// The service is stopping; checkpointed, status left as it was so the
    /// next start resumes it.
    case shutdown
    /// The model is being deleted; nothing written.
    case deleted

    /// The status the store records for this end; nil when it keeps the
    /// current one (shutdown) or the model is gone.
    var recordedStatus: ModelStatus? {
        switch self {
        case .paused: .paused
        case .cancelled: .cancelled
        case .succeeded: .succeeded
        case .failed: .failed
        case .shutdown, .deleted: nil
        }
    }

    var failureMessage: String? {
        if case .failed(let message) = self { return message }
        return nil
    }

    var summary: String {
        switch self {
        case .shutdown: "checkpointed for shutdown"
        case .deleted: "deleted"
        default: "\(self)"
        }
    }
}

/// A store write of a job failed.
struct StoreWriteError: Error, CustomStringConvertible {
    let message: String
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

/// A consistent copy of a job's training state, taken between ticks.
public struct TrainingState: @unchecked Sendable {
    public var model: CharacterModel
    public var solver: Solver
    public var ticks: Int
    public var epoch: Double
    public var randomState: [UInt64]?

    public init(model: CharacterModel, solver: Solver, ticks: Int, epoch: Double, randomState: [UInt64]?) {
        self.model = model
        self.solver = solver
        self.ticks = ticks
        self.epoch = epoch
        self.randomState = randomState
    }
}

/// One model's training, on a dedicated thread (never an event loop or the
/// concurrency pool, whose few threads must stay free for requests).
///
/// The only engine-trainer code of the service lives in this file.
///
/// Between ticks the thread reads a small control block (pause, resume,
/// cancel, new settings), so every request acts within one tick. Every 50
/// ticks it publishes an immutable copy of the weights, from which the
/// recorded samples and any `generate`/`evaluate`/`predict` call are
/// computed on other threads, so they never stall training nor see a
/// half-updated matrix. Figures, metric points and samples are written to the
/// store in one transaction per flush (about every second), a checkpoint
/// every `checkpointSeconds` and when the job stops.
public final class TrainingJob: Sendable {
    /// Recorded samples and snapshots are taken at this tick interval.
    static let sampleInterval = 50
    /// ...but at most one round of recorded samples a second: a small model
    /// trains thousands of ticks a second, and six rows every 50 ticks would
    /// grow the samples table by gigabytes an hour.
    static let sampleRoundSeconds = 1.0
    /// Samples at the model's temperature every `sampleInterval` ticks.
    public static let samplesPerRecord = 5
    /// A metric point every this many ticks (the demo's loss graph cadence).
    static let metricInterval = 100
    /// Longest recorded sample (the demo's).
    static let sampleLength = 100
    static let progressSeconds = 0.5
    static let flushSeconds = 1.0

    public let modelID: ModelID
    private let store: any ModelStore
    private let hub: EventHub
    private let checkpointSeconds: Double
    private let metrics: ServiceMetrics
    /// Data-parallel workers of a text-corpus job.
    private let jobThreads: Int
    private let onEnd: @Sendable (TrainingJob, JobOutcome) -> Void

    private struct Control {
        var command: JobCommand = .run
        var settings: MutableSettings
        var stateRequests: [CheckedContinuation<TrainingState?, Never>] = []
        var alive = true
        /// A write that failed on the writer queue; the job fails with it.
        var writeError: String?
    }

    private struct Published {
        var figures: ProgressFigures?
        var snapshot: CharacterModel?
    }

    private let control: Mutex<Control>
    private let published = Mutex(Published())
    private let pendingSamples = Mutex<[SampleEntry]>([])
    private let latestGreedy = Mutex<String?>(nil)
    /// Writes that met a storage fault (disk full, read-only, ...), kept for
    /// the next flush so training goes on and nothing is lost once storage
    /// is back; only used on the writer queue.
    private let unwritten = Mutex(UnwrittenBatch())
    private let sampleQueue: DispatchQueue
    /// Store writes happen here, in order, so the training thread never
    /// waits for the disk (an fsync can take longer than many ticks).
    private let writer: DispatchQueue
    private let sampleRandom: Mutex<RandomSource>
    /// Set while a round of samples is being computed. A small model trains
    /// 50 ticks faster than six samples are drawn; rather than letting the
    /// backlog (and the samples table) grow without bound, a round that is
    /// due while the previous one still runs is skipped.
    private let samplingBusy = Atomic<Bool>(false)

    init(modelID: ModelID, settings: MutableSettings, seed: UInt64?, store: any ModelStore, hub: EventHub,
         checkpointSeconds: Double, jobThreads: Int = 1, metrics: ServiceMetrics, onEnd: @escaping @Sendable (TrainingJob, JobOutcome) -> Void) {
        self.modelID = modelID
        self.store = store
        self.hub = hub
        self.checkpointSeconds = checkpointSeconds
        self.metrics = metrics
        self.jobThreads = jobThreads
        self.onEnd = onEnd
        control = Mutex(Control(settings: settings))
        sampleQueue = DispatchQueue(label: "recurrent.samples.\(modelID)", qos: .utility)
        writer = DispatchQueue(label: "recurrent.store.\(modelID)", qos: .utility)
        // Separate from the trainer's generator: recorded samples never change what is trained.
        sampleRandom = Mutex(seed.map { RandomSource(seed: $0 ^ 0x5A4D_504C_4553) } ?? RandomSource())
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
            // A delete or shutdown outranks a pause or cancel already asked for.
            if control.command == .run || command == .delete || command == .shutdown { control.command = command }
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

    func waitUntilStoppedBlocking(timeout: Double = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while isAlive && Date() < deadline { usleep(5_000) }
    }

    /// The latest figures, nil before the first progress report.
    public var figures: ProgressFigures? {
        var figures = published.withLock { $0.figures }
        if let greedy = latestGreedy.withLock({ $0 }) { figures?.greedyText = greedy }
        figures?.storageError = unwritten.withLock { $0.fault }
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
        let outcome: JobOutcome
        do {
            outcome = try train()
        } catch {
            outcome = .failed("training stopped: \(error)")
            retire(state: nil)
        }
        onEnd(self, outcome)
    }

    /// Marks the job ended and answers every pending state request.
    private func retire(state: TrainingState?) {
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

    private static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }

    private func train() throws -> JobOutcome {
        let store = self.store, modelID = self.modelID
        guard let loaded = try Background.wait({ try await ModelLoader.load(modelID, store: store) }) else {
            retire(state: nil)
            return .deleted
        }
        let (record, model, solver, checkpoint) = (loaded.record, loaded.model, loaded.solver, loaded.checkpoint)
        guard let sentences = try Background.wait({ try await store.corpus(modelID) }) else {
            retire(state: nil)
            return .failed("the model has no training corpus")
        }
        let config = record.config
        var settings = control.withLock { $0.settings }
        let random = checkpoint.randomState.flatMap(RandomSource.init(state:))
            ?? config.seed.map { RandomSource(seed: $0) } ?? RandomSource()
        let trainingSettings = config.trainingSettings(learningRate: settings.learningRate)
        let trainer: any ModelTrainer
        switch config.corpus {
        case .sentences:
            trainer = try CharacterTrainer(model: model, sentences: sentences, solver: solver,
                                           settings: trainingSettings, random: random)
        case .text:
            var textOptions = config.textOptions
            textOptions.workers = jobThreads
            let text = try TextCorpus(text: sentences.joined(separator: "\n"), vocabulary: model.vocabulary,
                                      validationFraction: config.validationFraction)
            let textTrainer = TextTrainer(model: model, corpus: text, solver: solver, settings: trainingSettings,
                                          options: textOptions, random: random)
            // Go on from the window where the checkpoint was taken (a pause or a
            // restart used to send the streams back to the start of the text),
            // with the rate the decay had reached: the set rate, decayed once per
            // completed pass.
            textTrainer.resume(atEpoch: checkpoint.epoch)
            textTrainer.settings.learningRate *= pow(textOptions.learningRateDecay, Float(textTrainer.completedEpochs))
            trainer = textTrainer
        }
        trainer.ticks = checkpoint.ticks
        var learningRateSeen = settings.learningRate
        /// The rate in force: as set, unless a text corpus's decay has lowered it since.
        func currentLearningRate() -> Double {
            config.learningRateDecay == 1 ? settings.learningRate : Double(trainer.settings.learningRate)
        }

        var firstLoss = checkpoint.firstLoss
        let stored = record.figures
        var figures = ProgressFigures(ticks: trainer.ticks, epoch: trainer.epoch, latestPerplexity: stored.latestPerplexity,
                                      medianPerplexity: stored.medianPerplexity, learningRate: settings.learningRate,
                                      validationLoss: stored.validationLoss, bestValidationLoss: stored.bestValidationLoss,
                                      bestStep: stored.bestStep)
        var recent: [Double] = []  // perplexities of the last 100 ticks, a ring
        var recentNext = 0
        var windowPerplexities: [Double] = []
        var windowLoss = 0.0
        var pendingMetrics: [MetricPoint] = []
        let start = Self.monotonicSeconds()
        var lastProgress = (time: start, ticks: trainer.ticks, predictions: 0)
        var lastMetric = (time: start, ticks: trainer.ticks)
        var lastFlush = start, lastCheckpoint = start
        var lastSampleRound = -Double.infinity
        var predictions = 0
        var counted = (ticks: trainer.ticks, predictions: 0)
        /// Adds the progress since the last call to the service's counters.
        func countProgress() {
            metrics.ticks.increment(by: Int64(trainer.ticks - counted.ticks))
            metrics.charactersTrained.increment(by: Int64(predictions - counted.predictions))
            counted = (trainer.ticks, predictions)
        }
        latestGreedy.withLock { $0 = stored.greedyText }
        publish(snapshot: model.copy(), figures: figures)

        func state() -> TrainingState {
            TrainingState(model: model.copy(), solver: trainer.solver.copy(), ticks: trainer.ticks, epoch: trainer.epoch,
                          randomState: trainer.random.state)
        }
        func makeCheckpoint() -> Checkpoint {
            Checkpoint(weights: CheckpointCodec.encode(network: model.network, solver: trainer.solver),
                          randomState: trainer.random.state, ticks: trainer.ticks, epoch: trainer.epoch,
                          firstLoss: firstLoss, time: StoreClock.now)
        }
        func flush(checkpoint: Bool) throws {
            // At most one checkpoint in flight: when the disk is slower than
            // the interval, training waits rather than letting unwritten
            // checkpoints (and the progress a crash would lose) pile up.
            if checkpoint { writer.sync {} }
            let samples = pendingSamples.withLock { pending in
                defer { pending.removeAll() }
                return pending
            }
            var written = figures
            written.greedyText = latestGreedy.withLock { $0 }
            let metrics = pendingMetrics
            let saved = checkpoint ? makeCheckpoint() : nil
            pendingMetrics.removeAll()
            if let failure = control.withLock({ $0.writeError }) { throw StoreWriteError(message: failure) }
            writer.async { [self, written] in
                let batch = unwritten.withLock { $0.adding(metrics: metrics, samples: samples, checkpoint: saved) }
                do {
                    try Background.wait {
                        try await store.flush(modelID, figures: written, metrics: batch.metrics, samples: batch.samples,
                                              checkpoint: batch.checkpoint)
                    }
                    unwritten.withLock { $0 = UnwrittenBatch() }
                } catch {
                    if let reason = StoreError.unavailableReason(error) {
                        unwritten.withLock {
                            $0 = batch
                            $0.fault = "checkpoints cannot be saved: \(reason); training goes on and saves once storage is back"
                        }
                    } else {
                        control.withLock { $0.writeError = "\(error)" }
                    }
                }
            }
        }
        /// Waits for every queued write; throws the first that failed, or the
        /// storage fault that still keeps the last flush from the disk.
        func drainWrites() throws {
            writer.sync {}
            if let failure = control.withLock({ $0.writeError }) { throw StoreWriteError(message: failure) }
            if let fault = unwritten.withLock({ $0.fault }) { throw StoreWriteError(message: fault) }
        }
        func median(_ values: [Double]) -> Double? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }

        var outcome: JobOutcome
        while true {
            let (command, current, requests) = control.withLock { control in
                defer { control.stateRequests.removeAll() }
                return (control.command, control.settings, control.stateRequests)
            }
            if !requests.isEmpty {
                let copy = state()
                for request in requests { request.resume(returning: copy) }
            }
            settings = current
            if command != .run {
                outcome = switch command {
                case .pause: .paused
                case .cancel: .cancelled
                case .delete: .deleted
                default: .shutdown
                }
                break
            }
            if let maxTicks = settings.maxTicks, trainer.ticks >= maxTicks {
                outcome = .succeeded
                break
            }

            // A PATCH sets the rate; between PATCHes the trainer's own decay
            // (text corpora, per epoch) carries it.
            if settings.learningRate != learningRateSeen {
                trainer.settings.learningRate = Float(settings.learningRate)
                learningRateSeen = settings.learningRate
            }
            let result = trainer.tick()
            if let validation = trainer.latestValidation, validation.step == trainer.ticks {
                figures.validationLoss = validation.loss
                if let best = trainer.bestValidation, best.step == validation.step {
                    figures.bestValidationLoss = best.loss
                    figures.bestStep = best.step
                    if let bestModel = trainer.bestModel {
                        let weights = CheckpointCodec.encode(network: bestModel.network, solver: Solver(optimizer: config.optimizer))
                        let best = BestWeights(weights: weights, step: best.step, validationLoss: best.loss)
                        writer.async { try? Background.wait { try await store.saveBest(modelID, best) } }
                    }
                }
                hub.publish(.validation(ValidationEvent(id: modelID, step: validation.step, validationLoss: validation.loss,
                                                        bestValidationLoss: figures.bestValidationLoss,
                                                        bestStep: figures.bestStep)))
            }
            let loss = result.loss
            // Diverged: a loss that is not finite, or losses that stay above
            // three times the first recorded one (the median of the last 100
            // ticks, computed only for such a tick): one sentence that an
            // overconfident model gets badly wrong is no divergence, and it
            // failed healthy jobs after tens of thousands of ticks.
            let diverged = !loss.isFinite || (firstLoss.map { first in
                loss > 3 * first && recent.count >= 20
                    && log(median(recent + [result.perplexity]) ?? 0) > 3 * first
            } ?? false)
            if diverged {
                let saved = (try? Background.wait { try await store.checkpoint(modelID) })?.ticks ?? 0
                let message = "training diverged at tick \(trainer.ticks): loss \(loss) per character"
                    + (firstLoss.map { String(format: " (the first recorded loss was %.4f)", $0) } ?? "")
                    + "; the weights of the last good checkpoint (tick \(saved)) are kept. "
                    + "Try a lower learning rate (for example \(settings.learningRate / 10)) and resume."
                figures.lastTickAt = StoreClock.now
                sampleQueue.sync {}
                try? flush(checkpoint: false)
                try? drainWrites()
                published.withLock { $0.snapshot = nil }
                retire(state: nil)
                return .failed(message)
            }
            if firstLoss == nil { firstLoss = loss }
            predictions += result.predictions
            let perplexity = result.perplexity
            if recent.count < 100 { recent.append(perplexity) } else { recent[recentNext] = perplexity }
            recentNext = (recentNext + 1) % 100
            windowPerplexities.append(perplexity)
            windowLoss += loss
            figures.ticks = trainer.ticks
            figures.epoch = trainer.epoch
            figures.latestPerplexity = perplexity
            figures.clippedRatio = Double(result.clippedFraction)
            figures.learningRate = currentLearningRate()

            let ticks = trainer.ticks
            let now = Self.monotonicSeconds()
            if ticks % Self.sampleInterval == 0 {
                let snapshot = model.copy()
                published.withLock { $0.snapshot = snapshot }
                if now - lastSampleRound >= Self.sampleRoundSeconds,
                   samplingBusy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
                    lastSampleRound = now
                    recordSamples(from: snapshot, step: ticks, temperature: settings.sampleTemperature)
                }
            }
            if ticks % Self.metricInterval == 0, let middle = median(windowPerplexities) {
                let elapsed = now - lastMetric.time
                let point = MetricPoint(step: ticks, medianPerplexity: middle,
                                        meanLoss: windowLoss / Double(windowPerplexities.count),
                                        learningRate: currentLearningRate(),
                                        ticksPerSecond: elapsed > 0 ? Double(ticks - lastMetric.ticks) / elapsed : 0,
                                        time: StoreClock.now, validationLoss: figures.validationLoss)
                pendingMetrics.append(point)
                hub.publish(.metric(point))
                windowPerplexities.removeAll(keepingCapacity: true)
                windowLoss = 0
                lastMetric = (now, ticks)
            }
            if now - lastProgress.time >= Self.progressSeconds {
                let elapsed = now - lastProgress.time
                figures.ticksPerSecond = Double(ticks - lastProgress.ticks) / elapsed
                figures.charactersPerSecond = Double(predictions - lastProgress.predictions) / elapsed
                figures.medianPerplexity = median(recent)
                figures.lastTickAt = StoreClock.now
                lastProgress = (now, ticks, predictions)
                countProgress()
                publish(snapshot: nil, figures: figures)
                hub.publish(.progress(ProgressEvent(
                    id: modelID, ticks: ticks, epoch: figures.epoch, perplexity: figures.latestPerplexity,
                    medianPerplexity: figures.medianPerplexity, ticksPerSecond: figures.ticksPerSecond,
                    charactersPerSecond: figures.charactersPerSecond, learningRate: settings.learningRate)))
            }
            if now - lastCheckpoint >= checkpointSeconds {
                try flush(checkpoint: true)
                lastCheckpoint = now
                lastFlush = now
            } else if now - lastFlush >= Self.flushSeconds {
                try flush(checkpoint: false)
                lastFlush = now
            }
        }

        countProgress()
        if outcome == .deleted {
            writer.sync {}
            retire(state: nil)
            return outcome
        }
        // Stopping: let the last samples land, then one flush with a checkpoint.
        sampleQueue.sync {}
        figures.lastTickAt = figures.lastTickAt ?? StoreClock.now
        try flush(checkpoint: true)
        try drainWrites()
        let final = model.copy()
        publish(snapshot: final, figures: figures)
        retire(state: state())
        return outcome
    }

    private func publish(snapshot: CharacterModel?, figures: ProgressFigures) {
        published.withLock { published in
            if let snapshot { published.snapshot = snapshot }
            published.figures = figures
        }
    }

    /// Five samples at the model's temperature and the greedy prediction,
    /// computed off the training thread from an immutable snapshot.
    private func recordSamples(from snapshot: CharacterModel, step: Int, temperature: Double) {
        sampleQueue.async { [self] in
            var entries: [SampleEntry] = []
            var random = sampleRandom.withLock { $0 }
            let time = StoreClock.now
            for _ in 0..<Self.samplesPerRecord {
                let options = SamplingOptions(temperature: Float(temperature), maxLength: Self.sampleLength)
                if let text = try? snapshot.sample(options, random: &random) {
                    entries.append(SampleEntry(step: step, kind: .sample, temperature: temperature, text: text, time: time))
                }
            }
            if let greedy = try? snapshot.sample(SamplingOptions(greedy: true, maxLength: Self.sampleLength), random: &random) {
                entries.append(SampleEntry(step: step, kind: .greedy, temperature: nil, text: greedy, time: time))
                latestGreedy.withLock { $0 = greedy }
            }
            sampleRandom.withLock { $0 = random }
            metrics.recordedSamples.increment(by: Int64(entries.count))
            pendingSamples.withLock { $0.append(contentsOf: entries) }
            // Without ids: the rows get theirs when the next flush writes them.
            hub.publish(.samples(id: modelID, step: step, samples: entries))
            samplingBusy.store(false, ordering: .releasing)
        }
    }
}
