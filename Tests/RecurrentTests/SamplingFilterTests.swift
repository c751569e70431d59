import Foundation
import Testing
@testable import Recurrent

/// Top-k, top-p, min-p, exclusions and the plain sampler they leave alone.
@Suite struct SamplingFilterTests {
    /// END almost never; a 0.4, b 0.3, c 0.15, d 0.1, e 0.05.
    static let known = HandBuiltModels.constant(
        letters: "abcde", logits: [-30] + HandBuiltModels.logits([0.4, 0.3, 0.15, 0.1, 0.05]))

    /// The characters a draw can produce under `options` on the known distribution.
    static func kept(_ options: SamplingOptions) -> Set<Character> {
        var chooser = CharacterChooser(options: options, vocabulary: known.vocabulary)
        let logits = Matrix(rows: 6, columns: 1, values: known.network.decoderBias.valueArray)
        let distribution = chooser.distribution(logits)
        #expect(abs(distribution.reduce(0, +) - 1) < 1e-5)
        return Set(distribution.indices.filter { $0 > 0 && distribution[$0] > 0 }
            .map { Character(known.vocabulary.letter(at: $0)) })
    }

    @Test(arguments: [
        (SamplingOptions(topK: 2), "ab"), (SamplingOptions(topK: 4), "abcd"),
        (SamplingOptions(topP: 0.35), "a"), (SamplingOptions(topP: 0.65), "ab"), (SamplingOptions(topP: 0.8), "abc"),
        (SamplingOptions(topP: 0.9), "abcd"), (SamplingOptions(minP: 0.3), "abc"), (SamplingOptions(minP: 0.5), "ab"),
        (SamplingOptions(minP: 0.2), "abcd"), (SamplingOptions(minP: 0.1), "abcde"),
        (SamplingOptions(topK: 3, topP: 0.65), "ab"), (SamplingOptions(topP: 0.9, minP: 0.3), "abc"),
        (SamplingOptions(topP: 0.65, excluded: ["a"]), "bc"), (SamplingOptions(temperature: 5, topP: 0.8), "abc"),
    ])
    func filtersKeepExactlyTheExpectedCharacters(options: SamplingOptions, expected: String) {
        #expect(Self.kept(options) == Set(expected), "\(options)")
    }

    @Test func drawnCharactersStayInTheKeptSet() throws {
        for (options, expected) in [(SamplingOptions(maxLength: 400, topP: 0.65, seed: 3), "ab"),
                                    (SamplingOptions(maxLength: 400, minP: 0.3, seed: 4), "abc"),
                                    (SamplingOptions(maxLength: 400, excluded: ["a", "c"], seed: 5), "bde")] {
            let samples = try Self.known.generate(options, count: 3)
            #expect(Set(samples.map(\.text).joined()) == Set(expected))
        }
    }

    /// The plain sampler written out: softmax at the temperature, one draw per character.
    static func plainSample(_ model: CharacterModel, temperature: Float, maxLength: Int, seed: UInt64) -> String {
        var random = RandomSource(seed: seed)
        let stepper = InferenceStepper(network: model.network)
        var input = Vocabulary.boundary, text = String.UnicodeScalarView()
        for _ in 0..<maxLength {
            var probabilities = stepper.feed(input, temperature: temperature)
            let index = probabilities.withUnsafeMutableBufferPointer {
                Softmax.sample($0.baseAddress!, count: $0.count, random: &random)
            }
            if index == Vocabulary.boundary { break }
            text.append(model.vocabulary.letter(at: index))
            input = index
        }
        return String(text)
    }

    @Test func filtersOffReproducePlainSamplingDrawForDraw() throws {
        var random = RandomSource(seed: 21)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: CharacterModelTests.tenSentences), random: &random)
        for seed in UInt64(1)...12 {
            let options = SamplingOptions(temperature: 0.7, maxLength: 80, topK: 0, topP: 1, minP: 0, seed: seed)
            let expected = Self.plainSample(model, temperature: 0.7, maxLength: 80, seed: seed)
            #expect(try model.generate(options).map(\.text) == [expected])
            var generator = RandomSource(seed: seed)
            #expect(try model.sample(options, random: &generator) == expected)
        }
    }

    @Test func outOfRangeSettingsAreNamed() {
        let cases: [(SamplingOptions, String)] = [
            (SamplingOptions(topK: -1), "topK"), (SamplingOptions(topP: 0), "topP"), (SamplingOptions(topP: 1.5), "topP"),
            (SamplingOptions(minP: -0.1), "minP"), (SamplingOptions(repetitionPenalty: 0), "repetitionPenalty"),
            (SamplingOptions(repetitionWindow: -1), "repetitionWindow"), (SamplingOptions(stop: ["ab", ""]), "stop"),
            (SamplingOptions(logprobs: -2), "logprobs"), (SamplingOptions(temperature: .nan), "temperature"),
        ]
        for (options, field) in cases {
            #expect(throws: InvalidSamplingOption.self) { try options.validate() }
            do { try options.validate() } catch { #expect(error.field == field) }
        }
        #expect(throws: InvalidSamplingOption.self) { try Self.known.generate(SamplingOptions(topP: 2)) }
    }
}
