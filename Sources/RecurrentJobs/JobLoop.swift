import Foundation
import Recurrent
import RecurrentStore
import RecurrentTraining

/// A job's training thread: the shared `TrainingRun`, ticked between reads of
/// the job's control block, with the service's figures, events, snapshots,
/// recorded samples and batched writes around it.
///
/// Lives on the training thread only, so its state needs no lock.
final class JobLoop {
    private let job: TrainingJob
    private let run: TrainingRun
    private let config: ModelConfig
    private var settings: MutableSettings
    private var figures: ProgressFigures
    private var pendingMetrics: [MetricPoint] = []
    private var lastProgress: Double
    private var lastFlush: Double
    private var lastCheckpoint: Double
    private var lastSampleRound = -Double.infinity
    /// What the service's counters have been told so far.
    private var counted: (ticks: Int, predictions: Int)

    private init(job: TrainingJob, run: TrainingRun, record: ModelRecord, settings: MutableSettings) {
        self.job = job
        self.run = run
        self.settings = settings
        config = record.config
        let stored = record.figures
        figures = ProgressFigures(ticks: run.ticks, epoch: run.epoch, latestPerplexity: stored.latestPerplexity,
                                  medianPerplexity: stored.medianPerplexity, learningRate: settings.learningRate,
                                  validationLoss: stored.validationLoss, bestValidationLoss: stored.bestValidationLoss,
                                  bestStep: stored.bestStep)
        let start = TrainingRun.monotonicSeconds()
        lastProgress = start
        lastFlush = start
        lastCheckpoint = start
        counted = (run.ticks, 0)
        job.samples.latestGreedy = stored.greedyText
        job.publish(snapshot: run.model.copy(), figures: figures)
    }

    /// Trains `job`'s model from its latest checkpoint until it is stopped,
    /// reaches `max_ticks` or diverges.
    static func train(_ job: TrainingJob) throws -> JobOutcome {
        let store = job.store, modelID = job.modelID
        guard let loaded = try Background.wait({ try await ModelLoader.load(modelID, store: store) }) else {
            job.retire(state: nil)
            return .deleted
        }
        let settings = job.settings
        let runSettings = RunSettings(config: loaded.record.config, learningRate: settings.learningRate, workers: job.threads)
        let run: TrainingRun
        if let uploaded = try Background.wait({ try await store.uploadedCorpusID(of: modelID) }) {
            // Read through the engine's encoder: one or two bytes a character, as the command line holds a text.
            let text = try UploadedCorpusReader.encodedText(uploaded, vocabulary: loaded.model.vocabulary, store: store)
            run = try TrainingRun(settings: runSettings, text: text, start: start(loaded))
        } else {
            guard let sentences = try Background.wait({ try await store.corpus(modelID) }) else {
                job.retire(state: nil)
                return .failed("the model has no training corpus")
            }
            run = try TrainingRun(settings: runSettings, data: sentences, start: start(loaded))
        }
        return try JobLoop(job: job, run: run, record: loaded.record, settings: settings).trainUntilStopped()
    }

    /// The checkpoint's state; a checkpoint without a generator state (one
    /// older than them) starts the generator from the seed.
    private static func start(_ loaded: ModelLoader.Loaded) -> RunStart {
        let checkpoint = loaded.checkpoint
        let random = checkpoint.randomState.flatMap(RandomSource.init(state:))
            ?? loaded.record.config.seed.map { RandomSource(seed: $0) } ?? RandomSource()
        return RunStart(model: loaded.model, solver: loaded.solver, random: random, ticks: checkpoint.ticks,
                        epoch: checkpoint.epoch, firstLoss: checkpoint.firstLoss)
    }

    private func trainUntilStopped() throws -> JobOutcome {
        while true {
            if let outcome = readControl() { return try finish(outcome) }
            // The schedule's budget is max_ticks, when set.
            let report = run.tick(progress: settings.maxTicks.map { Double(run.ticks) / Double(max(1, $0)) })
            if let validation = report.validation { recordValidation(validation, isBest: report.isBestValidation) }
            if report.diverged { return failDiverged(loss: report.result.loss) }
            recordFigures(report.result)
            let now = TrainingRun.monotonicSeconds()
            publishSnapshotIfDue(now: now)
            if let metric = report.metric { recordMetric(metric) }
            reportProgressIfDue(now: now)
            try flushIfDue(now: now)
            // Validation stopped improving (early_stop): the job is done.
            if report.stopsEarly { return try finish(.succeeded) }
        }
    }

