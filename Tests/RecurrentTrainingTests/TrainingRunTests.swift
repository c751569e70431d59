import Foundation
import Recurrent
import RecurrentTraining
import Testing

/// The shared training run: one resume rule, one divergence rule.
@Suite struct TrainingRunTests {
    static let book = String(repeating: """
        It was the best of times, it was the worst of times, it was the age of wisdom, \
        it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.

        """, count: 6)

    static let textSettings = RunSettings(generator: .lstm, hiddenSizes: [8], letterSize: 4, seed: 11, corpus: .text,
                                          batchSize: 4, sequenceLength: 16, validationInterval: 0,
                                          learningRateDecay: 0.5, learningRate: 0.01)

    static func weights(_ model: CharacterModel) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: model.network.parameters.map { ($0.name, $0.matrix.valueArray) })
    }

    static func freshRun(_ settings: RunSettings, data: [String]) throws -> TrainingRun {
        try TrainingRun(settings: settings, data: data, start: .fresh(settings, vocabulary: Vocabulary(sentences: data)))
    }

    @Test("N ticks, then a resumed run over a pass boundary, train the weights of one uninterrupted run")
    func resumeAtAPassBoundaryMatchesAnUninterruptedRun() throws {
        let data = [Self.book]
        let once = try Self.freshRun(Self.textSettings, data: data)
        // N: one pass exactly. The hidden state starts afresh on a resume, as
        // it does at the start of every pass, so there the two runs agree exactly.
        while once.epoch < 1 { once.tick() }
        let passTicks = once.ticks
        try #require(once.epoch == 1 && passTicks > 5)
        let first = try Self.freshRun(Self.textSettings, data: data)
        for _ in 0..<passTicks { first.tick() }
        let saved = first.savedState()
        let resumed = try TrainingRun(settings: Self.textSettings, data: data, start: saved)
        // The resumed rate is the set one decayed once per completed pass.
        #expect(resumed.learningRate == Double(Float(0.01) * 0.5))
        #expect(resumed.learningRateAsSet == 0.01)
        // On past the next boundary, where both decay the rate again.
        for _ in 0..<(passTicks + 5) {
            once.tick()
            resumed.tick()
        }
        #expect(resumed.ticks == 2 * passTicks + 5 && once.ticks == resumed.ticks)
        #expect(resumed.epoch == once.epoch && resumed.epoch > 2)
        #expect(resumed.learningRate == once.learningRate)
        #expect(once.learningRate == Double(Float(0.01) * 0.5 * 0.5))
        #expect(Self.weights(resumed.model) == Self.weights(once.model))
    }

    @Test("the learning-rate rule forms the products an uninterrupted run forms")
    func resumedLearningRate() {
        var running: Float = 0.002
        for passes in 0..<50 {
            #expect(TrainingRun.resumedLearningRate(set: 0.002, decay: 0.97, completedEpochs: passes) == running)
            running *= 0.97
        }
        #expect(TrainingRun.resumedLearningRate(set: 0.002, decay: 1, completedEpochs: 7) == 0.002)
        // Past the smallest normal Float the trainer's rate is zero (it
        // multiplies with subnormals flushed), and so is the resumed one,
        // even when a later growth would have brought a subnormal back.
        #expect(TrainingRun.resumedLearningRate(set: 0.01, decay: 0.5, completedEpochs: 119) > 0)
        #expect(TrainingRun.resumedLearningRate(set: 0.01, decay: 0.5, completedEpochs: 120) == 0)
        #expect(TrainingRun.resumedLearningRate(set: 0.01, decay: 0.5, completedEpochs: 130) == 0)
        #expect(TrainingRun.resumedLearningRate(set: 1e-37, decay: 0.01, completedEpochs: 1) == 0)
    }

    @Test("a sentence run resumed from its saved state goes on exactly")
    func sentencesResume() throws {
        let sentences = ["the cat sat on the mat", "a dog ran in the park", "the sun is hot today"]
        let settings = RunSettings(hiddenSizes: [6], letterSize: 3, seed: 4, batchSize: 2)
        let once = try Self.freshRun(settings, data: sentences)
        let first = try Self.freshRun(settings, data: sentences)
        for _ in 0..<30 {
            once.tick()
            first.tick()
        }
        let resumed = try TrainingRun(settings: settings, data: sentences, start: first.savedState())
        #expect(resumed.firstLoss == once.firstLoss)
        for _ in 0..<30 {
            once.tick()
            resumed.tick()
        }
        #expect(Self.weights(resumed.model) == Self.weights(once.model))
    }

    // MARK: Divergence

    static func recent(_ perplexities: [Double]) -> RecentPerplexities {
        var recent = RecentPerplexities()
        for value in perplexities { recent.add(value) }
        return recent
    }

    @Test("a loss that is not a number, or infinite, is divergence, even on the first tick")
    func notFiniteDiverges() {
        let rule = DivergenceRule()
        #expect(rule.isDivergence(loss: .nan, perplexity: .nan, recent: RecentPerplexities()))
        #expect(rule.isDivergence(loss: .infinity, perplexity: .infinity, recent: Self.recent([2, 2, 2])))
        #expect(DivergenceRule(firstLoss: 1).isDivergence(loss: .nan, perplexity: .nan, recent: Self.recent([2])))
    }

    @Test("a single bad tick is not divergence; losses that stay high are")
    func oneBadTickIsNot() {
        let rule = DivergenceRule(firstLoss: 1)  // perplexity e at the first tick
        let healthy = Self.recent(Array(repeating: exp(0.8), count: 100))
        #expect(!rule.isDivergence(loss: 10, perplexity: exp(10), recent: healthy))
        let bad = Self.recent(Array(repeating: exp(4.0), count: 100))
        #expect(rule.isDivergence(loss: 10, perplexity: exp(10), recent: bad))
        // Too few ticks in the window to tell.
        let few = Self.recent(Array(repeating: exp(4.0), count: DivergenceRule.minimumTicks - 1))
        #expect(!rule.isDivergence(loss: 10, perplexity: exp(10), recent: few))
        // A loss under three times the first is never divergence.
        #expect(!rule.isDivergence(loss: 2.9, perplexity: exp(2.9), recent: bad))
    }

    @Test("a run stops counting at a NaN tick and reports it")
    func runReportsNaN() throws {
        let sentences = ["the cat sat on the mat", "a dog ran in the park"]
        let settings = RunSettings(hiddenSizes: [6], letterSize: 3, seed: 4)
        let run = try Self.freshRun(settings, data: sentences)
        for _ in 0..<5 { #expect(!run.tick().diverged) }
        let first = try #require(run.firstLoss)
        #expect(run.recent.count == 5)
        // Poison the weights: every loss from now on is NaN.
        for parameter in run.model.network.parameters { parameter.matrix.setValues(Array(repeating: .nan, count: parameter.matrix.count)) }
        let report = run.tick()
        #expect(report.diverged)
        #expect(run.recent.count == 5 && run.firstLoss == first, "a diverged tick is not counted")
    }

    @Test("metric points every 100 ticks, with the mean loss and the median perplexity")
    func metricPoints() throws {
        let sentences = ["the cat sat on the mat", "a dog ran in the park"]
        let settings = RunSettings(hiddenSizes: [6], letterSize: 3, seed: 4)
        let run = try Self.freshRun(settings, data: sentences)
        var points: [MetricSummary] = []
        var losses: [Double] = []
        for _ in 0..<250 {
            let report = run.tick()
            losses.append(report.result.loss)
            if let metric = report.metric { points.append(metric) }
        }
        #expect(points.map(\.step) == [100, 200])
        let mean = losses[100..<200].reduce(0, +) / 100
        #expect(abs(points[1].meanLoss - mean) < 1e-9)
        #expect(points[1].learningRate == 0.01)
        #expect(run.medianPerplexity != nil && run.recent.count == 100)
    }
}
