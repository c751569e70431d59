import Foundation
import Testing
@testable import Recurrent

/// Text corpora: split, parallel streams, truncated BPTT, validation.
@Suite struct TextTrainingTests {
    /// A small text with plenty of structure to learn.
    static let text = (0..<60).map { "line \($0 % 7): the quick model reads row \($0 % 5).\n" }.joined()

    /// Adam's default rate for a text: 0.002 × √(512 / widest layer), at
    /// most 0.004, to two digits; RMSProp keeps 0.002.
    @Test func theDefaultTextRateShrinksWithTheWidestLayer() {
        let rates: [([Int], Double)] = [([20, 20], 0.004), ([128, 128], 0.004), ([64, 256], 0.0028), ([200], 0.0032),
                                        ([384, 384], 0.0023), ([512, 512], 0.002), ([1024], 0.0014), ([4096], 0.00071)]
        for (sizes, rate) in rates {
            #expect(TrainingSettings.textDefaultLearningRate(hiddenSizes: sizes, optimizer: .adam) == rate, "\(sizes)")
        }
        #expect(TrainingSettings.textDefaultLearningRate(hiddenSizes: [20], optimizer: .rmsprop) == 0.002)
        #expect(TrainingSettings.textDefaultOptimizer == .adam)
    }

    @Test func splitIsContiguousAndDeterministic() throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let first = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0.1)
        let second = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0.1)
        let all = try vocabulary.encode(Self.text).get()
        #expect(first.training == second.training && first.validation == second.validation)
        #expect(first.validation.count == Int(Double(all.count) * 0.1))
        #expect(first.training + first.validation == all)
        #expect(throws: TrainingError.self) { try TextCorpus(text: "a", vocabulary: vocabulary, validationFraction: 0) }
        #expect(throws: TrainingError.self) { try TextCorpus(text: "#~", vocabulary: vocabulary, validationFraction: 0) }
    }

    @Test func streamsCoverTheTextInParallelWindows() {
        var streams = TextStreams(text: Array(1...12), width: 3)
        var grid = SequenceGrid()
        #expect(streams.nextWindow(into: &grid, steps: 3))
        #expect(grid.steps == 3 && grid.width == 3)
        // Streams start at 1, 5 and 9; START comes first.
        #expect(grid.inputs == [0, 0, 0, 1, 5, 9, 2, 6, 10])
        #expect(grid.targets == [1, 5, 9, 2, 6, 10, 3, 7, 11])
        #expect(streams.nextWindow(into: &grid, steps: 3))
        #expect(grid.steps == 1)
        #expect(grid.inputs == [3, 7, 11] && grid.targets == [4, 8, 12])
        #expect(!streams.nextWindow(into: &grid, steps: 3))
        #expect(streams.atStart)
    }

    /// Data-parallel workers train the same model as one thread: the same
    /// costs and, tick after tick with carried state, the same weights (up to
    /// the order of float additions).
    @Test(arguments: [2, 3])
    func workersTrainTheSameModelAsOneThread(workers: Int) throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0)
        func trainer(_ workers: Int) -> TextTrainer {
            var random = RandomSource(seed: 11)
            let model = CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: [12, 10], letterSize: 6, random: &random)
            return TextTrainer(model: model, corpus: corpus, settings: TrainingSettings(learningRate: 0.01, batchSize: 24),
                               options: TextTrainingOptions(sequenceLength: 9, validationInterval: 0, workers: workers),
                               random: random)
        }
        let single = trainer(1), parallel = trainer(workers)
        #expect(single.workerCount == 1)
        #expect(parallel.workerCount == workers)
        for _ in 0..<6 {
            let one = single.tick(), many = parallel.tick()
            #expect(one.predictions == many.predictions)
            #expect(abs(one.cost - many.cost) <= 1e-4 * abs(one.cost), "cost \(one.cost) vs \(many.cost)")
        }
        for (mine, theirs) in zip(single.model.network.parameters, parallel.model.network.parameters) {
            let a = mine.matrix.valueArray, b = theirs.matrix.valueArray
            // Within 1% of one learning-rate step (RMSProp's steps are about
            // the learning rate in size whatever the gradient's scale).
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-4, "\(mine.name) differs by \(worst)")
            // The replicas' gradients were all moved into the model and cleared.
            #expect(theirs.matrix.gradientArray.allSatisfy { $0 == 0 })
        }
        // Too few streams for more workers: one per 8 streams at most.
        var random = RandomSource(seed: 1)
        let small = CharacterModel(vocabulary: vocabulary, generator: .rnn, hiddenSizes: [4], letterSize: 2, random: &random)
        let narrow = TextTrainer(model: small, corpus: corpus, settings: TrainingSettings(batchSize: 12),
                                 options: TextTrainingOptions(workers: 4), random: random)
        #expect(narrow.workerCount == 1)
    }

    /// Changing the number of workers between ticks (1, then 3, 2 and 1
    /// again) carries every stream's state over: the costs stay those of one
    /// thread throughout, where forgetting the state would change them.
    @Test func changingTheWorkersBetweenTicksCarriesTheState() throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0)
        func trainer() -> TextTrainer {
            var random = RandomSource(seed: 11)
            let model = CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: [12, 10], letterSize: 6, random: &random)
            return TextTrainer(model: model, corpus: corpus, settings: TrainingSettings(learningRate: 0.01, batchSize: 24),
                               options: TextTrainingOptions(sequenceLength: 9, validationInterval: 0), random: random)
        }
        let steady = trainer(), changing = trainer(), forgetting = trainer()
        var largestGap = 0.0
        for (tick, count) in [1, 1, 3, 3, 2, 2, 1, 1].enumerated() {
            changing.setWorkerCount(count)
            #expect(changing.workerCount == count)
            if tick > 0 { forgetting.resume(atEpoch: forgetting.epoch) }
            let one = steady.tick(), many = changing.tick(), reset = forgetting.tick()
            #expect(abs(one.cost - many.cost) <= 1e-4 * abs(one.cost), "tick \(tick): cost \(one.cost) vs \(many.cost)")
            largestGap = max(largestGap, abs(one.cost - reset.cost) / abs(one.cost))
        }
        // The check above can fail: starting each window from zero state moves the cost by far more.
        #expect(largestGap > 1e-3, "zero state changed the cost by only \(largestGap)")
        changing.setWorkerCount(64)
        #expect(changing.workerCount == 3, "at most one worker per 8 of the 24 streams")
    }

    /// Training flushes subnormals to zero only while it runs: the calling
    /// thread (in a service, one that also parses requests) gets its mode back.
    /// Workers share validations too: the same loss over the same characters.
    @Test func workersShareTheValidation() throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0.3)
        func validation(_ workers: Int) throws -> (ValidationResult, Int) {
            var random = RandomSource(seed: 4)
            let model = CharacterModel(vocabulary: vocabulary, generator: .gru, hiddenSizes: [12], letterSize: 5, random: &random)
            let trainer = TextTrainer(model: model, corpus: corpus, settings: TrainingSettings(batchSize: 24),
                                      options: TextTrainingOptions(sequenceLength: 10, validationInterval: 0, workers: workers),
                                      random: random)
            let result = try #require(trainer.validate())
            return (result, trainer.validationGraphs.count)
        }
        let (single, singleShares) = try validation(1)
        let (shared, sharedShares) = try validation(3)
        #expect(singleShares == 1 && sharedShares == 3)
        #expect(single.predictions == shared.predictions && single.predictions > 600)
        expectClose(shared.loss, single.loss, relative: 1e-6, "validation loss")
    }

    @Test func trainingLeavesTheThreadsFloatingPointModeAsItWas() throws {
        #expect(!FloatingPointMode.flushesSubnormals)
        #expect(FloatingPointMode.withSubnormalsFlushedToZero { FloatingPointMode.flushesSubnormals })
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0.1)
        var random = RandomSource(seed: 2)
        let model = CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: [6], letterSize: 3, random: &random)
        let text = TextTrainer(model: model, corpus: corpus, settings: TrainingSettings(batchSize: 16),
                               options: TextTrainingOptions(sequenceLength: 8, validationInterval: 1, workers: 2), random: random)
        text.tick()
        _ = text.validate()
        let sentences = try CharacterTrainer(model: model, sentences: ["the quick model", "reads row"], random: random)
        sentences.tick()
        BLASThreads.set(1)
        #expect(!FloatingPointMode.flushesSubnormals, "the thread was left flushing subnormals to zero")
        // A subnormal double still reads as itself.
        #expect(Double("1e-310")! > 0)
    }

    @Test func validationLossFallsAndTheBestModelIsKept() throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0.1)
        var random = RandomSource(seed: 3)
        let model = CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: [32], letterSize: 8, random: &random)
        let trainer = TextTrainer(model: model, corpus: corpus,
                                  settings: TrainingSettings(learningRate: 0.01, batchSize: 8),
                                  options: TextTrainingOptions(sequenceLength: 16, validationInterval: 50), random: random)
        let initial = try #require(trainer.validate())
        for _ in 0..<400 { trainer.tick() }
        let final = try #require(trainer.latestValidation)
        #expect(final.step == 400)
        #expect(final.loss < initial.loss * 0.6, "validation loss \(initial.loss) -> \(final.loss)")
        let best = try #require(trainer.bestValidation)
        #expect(best.loss <= final.loss)
        #expect(trainer.epoch > 1)
        // The kept weights score the recorded best loss.
        let bestModel = try #require(trainer.bestModel)
        let probe = TextTrainer(model: bestModel, corpus: corpus, settings: TrainingSettings(batchSize: 8),
                                options: TextTrainingOptions(sequenceLength: 16), random: random)
        let rescored = try #require(probe.validate())
        #expect(abs(rescored.loss - best.loss) < 1e-9)
    }

    @Test func learningRateDecaysAtEachEpoch() throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0)
        var random = RandomSource(seed: 1)
        let model = CharacterModel(vocabulary: vocabulary, hiddenSizes: [8], letterSize: 4, random: &random)
        let trainer = TextTrainer(model: model, corpus: corpus, settings: TrainingSettings(learningRate: 0.01, batchSize: 4),
                                  options: TextTrainingOptions(sequenceLength: 100, learningRateDecay: 0.5), random: random)
        while trainer.completedEpochs < 2 { trainer.tick() }
        #expect(abs(trainer.settings.learningRate - 0.0025) < 1e-9)
        #expect(trainer.validate() == nil)
    }

    /// A run resumed at the epoch a checkpoint recorded goes on through the
    /// same windows as the run that was never stopped: the same epochs tick
    /// after tick, the same window sizes and the same epoch boundaries.
    @Test func resumingAtAnEpochContinuesWhereTheRunStopped() throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0)
        func trainer() -> TextTrainer {
            var random = RandomSource(seed: 2)
            let model = CharacterModel(vocabulary: vocabulary, hiddenSizes: [6], letterSize: 3, random: &random)
            // 7-step windows over six streams of 370 characters: the last window of each pass is shorter.
            return TextTrainer(model: model, corpus: corpus, settings: TrainingSettings(learningRate: 0.01, batchSize: 6),
                               options: TextTrainingOptions(sequenceLength: 7, validationInterval: 0), random: random)
        }
        let original = trainer()
        var epochs: [Double] = [], sizes: [Int] = [], passes: [Int] = []
        while original.completedEpochs < 3 {
            sizes.append(original.tick().predictions)
            epochs.append(original.epoch)
            passes.append(original.completedEpochs)
        }
        for stop in [0, 1, 37, 51, 52, 53, 54, 105, 130, epochs.count - 5] {
            let resumed = trainer()
            resumed.resume(atEpoch: epochs[stop])
            // (Stopped right after a pass's last window, the resumed run counts
            // that pass at once, the original at its next tick.)
            #expect(resumed.epoch == epochs[stop], "stopped after tick \(stop + 1)")
            for next in stop + 1..<min(stop + 70, epochs.count) {
                let predictions = resumed.tick().predictions
                #expect(predictions == sizes[next] && resumed.epoch == epochs[next] && resumed.completedEpochs == passes[next],
                        "stopped after tick \(stop + 1), tick \(next + 1)")
            }
        }
    }

    @Test func aBatchTrainedModelExportsAndLoadsBack() throws {
        let vocabulary = Vocabulary(sentences: [Self.text])
        let corpus = try TextCorpus(text: Self.text, vocabulary: vocabulary, validationFraction: 0.05)
        var random = RandomSource(seed: 4)
        let model = CharacterModel(vocabulary: vocabulary, generator: .gru, hiddenSizes: [16, 16], letterSize: 6, random: &random)
        let trainer = TextTrainer(model: model, corpus: corpus, settings: TrainingSettings(batchSize: 8, dropout: 0.2),
                                  options: TextTrainingOptions(sequenceLength: 12), random: random)
        for _ in 0..<20 { trainer.tick() }
        let loaded = try ModelFile.load(Data(try ModelFile.export(model, solver: trainer.solver).utf8))
        #expect(loaded.model.vocabulary.index(of: "\n") != nil)
        for (mine, theirs) in zip(model.network.parameters, loaded.model.network.parameters) {
            #expect(mine.matrix.valueArray == theirs.matrix.valueArray)
        }
    }
}