    // MARK: Between ticks

    /// Answers state requests and takes the latest settings; the outcome
    /// when the job is to stop.
    private func readControl() -> JobOutcome? {
        let (command, current, requests) = job.takeControl()
        if !requests.isEmpty {
            let copy = state()
            for request in requests { request.resume(returning: copy) }
        }
        settings = current
        switch command {
        case .run: break
        case .pause: return .paused
        case .cancel: return .cancelled
        case .delete: return .deleted
        case .shutdown: return .shutdown
        case .leaseLost: return .leaseLost
        }
        if let maxTicks = settings.maxTicks, run.ticks >= maxTicks { return .succeeded }
        // A PATCH sets the rate; between PATCHes the trainer's own decay
        // (text corpora, per pass) carries it.
        run.setLearningRate(settings.learningRate)
        // The node's cores are shared among the jobs training now.
        run.setWorkerCount(job.threads)
        figures.threads = run.workerCount
        return nil
    }

    private func state() -> TrainingState {
        let saved = run.savedState()
        return TrainingState(model: saved.model, solver: saved.solver, ticks: saved.ticks, epoch: saved.epoch,
                             randomState: saved.random.state)
    }

    // MARK: Figures and events

    private func recordValidation(_ validation: ValidationResult, isBest: Bool) {
        figures.validationLoss = validation.loss
        if isBest, let best = run.trainer.bestValidation {
            figures.bestValidationLoss = best.loss
            figures.bestStep = best.step
            if let bestModel = run.trainer.bestModel {
                let weights = CheckpointCodec.encode(network: bestModel.network, solver: Solver(optimizer: config.optimizer))
                job.writer.saveBest(BestWeights(weights: weights, step: best.step, validationLoss: best.loss))
            }
        }
        job.hub.publish(.validation(ValidationEvent(id: job.modelID, step: validation.step, validationLoss: validation.loss,
                                                    bestValidationLoss: figures.bestValidationLoss,
                                                    bestStep: figures.bestStep)))
    }

    private func recordFigures(_ result: TickResult) {
        figures.ticks = run.ticks
        figures.epoch = run.epoch
        figures.latestPerplexity = result.perplexity
        figures.clippedRatio = Double(result.clippedFraction)
        figures.learningRate = run.learningRate
    }

    /// Every `sampleInterval` ticks: new weights for the other threads, and a
    /// round of recorded samples when one is due and the last has finished.
    private func publishSnapshotIfDue(now: Double) {
        guard run.ticks % TrainingJob.sampleInterval == 0 else { return }
        let snapshot = run.model.copy()
        job.publish(snapshot: snapshot)
        if now - lastSampleRound >= RecordedSamples.roundSeconds,
           job.samples.startRound(from: snapshot, step: run.ticks, temperature: settings.sampleTemperature) {
            lastSampleRound = now
        }
    }

    private func recordMetric(_ metric: MetricSummary) {
        let point = MetricPoint(step: metric.step, medianPerplexity: metric.medianPerplexity, meanLoss: metric.meanLoss,
                                learningRate: metric.learningRate, ticksPerSecond: metric.ticksPerSecond,
                                time: StoreClock.now, validationLoss: figures.validationLoss)
        pendingMetrics.append(point)
        job.hub.publish(.metric(point))
    }

    private func reportProgressIfDue(now: Double) {
        guard now - lastProgress >= TrainingJob.progressSeconds else { return }
        let speed = run.measureSpeed(now: now)
        figures.ticksPerSecond = speed.ticksPerSecond
        figures.charactersPerSecond = speed.charactersPerSecond
        figures.medianPerplexity = run.medianPerplexity
        figures.lastTickAt = StoreClock.now
        lastProgress = now
        countProgress()
        job.publish(snapshot: nil, figures: figures)
        job.hub.publish(.progress(ProgressEvent(
            id: job.modelID, ticks: run.ticks, epoch: figures.epoch, perplexity: figures.latestPerplexity,
            medianPerplexity: figures.medianPerplexity, ticksPerSecond: figures.ticksPerSecond,
            charactersPerSecond: figures.charactersPerSecond, learningRate: settings.learningRate)))
    }

