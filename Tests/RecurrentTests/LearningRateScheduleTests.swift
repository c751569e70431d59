import Foundation
import Testing
@testable import Recurrent

struct LearningRateScheduleTests {
    @Test func theDefaultChangesNothing() {
        let schedule = LearningRateSchedule()
        #expect(schedule.isConstant)
        for tick in [0, 1, 100, 10_000] { #expect(schedule.factor(tick: tick, progress: 0.5) == 1) }
    }

    @Test func warmUpRisesLinearlyThenHolds() {
        let schedule = LearningRateSchedule(warmupTicks: 4)
        #expect(!schedule.isConstant)
        #expect([0, 1, 2, 3, 4, 50].map { schedule.factor(tick: $0, progress: nil) } == [0.25, 0.5, 0.75, 1, 1, 1])
    }

    @Test func cosineFallsFromTheBaseToATenth() {
        let schedule = LearningRateSchedule(shape: .cosine)
        #expect(schedule.factor(tick: 0, progress: 0) == 1)
        #expect(abs(schedule.factor(tick: 0, progress: 0.5) - 0.55) < 1e-12)
        #expect(abs(schedule.factor(tick: 0, progress: 1) - 0.1) < 1e-12)
        #expect(abs(schedule.factor(tick: 0, progress: 7) - 0.1) < 1e-12, "past the budget it stays at the floor")
        #expect(schedule.factor(tick: 0, progress: nil) == 1, "no known budget: the base rate")
        let falling = stride(from: 0.0, through: 1, by: 0.1).map { schedule.factor(tick: 0, progress: $0) }
        #expect(zip(falling, falling.dropFirst()).allSatisfy { $1 < $0 })
    }

    @Test func warmUpAndCosineMultiply() {
        let schedule = LearningRateSchedule(shape: .cosine, warmupTicks: 10)
        let expected = 0.5 * (0.1 + 0.9 * (1 + cos(Double.pi * 0.2)) / 2)
        #expect(abs(schedule.factor(tick: 4, progress: 0.2) - expected) < 1e-12)
    }
}
