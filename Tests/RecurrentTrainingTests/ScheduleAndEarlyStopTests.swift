import Foundation
import Recurrent
import RecurrentTraining
import Testing

/// The learning-rate schedule and early stopping of a ``TrainingRun``.
@Suite struct ScheduleAndEarlyStopTests {
    /// Each tick trains at the rate as set, decayed per pass, times the
    /// schedule's factor for the budget used before it.
    @Test func eachTickTrainsAtTheScheduledRate() throws {
        var settings = TrainingRunTests.textSettings
        settings.schedule = LearningRateSchedule(shape: .cosine, warmupTicks: 4)
        let run = try TrainingRunTests.freshRun(settings, data: [TrainingRunTests.book])
        let text = try #require(run.trainer as? TextTrainer)
        let budget = 30
        var sawDecay = false
        for tick in 0..<budget {
            let passes = text.completedEpochs
            let progress = Double(tick) / Double(budget)
            run.tick(progress: progress)
            // The rate the tick used (a pass that ended inside it decayed it once more).
            let decayed = TrainingRun.resumedLearningRate(set: 0.01, decay: 0.5, completedEpochs: text.completedEpochs)
            sawDecay = sawDecay || text.completedEpochs > passes
            let expected = decayed * Float(settings.schedule.factor(tick: tick, progress: progress))
            #expect(text.settings.learningRate == expected, "tick \(tick)")
            #expect(run.learningRate == Double(expected))
        }
        #expect(sawDecay, "the budget spans a pass boundary")
    }

    /// A constant schedule leaves the rate to the trainer: the same weights as before schedules.
    @Test func aConstantScheduleChangesNothing() throws {
        let plain = try TrainingRunTests.freshRun(TrainingRunTests.textSettings, data: [TrainingRunTests.book])
        let scheduled = try TrainingRunTests.freshRun(TrainingRunTests.textSettings, data: [TrainingRunTests.book])
        for tick in 0..<12 {
            plain.tick()
            scheduled.tick(progress: Double(tick) / 12)
        }
        #expect(TrainingRunTests.weights(plain.model) == TrainingRunTests.weights(scheduled.model))
    }

    /// With nothing learnt (rate 0, no L2) the validation loss never improves
    /// on the first: the run stops after `patience` validations without a new best.
    @Test func earlyStoppingAfterPatienceValidationsWithoutImprovement() throws {
        var settings = TrainingRunTests.textSettings
        settings.learningRate = 0
        settings.regc = 0
        settings.validationInterval = 2
        settings.validationFraction = 0.2
        settings.earlyStopPatience = 3
        let run = try TrainingRunTests.freshRun(settings, data: [TrainingRunTests.book])
        var stoppedAt: Int?
        for _ in 0..<20 where stoppedAt == nil {
            let report = run.tick()
            if report.stopsEarly { stoppedAt = run.ticks }
        }
        // Validations at ticks 2 (the best), 4, 6 and 8: three without a new best.
        #expect(stoppedAt == 8)
        #expect(run.validationsSinceBest == 3)

        // Learning, with a generous patience, it does not stop.
        var learning = TrainingRunTests.textSettings
        learning.validationInterval = 2
        learning.validationFraction = 0.2
        learning.earlyStopPatience = 5
        let improving = try TrainingRunTests.freshRun(learning, data: [TrainingRunTests.book])
        for _ in 0..<12 { #expect(!improving.tick().stopsEarly) }
    }
}