    /// Adds the progress since the last call to the service's counters.
    private func countProgress() {
        job.metrics.ticks.increment(by: Int64(run.ticks - counted.ticks))
        job.metrics.charactersTrained.increment(by: Int64(run.predictions - counted.predictions))
        counted = (run.ticks, run.predictions)
    }

    // MARK: Writes

    private func flushIfDue(now: Double) throws {
        if now - lastCheckpoint >= job.checkpointSeconds {
            try flush(checkpoint: true)
            lastCheckpoint = now
            lastFlush = now
        } else if now - lastFlush >= TrainingJob.flushSeconds {
            try flush(checkpoint: false)
            lastFlush = now
        }
    }

    /// Queues the figures, metric points and samples since the last flush,
    /// and a checkpoint when asked; throws a write that failed before.
    private func flush(checkpoint: Bool) throws {
        // At most one checkpoint in flight: when the disk is slower than the
        // interval, training waits rather than letting unwritten checkpoints
        // (and the progress a crash would lose) pile up.
        // A job whose lease was lost meanwhile stops at once rather than
        // waiting for a write that will be refused (or hangs on a dead
        // connection until the store gives it up).
        if checkpoint, !job.writer.waitForQueue(unless: { job.leaseIsLost }) {
            throw StoreWriteError(message: "the job's lease was lost", leaseLost: true)
        }
        let samples = job.samples.take()
        var written = figures
        written.greedyText = job.samples.latestGreedy
        let metrics = pendingMetrics
        let saved = checkpoint ? makeCheckpoint() : nil
        pendingMetrics.removeAll()
        try job.writer.checkFailure()
        job.writer.write(figures: written, metrics: metrics, samples: samples, checkpoint: saved)
    }

    private func makeCheckpoint() -> Checkpoint {
        Checkpoint(weights: CheckpointCodec.encode(network: run.model.network, solver: run.trainer.solver),
                   randomState: run.trainer.random.state, ticks: run.ticks, epoch: run.epoch,
                   firstLoss: run.firstLoss, time: StoreClock.now)
    }

    // MARK: Ending

    /// Stops on a diverged tick (see `DivergenceRule`): what was recorded is
    /// written, the diverged weights are not, and the last good checkpoint stays.
    private func failDiverged(loss: Double) -> JobOutcome {
        let store = job.store, modelID = job.modelID
        // The model row names its checkpoint's tick: no need to read the weights.
        let saved = (try? Background.wait { try await store.model(modelID)?.checkpointTicks }) ?? 0
        let message = "training diverged at tick \(run.ticks): loss \(loss) per character"
            + (run.firstLoss.map { String(format: " (the first recorded loss was %.4f)", $0) } ?? "")
            + "; the weights of the last good checkpoint (tick \(saved)) are kept. "
            + "Try a lower learning rate (for example \(settings.learningRate / 10)) and resume."
        figures.lastTickAt = StoreClock.now
        job.samples.waitForRound()
        try? flush(checkpoint: false)
        try? job.writer.drain()
        job.withdrawSnapshot()
        job.retire(state: nil)
        return .failed(message)
    }

    /// Stops on request or at `max_ticks`: the last samples land, then one
    /// flush with a checkpoint (nothing for a model being deleted).
    private func finish(_ outcome: JobOutcome) throws -> JobOutcome {
        countProgress()
        if outcome == .leaseLost {
            // Queued writes will be refused; waiting could mean waiting for
            // a database that is away.
            job.retire(state: nil)
            return outcome
        }
        if outcome == .deleted {
            job.writer.waitForQueue()
            job.retire(state: nil)
            return outcome
        }
        job.samples.waitForRound()
        figures.lastTickAt = figures.lastTickAt ?? StoreClock.now
        try flush(checkpoint: true)
        try job.writer.drain()
        job.publish(snapshot: run.model.copy(), figures: figures)
        job.retire(state: state())
        return outcome
    }
}
