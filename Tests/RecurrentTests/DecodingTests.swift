import Foundation
import Testing
@testable import Recurrent

/// Stop sequences, log-probabilities, batches and the repetition penalty.
@Suite struct DecodingTests {
    static func untrained(seed: UInt64 = 31, hiddenSizes: [Int] = [20, 20]) -> CharacterModel {
        var random = RandomSource(seed: seed)
        return CharacterModel(vocabulary: Vocabulary(sentences: CharacterModelTests.tenSentences),
                              hiddenSizes: hiddenSizes, random: &random)
    }

    @Test func stopSequencesEndTheTextBeforeThem() throws {
        let model = SamplingFilterTests.known
        let plain = SamplingOptions(maxLength: 300, seed: 8)
        var stopped = plain
        stopped.stop = ["ca", "eee"]
        let free = try model.generate(plain, count: 8), samples = try model.generate(stopped, count: 8)
        var stops = 0
        for (sample, unstopped) in zip(samples, free) {
            #expect(!sample.text.contains("ca") && !sample.text.contains("eee"))
            if sample.finishReason == .stop {
                stops += 1
                // The same draws until the sequence, which the text leaves out.
                #expect(unstopped.text.hasPrefix(sample.text + "ca") || unstopped.text.hasPrefix(sample.text + "eee"))
            }
        }
        #expect(stops == 8)

        // Streaming hands out exactly the text, never a held-back stop prefix.
        var streamed = stopped
        streamed.seed = 8
        let sampler = try Sampler(model: model, options: streamed)
        var text = ""
        while let scalar = sampler.next() { text.unicodeScalars.append(scalar) }
        #expect(text == samples[0].text)
        #expect(sampler.finishReason == .stop)
        #expect(sampler.stopReason == .stop)
        #expect(sampler.result?.logprob == samples[0].logprob)
    }

    @Test func heldBackCharactersAreReleasedWhenNoStopFollows() {
        let stops = StopSequences(["abc", "bd"])
        #expect(stops.heldBack(Array("xab".unicodeScalars)) == 2)
        #expect(stops.heldBack(Array("xb".unicodeScalars)) == 1)
        #expect(stops.heldBack(Array("abx".unicodeScalars)) == 0)
        #expect(stops.completed(Array("xabc".unicodeScalars)) == 3)
        #expect(stops.completed(Array("xbd".unicodeScalars)) == 2)
        #expect(stops.completed(Array("xab".unicodeScalars)) == nil)
    }

    @Test func logprobsAddUpAndMatchTheEvaluation() throws {
        let model = Self.untrained()
        let samples = try model.generate(SamplingOptions(temperature: 1.2, maxLength: 60, seed: 77, logprobs: 3), count: 24)
        var ended = 0
        for sample in samples {
            let tokens = try #require(sample.tokens)
            let sum = tokens.reduce(0) { $0 + $1.chosen.logprob }
            #expect(abs(sum - sample.logprob) <= 1e-9 * max(1, abs(sample.logprob)))
            #expect(String(String.UnicodeScalarView(tokens.compactMap(\.chosen.character))) == sample.text)
            for token in tokens {
                #expect(token.top.count == 3)
                #expect(zip(token.top, token.top.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
                #expect(token.chosen.logprob <= token.top[0].logprob)
                if token.chosen.logprob >= token.top[2].logprob { #expect(token.top.contains(token.chosen)) }
            }
            if sample.finishReason == .end {
                ended += 1
                #expect(tokens.last?.chosen.character == nil)
                let cost = model.evaluate(sentences: [sample.text]).totalCost
                expectClose(sample.logprob, -cost, relative: 1e-4, sample.text)
            } else {
                #expect(sample.finishReason == .length)
                #expect(sample.text.unicodeScalars.count == 60)
            }
        }
        #expect(ended >= 5, "samples that ended at END: \(ended)")
    }

    /// [256]'s recurrent weights are large enough to be packed in a batch.
    /// Plain sampling (no filter) computes the batch's probabilities eight
    /// columns at a time, filtered sampling one column at a time.
    @Test(arguments: [Float(0.95), 1])
    func aBatchEqualsItsSamplesDrawnOneByOne(topP: Float) throws {
        for hiddenSizes in [[20, 20], [64], [256]] {
            let model = Self.untrained(seed: 5, hiddenSizes: hiddenSizes)
            let options = SamplingOptions(temperature: 0.9, maxLength: 70, prime: "the ", topP: topP, seed: 1000, logprobs: 1)
            let batch = try model.generate(options, count: 12)
            for (index, sample) in batch.enumerated() {
                var alone = options
                alone.seed = 1000 + UInt64(index)
                let single = try #require(try model.generate(alone).first)
                #expect(single.text == sample.text)
                #expect(single.finishReason == sample.finishReason)
                expectClose(single.logprob, sample.logprob, relative: 1e-4)
            }
            #expect(Set(batch.map(\.text)).count > 6)
        }
    }

    /// Greedy decoding of this model loops on "abc" for ever: after a, b and
    /// c the next of the cycle has logit 3, everything else about 2.
    static let looping = HandBuiltModels.bigram(letters: "abcdefgh") { previous in
        var logits = (0..<9).map { 2 + 0.1 * Float((previous * 7 + $0 * 3) % 5) }
        logits[0] = -10
        logits[previous == 1 ? 2 : previous == 2 ? 3 : 1] = 3
        return logits
    }

    static func distinctSubstrings(_ text: String, length: Int) -> Int {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= length else { return 0 }
        return Set((0...(scalars.count - length)).map { String(String.UnicodeScalarView(scalars[$0..<($0 + length)])) }).count
    }

    @Test func aRepetitionPenaltyBreaksAGreedyLoop() throws {
        let plain = try #require(try Self.looping.generate(SamplingOptions(greedy: true, maxLength: 200)).first)
        #expect(plain.text.hasPrefix("abcabcabc"))
        let penalised = try #require(try Self.looping.generate(
            SamplingOptions(greedy: true, maxLength: 200, repetitionPenalty: 1.8, repetitionWindow: 6)).first)
        let before = Self.distinctSubstrings(plain.text, length: 20)
        let after = Self.distinctSubstrings(penalised.text, length: 20)
        #expect(before == 3)
        #expect(after >= 2 * before, "distinct 20-character substrings: \(before) -> \(after); \(penalised.text)")
        #expect(Set(penalised.text).count > Set(plain.text).count)
        // The penalty never touches END, and a window of 0 turns it off.
        let off = try Self.looping.generate(SamplingOptions(greedy: true, maxLength: 200, repetitionPenalty: 1.8,
                                                            repetitionWindow: 0))
        #expect(off.first?.text == plain.text)
    }
}

@Suite struct SampleTextTests {
    /// A sample's text is built straight in UTF-8: ASCII, two-, three- and
    /// four-byte characters after a prime come out as written.
    @Test func textsKeepEveryCharacter() {
        let scalars = Array("a é 中 😀 z\n".unicodeScalars)
        #expect(String("prime ü ", followedBy: scalars) == "prime ü a é 中 😀 z\n")
        #expect(String("", followedBy: []) == "")
    }
}
