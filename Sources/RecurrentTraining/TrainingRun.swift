import Foundation
import Recurrent

/// What one tick of a ``TrainingRun`` did.
public struct TickReport: Sendable {
    public var result: TickResult
    /// The validation run by this tick (text corpora), if one was due.
    public var validation: ValidationResult?
    /// Whether ``validation`` is the best so far.
    public var isBestValidation: Bool
    /// The tick diverged (see ``DivergenceRule``): its figures were not counted
    /// and the weights should not be trusted.
    public var diverged: Bool
    /// A metric point, every ``TrainingRun/metricInterval`` ticks.
    public var metric: MetricSummary?
    /// The validation loss has not improved for ``RunSettings/earlyStopPatience``
    /// validations in a row: the run should stop.
    public var stopsEarly = false
}

/// One training run, shared by `recurrent train` and the service's jobs: the
/// trainer built from ``RunSettings``, resumed from a ``RunStart`` with one
/// learning-rate rule, ticked with one ``DivergenceRule``, and the progress
/// figures both show.
///
/// Not thread-safe: one thread owns a run and ticks it.
public final class TrainingRun {
    /// A metric point every this many ticks.
    public static let metricInterval = 100

    public let trainer: any ModelTrainer
    public let settings: RunSettings
    /// The rate as last set (by the settings or ``setLearningRate(_:)``), before decay.
    public private(set) var learningRateAsSet: Double
    public private(set) var divergence: DivergenceRule
    /// The perplexities of the last 100 ticks.
    public private(set) var recent = RecentPerplexities()
    /// Predictions (characters scored) in this run.
    public private(set) var predictions = 0
    /// Validations since the best one (counted from this run's start).
    public private(set) var validationsSinceBest = 0

    private let clock: @Sendable () -> Double
    private var metricPerplexities: [Double] = []
    private var metricLoss = 0.0
    private var lastMetric: (time: Double, ticks: Int)
    private var lastSpeed: (time: Double, ticks: Int, predictions: Int)

    /// Builds the trainer for `settings` on `data` from `start`.
    ///
    /// `data` holds the sentences; a text corpus is their concatenation, one
    /// line each. A resumed text goes on from the window where `start.epoch`
    /// stopped, at the rate the decay had reached (see
    /// ``resumedLearningRate(set:decay:completedEpochs:)``).
    /// - Throws: `TrainingError` when the data does not fit the vocabulary or
    ///   has nothing to train on.
    public convenience init(settings: RunSettings, data: [String], start: RunStart,
                            clock: @escaping @Sendable () -> Double = TrainingRun.monotonicSeconds) throws {
        switch settings.corpus {
        case .sentences:
            try self.init(settings: settings, corpus: .sentences(data), start: start, clock: clock)
        case .text:
            let corpus = try TextCorpus(text: data.joined(separator: "\n"), vocabulary: start.model.vocabulary,
                                        validationFraction: settings.validationFraction)
            try self.init(settings: settings, corpus: .text(corpus), start: start, clock: clock)
        }
    }

    /// Builds the trainer for `settings` on a text already encoded (a file
    /// read by ``EncodedText``, a stored corpus), which must have been encoded
    /// with `start.model`'s vocabulary; otherwise as ``init(settings:data:start:clock:)``.
    /// - Throws: `TrainingError.noSentences` when too little text remains for
    ///   training; `TrainingError.vocabularyMismatch` for another vocabulary.
    public convenience init(settings: RunSettings, text: EncodedText, start: RunStart,
                            clock: @escaping @Sendable () -> Double = TrainingRun.monotonicSeconds) throws {
        precondition(settings.corpus == .text, "an encoded text trains a text corpus")
        guard text.vocabulary == start.model.vocabulary else { throw TrainingError.vocabularyMismatch }
        let corpus = try TextCorpus(encoded: text, validationFraction: settings.validationFraction)
        try self.init(settings: settings, corpus: .text(corpus), start: start, clock: clock)
    }

    /// What a run trains on.
    private enum Corpus {
        case sentences([String])
        case text(TextCorpus)
    }

    private init(settings: RunSettings, corpus: Corpus, start: RunStart, clock: @escaping @Sendable () -> Double) throws {
        self.settings = settings
        self.clock = clock
        learningRateAsSet = settings.learningRate
        divergence = DivergenceRule(firstLoss: start.firstLoss)
        trainer = try Self.makeTrainer(settings, corpus: corpus, start: start)
        trainer.ticks = start.ticks
        let now = clock()
        lastMetric = (now, start.ticks)
        lastSpeed = (now, start.ticks, 0)
    }

    private static func makeTrainer(_ settings: RunSettings, corpus: Corpus, start: RunStart) throws -> any ModelTrainer {
        switch corpus {
        case .sentences(let data):
            return try CharacterTrainer(model: start.model, sentences: data, solver: start.solver,
                                        settings: settings.trainingSettings, random: start.random)
        case .text(let corpus):
            let trainer = TextTrainer(model: start.model, corpus: corpus, solver: start.solver,
                                      settings: settings.trainingSettings, options: settings.textOptions,
                                      random: start.random)
            trainer.resume(atEpoch: start.epoch)
            trainer.settings.learningRate = resumedLearningRate(set: trainer.settings.learningRate,
                                                                decay: trainer.options.learningRateDecay,
                                                                completedEpochs: trainer.completedEpochs)
            return trainer
        }
    }

