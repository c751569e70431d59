import Foundation
import Testing
@testable import Recurrent

/// Text corpora: split, parallel streams, truncated BPTT, validation.
@Suite struct TextTrainingTests {
    /// A small text with plenty of structure to learn.
    static let text = (0..<60).map { "line \($0 % 7): the quick model reads row \($0 % 5).\n" }.joined()

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
