import Foundation
import Testing
@testable import Recurrent

/// The character model: vocabulary, loss, learning, sampling and prediction.
@Suite struct CharacterModelTests {
    static let tenSentences = [
        "the cat sat.", "a dog ran home.", "we like tea.", "it is cold today.", "birds can fly.",
        "my bike is red.", "open the door.", "rain falls down.", "she reads a book.", "ten is more than two.",
    ]

    @Test func vocabularyFollowsTheOriginalsOrder() {
        let vocabulary = Vocabulary(sentences: ["b2a", "1ab c0"])
        #expect(vocabulary.letters == ["0", "1", "2", "b", "a", " ", "c"])
        #expect(vocabulary.index(of: "0") == 1)
        #expect(vocabulary.symbolCount == 8)
        #expect(Sentences.split("  one \n\n\r\n two\r\n   \n") == ["one", "two"])
    }

    @Test func costCountsEveryPredictionIncludingEnd() throws {
        var random = RandomSource(seed: 1)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: ["abc"]), random: &random)
        let evaluation = model.evaluate(sentences: ["abc", "cab", "abd"])
        #expect(evaluation.sentences == 2)
        #expect(evaluation.skipped == 1)
        #expect(evaluation.predictions == 8)
        // An untrained model is close to uniform over V+1 = 4 symbols.
        #expect(abs(evaluation.meanLoss - log(4.0)) < 0.05)
        #expect(abs(evaluation.perplexity - exp(evaluation.totalCost / 8)) < 1e-9)
    }

    @Test func tenSentencesAreLearnedToLowPerplexity() throws {
        var random = RandomSource(seed: 2024)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: Self.tenSentences), random: &random)
        let trainer = try CharacterTrainer(model: model, sentences: Self.tenSentences, random: random)
        let before = model.evaluate(sentences: Self.tenSentences).perplexity
        for _ in 0..<4000 { trainer.tick() }
        let after = model.evaluate(sentences: Self.tenSentences).perplexity
        #expect(before > 10)
        #expect(after < 1.5, "perplexity after 4000 ticks: \(after)")
        #expect(trainer.epoch == 400)
        // Greedy prediction now reproduces training sentences.
        let greedy = try model.sample(SamplingOptions(greedy: true), random: &random)
        #expect(Self.tenSentences.contains(greedy), "greedy: \(greedy)")
    }

    @Test func sameSeedGivesSameSamplesAndTrainingRuns() throws {
        func run(seed: UInt64) throws -> [String] {
            var random = RandomSource(seed: seed)
            let model = CharacterModel(vocabulary: Vocabulary(sentences: Self.tenSentences), generator: .gru,
                                       hiddenSizes: [16], letterSize: 4, random: &random)
            let trainer = try CharacterTrainer(model: model, sentences: Self.tenSentences, random: random)
            for _ in 0..<100 { trainer.tick() }
            var sampling = RandomSource(seed: seed)
            return try (0..<5).map { _ in try model.sample(SamplingOptions(temperature: 0.8), random: &sampling) }
        }
        let first = try run(seed: 9), second = try run(seed: 9), other = try run(seed: 10)
        #expect(first == second)
        #expect(first != other)
    }

    @Test func samplingHonoursPrimeMaximumLengthAndVocabulary() throws {
        var random = RandomSource(seed: 4)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: Self.tenSentences), random: &random)
        let sampler = try Sampler(model: model, options: SamplingOptions(temperature: 3, maxLength: 7, prime: "the "),
                                  random: random)
        let text = sampler.run()
        #expect(text.hasPrefix("the "))
        #expect(text.unicodeScalars.count <= 4 + 7)
        #expect(sampler.stopReason != nil)
        if text.unicodeScalars.count == 11 { #expect(sampler.stopReason == .length) }
        #expect(throws: Vocabulary.UnknownCharacter.self) {
            _ = try Sampler(model: model, options: SamplingOptions(prime: "the Q"), random: random)
        }
        do {
            _ = try model.sample(SamplingOptions(prime: "the#"), random: &random)
            Issue.record("accepted an unknown prime character")
        } catch let error as Vocabulary.UnknownCharacter {
            #expect(error.character == "#")
            #expect(error.offset == 3)
        }
    }

    @Test func nextCharacterProbabilitiesAreRankedAndSumBelowOne() throws {
        var random = RandomSource(seed: 8)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: Self.tenSentences), random: &random)
        let top = try model.nextCharacterProbabilities(after: "the c", topK: 5)
        #expect(top.count == 5)
        #expect(zip(top, top.dropFirst()).allSatisfy { $0.probability >= $1.probability })
        let all = try model.nextCharacterProbabilities(after: "", topK: 1000)
        #expect(all.count == model.vocabulary.symbolCount)
        #expect(abs(all.reduce(0) { $0 + $1.probability } - 1) < 1e-4)
        #expect(all.contains { $0.character == nil })
        #expect(throws: Vocabulary.UnknownCharacter.self) { try model.nextCharacterProbabilities(after: "Z") }
    }

    @Test func trainerRefusesEmptyOrForeignData() throws {
        var random = RandomSource(seed: 1)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: ["abc"]), random: &random)
        #expect(throws: TrainingError.noSentences) { try CharacterTrainer(model: model, sentences: [], random: random) }
        #expect(throws: TrainingError.self) { try CharacterTrainer(model: model, sentences: ["abd"], random: random) }
    }
}

@Suite struct ConfidentLossTests {
    /// A target whose logit trails by 200 has a probability that rounds to 0
    /// in Float; its loss is still the exact, finite 200 nats.
    @Test func lossStaysFiniteWhenTheTargetsProbabilityUnderflows() {
        let logits = Matrix(rows: 3, columns: 1, values: [200, 0, 0])
        var scratch = [Float](repeating: 0, count: 3)
        let cost = [0, 1].withUnsafeBufferPointer { targets in
            scratch.withUnsafeMutableBufferPointer { buffer in
                Softmax.crossEntropy(logits, targets: UnsafeBufferPointer(rebasing: targets[1...1]), writeGradients: true,
                                     scratch: buffer.baseAddress!)
            }
        }
        #expect(scratch[1] == 0)
        #expect(cost.isFinite)
        #expect(abs(cost - 200) < 1e-3)
        #expect(logits.gradients[1] == -1)
        #expect(abs(logits.gradients[0] - 1) < 1e-6)
    }
}

@Suite struct NetworkShapeTests {
    @Test(arguments: Generator.allCases)
    func parameterCountWithoutAllocatingMatchesTheNetwork(generator: Generator) {
        let network = RecurrentNetwork(generator: generator, symbolCount: 31, letterSize: 6, hiddenSizes: [12, 7, 9])
        #expect(RecurrentNetwork.parameterCount(generator: generator, symbolCount: 31, letterSize: 6,
                                                hiddenSizes: [12, 7, 9]) == network.parameterCount)
    }
}
