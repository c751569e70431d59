import Foundation
@testable import RecurrentPostgres
import RecurrentStore
import Testing

enum HistoryFixtures {
    static func point(_ step: Int, validationLoss: Double? = nil) -> MetricPoint {
        MetricPoint(step: step, medianPerplexity: 10 - Double(step) / 1000, meanLoss: 2.5, learningRate: 0.01,
                    ticksPerSecond: 42, time: 1_700_000_000 + Double(step), validationLoss: validationLoss)
    }

    static func sample(_ step: Int, kind: SampleEntry.Kind = .sample, text: String = "hello") -> SampleEntry {
        SampleEntry(step: step, kind: kind, temperature: kind == .sample ? 0.8 : nil, text: text,
                    time: 1_700_000_000 + Double(step))
    }
}

extension PostgresStoreTests {
    @Suite struct History {
        @Test func flushWritesFiguresHistoryAndCheckpointAndKeepsGreedyText() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await store.insert(StoreFixtures.newModel(), status: .running,
                                                checkpoint: StoreFixtures.checkpoint()).id
                let figures = ProgressFigures(ticks: 200, epoch: 1.5, latestPerplexity: 7.5, medianPerplexity: 8,
                                              ticksPerSecond: 120, charactersPerSecond: 9000, lastTickAt: 1_700_000_100,
                                              clippedRatio: 0.25, greedyText: "hello world", learningRate: 0.02,
                                              validationLoss: 2.1, bestValidationLoss: 2.0, bestStep: 100)
                let checkpoint = StoreFixtures.checkpoint(bytes: 1000, ticks: 200, seed: 7)
                try await store.flush(id, figures: figures, metrics: [HistoryFixtures.point(100), HistoryFixtures.point(200)],
                                      samples: [HistoryFixtures.sample(200), HistoryFixtures.sample(200, kind: .greedy)],
                                      checkpoint: checkpoint)
                let record = try #require(try await store.model(id))
                var expected = figures
                expected.learningRate = 0.02  // the model's setting
                #expect(record.figures == expected)
                #expect(record.checkpointTicks == 200)
                #expect(try await store.checkpoint(id) == checkpoint)
                #expect(try await store.metrics(id, afterStep: 0, limit: 10) == [HistoryFixtures.point(100),
                                                                                  HistoryFixtures.point(200)])
                #expect(try await store.samples(id, after: 0, limit: 10).map(\.kind) == [.sample, .greedy])

                // No greedy text keeps the stored one; NaN and infinite figures read as none.
                var next = ProgressFigures(ticks: 300, epoch: 2, latestPerplexity: .nan, medianPerplexity: .infinity,
                                           ticksPerSecond: .nan, validationLoss: .nan, bestValidationLoss: .nan)
                next.greedyText = nil
                try await store.flush(id, figures: next, metrics: [HistoryFixtures.point(300, validationLoss: .nan)],
                                      samples: [], checkpoint: nil)
                let later = try #require(try await store.model(id))
                #expect(later.figures.greedyText == "hello world")
                #expect(later.figures.ticks == 300)
                #expect(later.figures.latestPerplexity == nil && later.figures.medianPerplexity == nil)
                #expect(later.figures.ticksPerSecond == nil)
                #expect(later.figures.validationLoss == nil && later.figures.bestValidationLoss == nil)
                #expect(try await store.metrics(id, afterStep: 200, limit: 10).first?.validationLoss == nil)
                #expect(try await store.checkpoint(id) == checkpoint)
            }
        }

        @Test func aFlushThatFailsWritesNothing() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await store.insert(StoreFixtures.newModel(), status: .running,
                                                checkpoint: StoreFixtures.checkpoint()).id
                // PostgreSQL text cannot hold NUL: the last statement fails.
                await #expect(throws: (any Error).self) {
                    try await store.flush(id, figures: ProgressFigures(ticks: 100), metrics: [HistoryFixtures.point(100)],
                                          samples: [HistoryFixtures.sample(100, text: "a\u{0}b")],
                                          checkpoint: StoreFixtures.checkpoint(ticks: 100))
                }
                #expect(try await store.model(id)?.ticks == 0)
                #expect(try await store.rowCounts(id)["metrics"] == 0)
                #expect(try await store.checkpoint(id)?.ticks == 0)
            }
        }

        @Test func metricsAndSamplesPage() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await store.insert(StoreFixtures.newModel(), status: .running,
                                                checkpoint: StoreFixtures.checkpoint()).id
                let points = (1...7).map { HistoryFixtures.point($0 * 100) }
                let samples = (1...7).map { HistoryFixtures.sample($0 * 100, text: "text \($0)") }
                try await store.flush(id, figures: ProgressFigures(ticks: 700), metrics: points, samples: samples,
                                      checkpoint: nil)
                #expect(try await store.metrics(id, afterStep: 0, limit: 3) == Array(points[0..<3]))
                #expect(try await store.metrics(id, afterStep: 300, limit: 3) == Array(points[3..<6]))
                #expect(try await store.metrics(id, afterStep: 700, limit: 3).isEmpty)
                let first = try await store.samples(id, after: 0, limit: 4)
                #expect(first.map(\.text) == ["text 1", "text 2", "text 3", "text 4"])
                #expect(first.allSatisfy { $0.id > 0 })
                #expect(first[0].temperature == 0.8 && first[0].step == 100)
                let rest = try await store.samples(id, after: first.last!.id, limit: 10)
                #expect(rest.map(\.text) == ["text 5", "text 6", "text 7"])
                #expect(try await store.metrics(id + 1, afterStep: 0, limit: 10).isEmpty)
            }
        }

        @Test func checkpointsAndBestWeightsKeepMegabytesExactly() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await store.insert(StoreFixtures.newModel(), status: .running,
                                                checkpoint: StoreFixtures.checkpoint()).id
                let checkpoint = Checkpoint(weights: StoreFixtures.data(3 << 20, seed: 3), randomState: nil, ticks: 900,
                                            epoch: 4.5, firstLoss: nil, time: 1_700_000_900)
                try await store.flush(id, figures: ProgressFigures(ticks: 900), metrics: [], samples: [],
                                      checkpoint: checkpoint)
                #expect(try await store.checkpoint(id) == checkpoint)

                #expect(try await store.bestWeights(id) == nil)
                let best = BestWeights(weights: StoreFixtures.data(2 << 20, seed: 4), step: 800, validationLoss: 1.25)
                try await store.saveBest(id, best)
                #expect(try await store.bestWeights(id) == best)
                let better = BestWeights(weights: StoreFixtures.data(2 << 20, seed: 5), step: 900, validationLoss: 1.0)
                try await store.saveBest(id, better)
                #expect(try await store.bestWeights(id) == better)
                // A model that is gone gets none.
                try await store.saveBest(id + 1000, better)
                #expect(try await store.bestWeights(id + 1000) == nil)
                #expect(try await store.checkpoint(id + 1000) == nil)
            }
        }
    }
}