    /// The learning-rate rule of a resumed run: the rate as set, decayed once
    /// per completed pass over the text, the same products in the same order
    /// as an uninterrupted run forms them (so resuming at a pass boundary
    /// trains exactly the same weights). Saved runs therefore keep the rate as
    /// set, never the decayed one.
    public static func resumedLearningRate(set rate: Float, decay: Float, completedEpochs: Int) -> Float {
        guard decay != 1, completedEpochs > 0 else { return rate }
        // Beyond this many passes the last bit no longer matters next to the time a loop would take.
        // The trainer multiplies with subnormals flushed to zero, so a rate
        // that falls below the smallest normal Float is zero there from then
        // on; flushed the same way here, a resumed run does not bring back a
        // subnormal rate (it did, once, after a pause in a test).
        func flushed(_ value: Float) -> Float { value.magnitude < Float.leastNormalMagnitude ? 0 : value }
        guard completedEpochs <= 100_000 else { return flushed(rate * pow(decay, Float(completedEpochs))) }
        var decayed = rate
        for _ in 0..<completedEpochs {
            decayed = flushed(decayed * decay)
            if decayed == 0 { break }
        }
        return decayed
    }

    /// Seconds on a monotonic clock.
    @Sendable public static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }

    // MARK: Figures

    public var model: CharacterModel { trainer.model }
    public var ticks: Int { trainer.ticks }
    public var epoch: Double { trainer.epoch }
    public var firstLoss: Double? { divergence.firstLoss }

    /// The rate in force: as set, unless a text corpus's decay or the
    /// schedule has changed it since.
    public var learningRate: Double {
        settings.learningRateDecay == 1 && settings.schedule.isConstant
            ? learningRateAsSet : Double(trainer.settings.learningRate)
    }

    /// Median perplexity of the last 100 ticks; nil before the first.
    public var medianPerplexity: Double? { recent.median }

    /// Threads sharing each tick: a text corpus's data-parallel workers, else 1.
    public var workerCount: Int { (trainer as? TextTrainer)?.workerCount ?? 1 }

    /// Changes a text corpus's workers between ticks (``TextTrainer/setWorkerCount(_:)``);
    /// sentence corpora train on one thread.
    public func setWorkerCount(_ count: Int) {
        (trainer as? TextTrainer)?.setWorkerCount(count)
    }

    /// Sets the rate (a service PATCH): the next tick uses it as given; the
    /// decay of a text corpus goes on from it at the next pass.
    public func setLearningRate(_ rate: Double) {
        guard rate != learningRateAsSet else { return }
        trainer.settings.learningRate = Float(rate)
        learningRateAsSet = rate
    }

    /// Ticks and characters per second since the previous call (or the start).
    public func measureSpeed(now: Double) -> TrainingSpeed {
        let elapsed = now - lastSpeed.time
        let speed = elapsed > 0
            ? TrainingSpeed(ticksPerSecond: Double(ticks - lastSpeed.ticks) / elapsed,
                            charactersPerSecond: Double(predictions - lastSpeed.predictions) / elapsed)
            : TrainingSpeed(ticksPerSecond: 0, charactersPerSecond: 0)
        lastSpeed = (now, ticks, predictions)
        return speed
    }

    /// The weights, solver state and place of the run, copied, to save or resume from.
    public func savedState() -> RunStart {
        RunStart(model: trainer.model.copy(), solver: trainer.solver.copy(), random: trainer.random,
                 ticks: trainer.ticks, epoch: trainer.epoch, firstLoss: firstLoss)
    }

    // MARK: Ticking

    /// One training tick, checked for divergence and counted in the figures.
    /// `progress` is the fraction of the run's budget (ticks or seconds)
    /// used before this tick, for the schedule; nil when the run has none.
    @discardableResult
    public func tick(progress: Double? = nil) -> TickReport {
        applySchedule(progress: progress)
        let result = trainer.tick()
        var report = TickReport(result: result, validation: nil, isBestValidation: false, diverged: false, metric: nil)
        if let validation = trainer.latestValidation, validation.step == trainer.ticks {
            report.validation = validation
            report.isBestValidation = trainer.bestValidation?.step == validation.step
            validationsSinceBest = report.isBestValidation ? 0 : validationsSinceBest + 1
            report.stopsEarly = settings.earlyStopPatience > 0 && validationsSinceBest >= settings.earlyStopPatience
        }
        if divergence.isDivergence(loss: result.loss, perplexity: result.perplexity, recent: recent) {
            report.diverged = true
            return report
        }
        divergence.record(result.loss)
        predictions += result.predictions
        recent.add(result.perplexity)
        metricPerplexities.append(result.perplexity)
        metricLoss += result.loss
        if trainer.ticks % Self.metricInterval == 0 { report.metric = closeMetric() }
        return report
    }

    /// Sets the next tick's rate: the rate as set, decayed once per completed
    /// pass, times the schedule's factor. (A constant schedule leaves the
    /// rate to the trainer, exactly as before schedules.)
    private func applySchedule(progress: Double?) {
        let schedule = settings.schedule
        guard !schedule.isConstant else { return }
        let passes = (trainer as? TextTrainer)?.completedEpochs ?? 0
        let base = Self.resumedLearningRate(set: Float(learningRateAsSet), decay: Float(settings.learningRateDecay),
                                            completedEpochs: passes)
        trainer.settings.learningRate = base * Float(schedule.factor(tick: trainer.ticks, progress: progress))
    }

    /// The metric point of the ticks since the previous one.
    private func closeMetric() -> MetricSummary? {
        guard let middle = RecentPerplexities.median(metricPerplexities) else { return nil }
        let now = clock()
        let elapsed = now - lastMetric.time
        let summary = MetricSummary(step: ticks, medianPerplexity: middle,
                                    meanLoss: metricLoss / Double(metricPerplexities.count),
                                    learningRate: learningRate,
                                    ticksPerSecond: elapsed > 0 ? Double(ticks - lastMetric.ticks) / elapsed : 0)
        metricPerplexities.removeAll(keepingCapacity: true)
        metricLoss = 0
        lastMetric = (now, ticks)
        return summary
    }
}
