import Foundation
import Recurrent
import RecurrentTraining

/// How long a training run lasts.
enum TrainingBudget {
    /// This many ticks in this run (a resumed count goes on from the file's).
    case ticks(Int)
    /// This much wall-clock time.
    case seconds(Double)

    func isSpent(ticks: Int, elapsed: Double) -> Bool {
        switch self {
        case .ticks(let limit): ticks >= limit
        case .seconds(let limit): elapsed >= limit
        }
    }

    /// The fraction spent (for the learning-rate schedule).
    func progress(ticks: Int, elapsed: Double) -> Double {
        switch self {
        case .ticks(let limit): limit > 0 ? Double(ticks) / Double(limit) : 1
        case .seconds(let limit): limit > 0 ? elapsed / limit : 1
        }
    }

    func secondsLeft(ticks: Int, elapsed: Double) -> Double {
        switch self {
        case .ticks(let limit): ticks == 0 ? .infinity : Double(limit - ticks) * elapsed / Double(ticks)
        case .seconds(let limit): max(0, limit - elapsed)
        }
    }
}

/// Runs training ticks until the budget is spent, Ctrl-C, or divergence (the
/// shared `DivergenceRule`),
/// reporting progress and, every so often, samples on stderr.
struct TrainingSession {
    /// Samples are shown every 1000 ticks or 10 seconds, whichever is rarer,
    /// so small models don't flood the screen and large ones still show some.
    static let sampleTicks = 1000
    static let sampleInterval: Duration = .seconds(10)
    static let samplesAtTemperatureOne = 3

    let training: TrainingRun
    let budget: TrainingBudget
    /// Separate from the trainer's generator, so that when samples appear
    /// (which depends on timing) never changes what is trained.
    var sampleRandom: RandomSource

    private var trainer: any ModelTrainer { training.trainer }

    struct Outcome {
        var ticks: Int
        var elapsed: Double
        var interrupted: Bool
        /// The loss of the tick that diverged (see `DivergenceRule`), if one did.
        var divergedLoss: Double?
        /// Stopped because validation stopped improving (`--early-stop`).
        var stoppedEarly = false
        var medianPerplexity: Double
    }

    mutating func run(interrupt: InterruptSignal, style: ProgressReporter.Style) -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        var reporter = ProgressReporter(style: style, ticks: trainer.ticks, now: start)
        var lastSample = (ticks: trainer.ticks, time: start)
        var ticks = 0
        var interrupted = false
        var divergedLoss: Double?
        var stoppedEarly = false
        var now = start

        func progress() -> TrainingProgress {
            let elapsed = Self.seconds(now - start)
            return TrainingProgress(ticks: trainer.ticks, epoch: trainer.epoch, perplexity: training.medianPerplexity ?? .nan,
                                    charactersPerSecond: elapsed > 0 ? Double(training.predictions) / elapsed : 0,
                                    secondsLeft: budget.secondsLeft(ticks: ticks, elapsed: elapsed),
                                    validationLoss: trainer.latestValidation?.loss, bestValidation: trainer.bestValidation)
        }

        while !budget.isSpent(ticks: ticks, elapsed: Self.seconds(now - start)) {
            if interrupt.isSet {
                interrupted = true
                break
            }
            let report = training.tick(progress: budget.progress(ticks: ticks, elapsed: Self.seconds(now - start)))
            ticks += 1
            now = clock.now
            if report.diverged {
                divergedLoss = report.result.loss
                break
            }
            if report.stopsEarly {
                stoppedEarly = true
                break
            }
            if reporter.isDue(ticks: trainer.ticks, now: now) {
                let current = progress()
                reporter.show(current, now: now)
            }
            if trainer.ticks - lastSample.ticks >= Self.sampleTicks && now - lastSample.time >= Self.sampleInterval {
                reporter.interject(samples())
                lastSample = (trainer.ticks, now)
            }
        }
        now = clock.now
        var final = progress()
        if interrupted { final.secondsLeft = 0 }
        reporter.finish(final, now: now)
        return Outcome(ticks: ticks, elapsed: Self.seconds(now - start), interrupted: interrupted,
                       divergedLoss: divergedLoss, stoppedEarly: stoppedEarly,
                       medianPerplexity: training.medianPerplexity ?? .nan)
    }

    /// A few samples at temperature 1 and the greedy one, as the demo shows.
    private mutating func samples() -> String {
        let model = trainer.model
        var text = "samples at tick \(trainer.ticks):\n"
        for _ in 0..<Self.samplesAtTemperatureOne {
            let sample = (try? model.sample(SamplingOptions(temperature: 1), random: &sampleRandom)) ?? ""
            text += "  \(sample)\n"
        }
        let greedy = (try? model.sample(SamplingOptions(greedy: true), random: &sampleRandom)) ?? ""
        return text + "  greedy: \(greedy)\n"
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
