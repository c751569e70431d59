import Foundation
import Recurrent
import RecurrentSQLite
import RecurrentStore
import Testing

/// What a training job writes: flushes, checkpoints, best weights, the queue.
struct TrainingHistoryTests {
    @Test func flushWritesFiguresMetricsSamplesAndCheckpointInOneTransaction() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        let model = try await store.insert(Fixture.model(), status: .running, checkpoint: Fixture.checkpoint())
        let checkpoint = Fixture.checkpoint(ticks: 200, epoch: 2, byte: 7)
        try await store.flush(model.id, figures: Fixture.figures(ticks: 200, greedy: "the cat"),
                              metrics: [Fixture.metric(step: 100), Fixture.metric(step: 200)],
                              samples: [Fixture.sample(step: 200), Fixture.sample(step: 200, kind: .greedy)],
                              checkpoint: checkpoint)
        let flushed = try #require(try await store.model(model.id))
        #expect(flushed.figures.ticks == 200 && flushed.figures.greedyText == "the cat")
        #expect(flushed.figures.bestStep == 200 && flushed.figures.validationLoss == 2.5)
        #expect(flushed.checkpointTicks == 200)
        #expect(try await store.checkpoint(model.id) == checkpoint)
        let points = try await store.metrics(model.id, afterStep: 0, limit: 10)
        #expect(points.map(\.step) == [100, 200] && points.allSatisfy { $0.validationLoss == 2.2 && $0.meanLoss == 2.3 })
        #expect(try await store.metrics(model.id, afterStep: 100, limit: 10).map(\.step) == [200])
        let samples = try await store.samples(model.id, after: 0, limit: 10)
        #expect(samples.map(\.kind) == [.sample, .greedy] && samples.allSatisfy { $0.id > 0 && $0.text == "the cat 200" })
        #expect(samples[1].temperature == nil && samples[0].temperature == 0.8)
        #expect(try await store.samples(model.id, after: samples[0].id, limit: 10) == [samples[1]])

        // A nil greedy text keeps the stored one; non-finite losses are stored as NULL.
        var figures = Fixture.figures(ticks: 300)
        figures.validationLoss = .infinity
        try await store.flush(model.id, figures: figures, metrics: [], samples: [], checkpoint: nil)
        let later = try #require(try await store.model(model.id))
        #expect(later.figures.greedyText == "the cat" && later.figures.validationLoss == nil && later.ticks == 300)
        #expect(later.checkpointTicks == 200)

        // A flush that fails part-way (a metric SQLite refuses: NaN is NULL
        // in a NOT NULL column) leaves nothing of itself behind.
        var broken = Fixture.metric(step: 400)
        broken.medianPerplexity = .nan
        await #expect(throws: (any Error).self) {
            try await store.flush(model.id, figures: Fixture.figures(ticks: 400, greedy: "lost"),
                                  metrics: [Fixture.metric(step: 350), broken], samples: [Fixture.sample(step: 400)],
                                  checkpoint: Fixture.checkpoint(ticks: 400))
        }
        let unchanged = try #require(try await store.model(model.id))
        #expect(unchanged.ticks == 300 && unchanged.figures.greedyText == "the cat" && unchanged.checkpointTicks == 200)
        #expect(try await store.metrics(model.id, afterStep: 200, limit: 10).isEmpty)
        #expect(try await store.samples(model.id, after: 0, limit: 10).count == 2)
        try await store.close()
    }

    @Test func rewindToCheckpointDropsLaterHistory() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        let model = try await store.insert(Fixture.model(), status: .running, checkpoint: Fixture.checkpoint())
        try await store.flush(model.id, figures: Fixture.figures(ticks: 100), metrics: [Fixture.metric(step: 100)],
                              samples: [Fixture.sample(step: 100)], checkpoint: Fixture.checkpoint(ticks: 100, epoch: 1.5))
        try await store.flush(model.id, figures: Fixture.figures(ticks: 250), metrics: [Fixture.metric(step: 200)],
                              samples: [Fixture.sample(step: 200), Fixture.sample(step: 250, kind: .greedy)], checkpoint: nil)
        try await store.rewindToCheckpoint(model.id)
        let rewound = try #require(try await store.model(model.id))
        #expect(rewound.ticks == 100 && rewound.figures.epoch == 1.5)
        #expect(try await store.metrics(model.id, afterStep: 0, limit: 10).map(\.step) == [100])
        #expect(try await store.samples(model.id, after: 0, limit: 10).map(\.step) == [100])
        // A model without a checkpoint row is left alone.
        try await store.rewindToCheckpoint(model.id + 1)
        try await store.close()
    }

    @Test func interruptedModelsRunningFirstThenFirstInFirstOut() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        func insert(_ status: ModelStatus) async throws -> ModelID {
            let id = try await store.insert(Fixture.model(), status: status, checkpoint: Fixture.checkpoint()).id
            try await Task.sleep(for: .milliseconds(5))
            return id
        }
        let requeued = try await insert(.queued)
        let running = try await insert(.idle)
        try await store.setStatus(running, .running)
        _ = try await insert(.paused)
        let queuedLater = try await insert(.idle)
        try await store.setStatus(queuedLater, .queued)
        try await Task.sleep(for: .milliseconds(5))
        // Queued again: it joins the end of the queue.
        try await store.setStatus(requeued, .queued)
        let secondRunning = try await insert(.running)
        _ = try await insert(.succeeded)
        #expect(try await store.interruptedModels() == [running, secondRunning, queuedLater, requeued])
        try await store.close()
    }

    @Test func bestWeightsAreKeptAndReplaced() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        let model = try await store.insert(Fixture.model(), status: .running, checkpoint: Fixture.checkpoint())
        #expect(try await store.bestWeights(model.id) == nil)
        let first = BestWeights(weights: Data([1, 2, 3]), step: 200, validationLoss: 2.5)
        try await store.saveBest(model.id, first)
        #expect(try await store.bestWeights(model.id) == first)
        let better = BestWeights(weights: Data([4, 5]), step: 400, validationLoss: 2.1)
        try await store.saveBest(model.id, better)
        #expect(try await store.bestWeights(model.id) == better)
        #expect(try await store.rowCounts(model.id)["best_weights"] == 1)
        // Nothing is kept for a model that is gone.
        try await store.saveBest(model.id + 1, first)
        #expect(try await store.bestWeights(model.id + 1) == nil)
        try await store.close()
    }
}
