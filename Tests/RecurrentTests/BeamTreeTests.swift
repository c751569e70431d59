import Testing
@testable import Recurrent

/// The beam search keeps its hypotheses in a ``BeamTree`` (shared prefixes);
/// before, each hypothesis copied its text, log-probabilities and tokens at
/// every step. The results must be exactly the same: this file keeps the
/// copying search as the reference.
@Suite struct BeamTreeTests {
    /// Never ends on its own (END is 1e-9 likely), so its searches run into stop sequences and the length limit.
    static let endless = HandBuiltModels.constant(letters: " eht", logits: HandBuiltModels.logits([1e-9, 0.3, 0.3, 0.2, 0.2]))

    @Test func theTreeGivesWhatCopyingGave() throws {
        var random = RandomSource(seed: 7)
        let trained = CharacterModel(vocabulary: Vocabulary(sentences: CharacterModelTests.tenSentences), random: &random)
        var cases = 0
        for model in [trained, Self.endless] {
            for width in [1, 3, 8] {
                for stop in [[], ["e ", "th"]] as [[String]] {
                    for logprobs in [nil, 3] as [Int?] {
                        for (prime, penalty) in [("", 0.0), ("the ", 0.6)] {
                            var options = SamplingOptions(maxLength: 40, prime: prime, stop: stop)
                            options.logprobs = logprobs
                            let beam = BeamSearchOptions(width: width, lengthPenalty: penalty)
                            let tree = try model.beamSearch(options, beam: beam, count: width)
                            let copied = try referenceBeamSearch(model, options, beam: beam, count: width)
                            #expect(tree == copied, "width \(width), stop \(stop), logprobs \(String(describing: logprobs)), prime \(prime)")
                            cases += 1
                        }
                    }
                }
            }
        }
        #expect(cases == 48)
        // The endless model's searches met stop sequences and the length limit.
        let stopped = try Self.endless.beamSearch(SamplingOptions(maxLength: 40, stop: ["e "], logprobs: 2),
                                                  beam: BeamSearchOptions(width: 8), count: 8)
        #expect(stopped.count == 8 && stopped.allSatisfy { $0.finishReason == .stop && !$0.text.contains("e ") })
        #expect(stopped.allSatisfy { $0.tokens?.count == $0.text.unicodeScalars.count })
        let cut = try Self.endless.beamSearch(SamplingOptions(maxLength: 3), beam: BeamSearchOptions(width: 3), count: 3)
        #expect(cut.count == 3 && cut.allSatisfy { $0.finishReason == .length && $0.text.unicodeScalars.count == 3 })
    }
}

// MARK: The copying beam search, as it was

private struct CopiedHypothesis {
    var rows: [Int] = []
    var text: [Unicode.Scalar] = []
    var logprobs: [Double] = []
    var tokens: [GeneratedToken]?
    var endLogprob: Double?
    var total = 0.0

    func finished(_ reason: FinishReason, beam: BeamSearchOptions, prime: String) -> (sample: GeneratedSample, score: Double) {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: prime.unicodeScalars)
        scalars.append(contentsOf: text)
        let logprob = logprobs.reduce(0, +) + (endLogprob ?? 0)
        let sample = GeneratedSample(text: String(scalars), logprob: logprob, finishReason: reason, tokens: tokens)
        return (sample, beam.score(logprob, length: text.count + (endLogprob == nil ? 0 : 1)))
    }
}

private struct ReferenceCandidate {
    let parent: Int
    let row: Int
    let total: Double

    /// Best first; ties go to the earlier hypothesis, then the lower row, so results are reproducible.
    func precedes(_ other: ReferenceCandidate) -> Bool {
        total != other.total ? total > other.total : parent != other.parent ? parent < other.parent : row < other.row
    }
}

/// The beam search as it was before ``BeamTree``.
private func referenceBeamSearch(_ model: CharacterModel, _ options: SamplingOptions, beam: BeamSearchOptions,
                                 count: Int) throws -> [GeneratedSample] {
    let prime = try model.vocabulary.encode(options.prime).get()
    let stops = StopSequences(options.stop)
    let excluded = Set(options.excluded.compactMap { model.vocabulary.index(of: $0) })
    let stepper = BatchStepper(network: model.network)
    var input = Vocabulary.boundary
    for row in prime {
        _ = stepper.feed([input])
        input = row
    }
    var alive = [CopiedHypothesis(tokens: options.logprobs == nil ? nil : [])]
    var inputs = [input]
    var finished: [(sample: GeneratedSample, score: Double)] = []
    var length = 0
    while !alive.isEmpty && finished.count < beam.width {
        if length == options.maxLength {
            finished += alive.map { $0.finished(.length, beam: beam, prime: options.prime) }
            break
        }
        let logits = stepper.feed(inputs)
        let scores = (0..<alive.count).map { ColumnLogprobs(logits, column: $0) }
        var best: [ReferenceCandidate] = []
        for (column, hypothesis) in alive.enumerated() {
            for row in 0..<logits.rows where !excluded.contains(row) {
                let candidate = ReferenceCandidate(parent: column, row: row, total: hypothesis.total + scores[column].logprob(row))
                insert(candidate, into: &best, keeping: 2 * beam.width)
            }
        }
        var next: [CopiedHypothesis] = [], parents: [Int] = []
        for (rank, candidate) in best.enumerated() where next.count < beam.width {
            let score = scores[candidate.parent]
            var hypothesis = alive[candidate.parent]
            let character = ColumnLogprobs.character(candidate.row, model.vocabulary)
            let logprob = score.logprob(candidate.row)
            hypothesis.total = candidate.total
            if let alternatives = options.logprobs {
                hypothesis.tokens?.append(GeneratedToken(chosen: CharacterLogprob(character: character, logprob: logprob),
                                                         top: score.alternatives(alternatives, vocabulary: model.vocabulary)))
            }
            guard let character else {
                hypothesis.endLogprob = logprob
                if rank < beam.width { finished.append(hypothesis.finished(.end, beam: beam, prime: options.prime)) }
                continue
            }
            hypothesis.rows.append(candidate.row)
            hypothesis.text.append(character)
            hypothesis.logprobs.append(logprob)
            if let stop = stops.completed(hypothesis.text) {
                hypothesis.text.removeLast(stop)
                hypothesis.logprobs.removeLast(stop)
                hypothesis.tokens?.removeLast(stop)
                if rank < beam.width { finished.append(hypothesis.finished(.stop, beam: beam, prime: options.prime)) }
                continue
            }
            next.append(hypothesis)
            parents.append(candidate.parent)
        }
        alive = next
        inputs = next.map { $0.rows.last! }
        if !parents.isEmpty { stepper.select(columns: parents) }
        length += 1
    }
    // Stable: equal scores keep the order in which they finished.
    let ranked = finished.enumerated().sorted {
        $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset
    }
    return ranked.prefix(count).map(\.element.sample)
}

/// Inserts `candidate` into `best`, sorted best first, keeping at most `limit`.
private func insert(_ candidate: ReferenceCandidate, into best: inout [ReferenceCandidate], keeping limit: Int) {
    if best.count == limit, let last = best.last, !candidate.precedes(last) { return }
    var position = best.count
    while position > 0 && candidate.precedes(best[position - 1]) { position -= 1 }
    best.insert(candidate, at: position)
    if best.count > limit { best.removeLast() }
}
