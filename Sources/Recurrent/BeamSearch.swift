#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of a beam search (``CharacterModel/beamSearch(_:beam:count:)``).
public struct BeamSearchOptions: Sendable, Equatable {
    /// The largest width accepted by the command line and the service.
    public static let maximumWidth = 64

    /// Hypotheses kept at each step.
    public var width: Int
    /// GNMT's α: a finished sequence scores `logprob / ((5 + length) / 6)^α`,
    /// `length` counting its scored characters (END included when it ended
    /// there); 0 ranks by log-probability alone, larger values favour longer text.
    public var lengthPenalty: Double

    /// Options; by default four hypotheses ranked by log-probability alone.
    public init(width: Int = 4, lengthPenalty: Double = 0) {
        self.width = width
        self.lengthPenalty = lengthPenalty
    }

    /// Throws the first setting out of its range.
    public func validate() throws(InvalidSamplingOption) {
        guard (1...Self.maximumWidth).contains(width) else {
            throw InvalidSamplingOption(field: "width", message: "must be from 1 to \(Self.maximumWidth)")
        }
        guard lengthPenalty.isFinite && lengthPenalty >= 0 else {
            throw InvalidSamplingOption(field: "lengthPenalty", message: "must be a number >= 0")
        }
    }

    /// The score of a finished sequence of `length` scored characters.
    func score(_ logprob: Double, length: Int) -> Double {
        lengthPenalty == 0 ? logprob : logprob / pow((5 + Double(length)) / 6, lengthPenalty)
    }
}

/// A partial sequence of a beam search: its last node in the ``BeamTree``,
/// the row it feeds the network next, and its total log-probability.
private struct Hypothesis {
    var node = BeamTree.root
    var input: Int
    var total = 0.0
}

/// A finished sequence, ranked by the length penalty's score.
private struct Finished {
    let sample: GeneratedSample
    let score: Double

    /// The text of `node` (after the prime), then END's token and log-probability if it ended there.
    init(_ node: Int, in tree: BeamTree, end: GeneratedToken? = nil, endLogprob: Double? = nil,
         reason: FinishReason, beam: BeamSearchOptions, prime: String) {
        let path = tree.path(to: node)
        // Summed first to last, as the samplers do, so width 1 gives greedy's figure exactly.
        let logprob = path.logprobs.reduce(0, +) + (endLogprob ?? 0)
        let tokens = path.tokens.map { tokens in end.map { tokens + [$0] } ?? tokens }
        sample = GeneratedSample(text: String(prime, followedBy: path.text), logprob: logprob, finishReason: reason,
                                 tokens: tokens)
        score = beam.score(logprob, length: path.text.count + (endLogprob == nil ? 0 : 1))
    }
}

/// A candidate extension: hypothesis `parent` (a batch column) by `row`.
private struct Candidate {
    let parent: Int
    let row: Int
    let total: Double

    /// Best first; ties go to the earlier hypothesis, then the lower row, so results are reproducible.
    func precedes(_ other: Candidate) -> Bool {
        total != other.total ? total > other.total : parent != other.parent ? parent < other.parent : row < other.row
    }
}

extension CharacterModel {
    /// The `count` best sequences (at most the beam's width) a beam search
    /// finds, best first, each with its total log-probability under the model.
    ///
    /// Each step extends every kept hypothesis by every character and END and
    /// ranks the extensions by log-probability; an extension that ends (END,
    /// a stop sequence) among the best `width` is set aside as finished, and
    /// the best `width` that do not end are kept. The search stops once
    /// `width` sequences have finished, or at ``SamplingOptions/maxLength``,
    /// where the kept hypotheses finish with reason `length`. Finished
    /// sequences are ranked by ``BeamSearchOptions/lengthPenalty``'s score. A
    /// width of 1 gives the greedy sample.
    ///
    /// Of ``SamplingOptions`` it uses the prime, the maximum length, the stop
    /// sequences, the excluded characters and ``SamplingOptions/logprobs``;
    /// temperature, the filters and the repetition penalty do not apply.
    public func beamSearch(_ options: SamplingOptions, beam: BeamSearchOptions, count: Int = 1) throws -> [GeneratedSample] {
        try options.validate()
        try beam.validate()
        guard (1...beam.width).contains(count) else {
            throw InvalidSamplingOption(field: "count", message: "must be from 1 to the beam width, \(beam.width)")
        }
        let prime = try vocabulary.encode(options.prime).get()
        let stops = StopSequences(options.stop)
        let excluded = Set(options.excluded.compactMap { vocabulary.index(of: $0) })
        let stepper = BatchStepper(network: network)
        var input = Vocabulary.boundary
        for row in prime {
            _ = stepper.feed([input])
            input = row
        }
        var tree = BeamTree(capacity: beam.width * min(options.maxLength, 4096), recordsTokens: options.logprobs != nil)
        var alive = [Hypothesis(input: input)]
        var finished: [Finished] = []
        var suffix: [Unicode.Scalar] = []
        var normalisers: [Double] = []
        let longestStop = stops.sequences.map(\.count).max() ?? 0
        var length = 0
        while !alive.isEmpty && finished.count < beam.width {
            if length == options.maxLength {
                finished += alive.map { Finished($0.node, in: tree, reason: .length, beam: beam, prime: options.prime) }
                break
            }
            let logits = stepper.feed(alive.map(\.input))
            ColumnLogprobs.normalisers(logits, into: &normalisers)
            let scores = (0..<alive.count).map { ColumnLogprobs(logits, column: $0, normaliser: normalisers[$0]) }
            var best: [Candidate] = []
            for (column, hypothesis) in alive.enumerated() {
                for row in 0..<logits.rows where !excluded.contains(row) {
                    let candidate = Candidate(parent: column, row: row, total: hypothesis.total + scores[column].logprob(row))
                    Self.insert(candidate, into: &best, keeping: 2 * beam.width)
                }
            }
            var next: [Hypothesis] = [], parents: [Int] = []
            for (rank, candidate) in best.enumerated() where next.count < beam.width {
                let score = scores[candidate.parent]
                let parent = alive[candidate.parent]
                let character = ColumnLogprobs.character(candidate.row, vocabulary)
                let logprob = score.logprob(candidate.row)
                let token = options.logprobs.map {
                    GeneratedToken(chosen: CharacterLogprob(character: character, logprob: logprob),
                                   top: score.alternatives($0, vocabulary: vocabulary))
                }
                guard let character else {
                    if rank < beam.width {
                        finished.append(Finished(parent.node, in: tree, end: token, endLogprob: logprob, reason: .end,
                                                 beam: beam, prime: options.prime))
                    }
                    continue
                }
                let node = tree.append(after: parent.node, character, logprob: logprob, token: token)
                if !stops.isEmpty {
                    tree.suffix(of: node, count: longestStop, into: &suffix)
                    if let stop = stops.completed(suffix) {
                        if rank < beam.width {
                            finished.append(Finished(tree.ancestor(of: node, steps: stop), in: tree, reason: .stop,
                                                     beam: beam, prime: options.prime))
                        }
                        continue
                    }
                }
                next.append(Hypothesis(node: node, input: candidate.row, total: candidate.total))
                parents.append(candidate.parent)
            }
            alive = next
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
    private static func insert(_ candidate: Candidate, into best: inout [Candidate], keeping limit: Int) {
        if best.count == limit, let last = best.last, !candidate.precedes(last) { return }
        var position = best.count
        while position > 0 && candidate.precedes(best[position - 1]) { position -= 1 }
        best.insert(candidate, at: position)
        if best.count > limit { best.removeLast() }
    }
}
