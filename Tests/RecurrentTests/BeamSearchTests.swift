import Foundation
import Testing
@testable import Recurrent

@Suite struct BeamSearchTests {
    /// From START: a 0.6, b 0.4. After a: x, y 0.35 each, z 0.3. After b: c
    /// 0.95. Then END. Greedy takes "ax" (0.21); "bc" (0.38) is the most probable.
    static let misleading = HandBuiltModels.bigram(letters: "abcxyz") { previous in
        let end: [Double] = [0.999, 0.0002, 0.0002, 0.0002, 0.0002, 0.0002, 0.0002]
        switch previous {
        case 0: return HandBuiltModels.logits([0.00001, 0.6, 0.39999, 1e-9, 1e-9, 1e-9, 1e-9])
        case 1: return HandBuiltModels.logits([0.00001, 1e-9, 1e-9, 1e-9, 0.35, 0.35, 0.29999])
        case 2: return HandBuiltModels.logits([0.00001, 0.02, 1e-9, 0.97999, 0.01, 1e-9, 1e-9])
        default: return HandBuiltModels.logits(end)
        }
    }

    @Test func widthOneIsGreedy() throws {
        var random = RandomSource(seed: 12)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: CharacterModelTests.tenSentences), random: &random)
        for prime in ["", "the ", "a d"] {
            for stop in [[], ["e "]] as [[String]] {
                let options = SamplingOptions(greedy: true, maxLength: 60, prime: prime, stop: stop)
                let greedy = try #require(try model.generate(options).first)
                let beam = try model.beamSearch(options, beam: BeamSearchOptions(width: 1, lengthPenalty: 0.6))
                #expect(beam.map(\.text) == [greedy.text])
                #expect(beam.first?.finishReason == greedy.finishReason)
                expectClose(beam[0].logprob, greedy.logprob, relative: 1e-9)
            }
        }
    }

    @Test func aWiderBeamFindsTheMostProbableSequence() throws {
        let model = Self.misleading
        let greedy = try #require(try model.generate(SamplingOptions(greedy: true)).first)
        #expect(greedy.text == "ax")
        for width in [2, 3, 8] {
            let results = try model.beamSearch(SamplingOptions(logprobs: 2), beam: BeamSearchOptions(width: width), count: 2)
            #expect(results.first?.text == "bc", "width \(width): \(results.map(\.text))")
            #expect(results.first?.finishReason == .end)
            #expect(results.count == 2)
            #expect(results[0].logprob >= results[1].logprob)
            for result in results {
                let cost = model.evaluate(sentences: [result.text]).totalCost
                expectClose(result.logprob, -cost, relative: 1e-4, result.text)
                #expect(abs((result.tokens ?? []).reduce(0) { $0 + $1.chosen.logprob } - result.logprob) < 1e-9)
            }
            #expect(results[0].logprob > greedy.logprob + 0.5)
        }
    }

    @Test func maximumLengthStopsAndWidthIsChecked() throws {
        let results = try Self.misleading.beamSearch(SamplingOptions(maxLength: 1), beam: BeamSearchOptions(width: 2), count: 2)
        #expect(results.map(\.text) == ["a", "b"])
        #expect(results.allSatisfy { $0.finishReason == .length })
        #expect(throws: InvalidSamplingOption.self) {
            try Self.misleading.beamSearch(SamplingOptions(), beam: BeamSearchOptions(width: 2), count: 3)
        }
        #expect(throws: InvalidSamplingOption.self) {
            try Self.misleading.beamSearch(SamplingOptions(), beam: BeamSearchOptions(width: 0))
        }
        #expect(throws: InvalidSamplingOption.self) {
            try Self.misleading.beamSearch(SamplingOptions(), beam: BeamSearchOptions(width: 2, lengthPenalty: -1))
        }
    }
}
