#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Picks each next character from a column of logits in the order
/// ``SamplingOptions`` documents: repetition penalty, exclusions, greedy or
/// top-k, top-p, min-p, then temperature and one draw.
///
/// One chooser serves every sample of a batch (one thread): its buffers are
/// scratch for one choice at a time, so choosing allocates nothing.
struct CharacterChooser {
    let options: SamplingOptions
    let symbolCount: Int
    /// Output rows never to produce.
    private let excludedRows: [Int]
    /// The logits after the penalty and the exclusions.
    private var work: [Float]
    private var probabilities: [Float]
    /// Each row's ranking key, for top-k and top-p.
    private var keys: [UInt64]
    /// `seen[row] == stamp` marks a row already penalised in this choice.
    private var seen: [Int]
    private var stamp = 0
    /// Plain sampling's probabilities of every column of the step's logits,
    /// laid out like the logits (``prepare(_:normalisers:)``).
    private var prepared: [Float] = []
    /// The width of the logits ``prepared`` holds, or 0 when each column's
    /// distribution is computed as ``choose`` is given it.
    private var preparedColumns = 0

    init(options: SamplingOptions, vocabulary: Vocabulary) {
        self.options = options
        symbolCount = vocabulary.symbolCount
        excludedRows = options.excluded.compactMap { vocabulary.index(of: $0) }.sorted()
        work = [Float](repeating: 0, count: symbolCount)
        probabilities = [Float](repeating: 0, count: symbolCount)
        keys = [UInt64](repeating: 0, count: symbolCount)
        seen = [Int](repeating: 0, count: symbolCount)
    }

    /// The row chosen from column `column` of `logits`; `recent` is the text
    /// so far as rows (prime included), for the repetition penalty. Draws at
    /// most one value from `random` (none when greedy).
    mutating func choose(_ logits: Matrix, column: Int, recent: ArraySlice<Int>, random: inout RandomSource) -> Int {
        let count = symbolCount
        guard options.filters else {
            // Exactly the plain sampler's arithmetic, so its samples repeat draw for draw.
            return probabilities.withUnsafeMutableBufferPointer { buffer in
                let p = buffer.baseAddress!
                if options.greedy {
                    Softmax.probabilities(logits, column: column, into: p)
                    return Softmax.argmax(p, count: count)
                }
                Softmax.probabilities(logits, column: column, temperature: options.temperature, into: p)
                return Softmax.sample(p, count: count, random: &random)
            }
        }
        prepareLogits(logits, column: column, recent: recent)
        if options.greedy {
            return work.withUnsafeBufferPointer { Softmax.argmax($0.baseAddress!, count: count) }
        }
        fillDistribution()
        return probabilities.withUnsafeBufferPointer { Softmax.sample($0.baseAddress!, count: count, random: &random) }
    }

    /// Called with each step's logits before ``choose`` is given any of
    /// their columns: writes every column's log-softmax normaliser at
    /// temperature 1 into `normalisers` and, for plain sampling (no filter,
    /// not greedy), every column's probabilities at the temperature in the
    /// same pass over the logits.
    mutating func prepare(_ logits: Matrix, normalisers: inout [Double]) {
        let plain = !options.filters && !options.greedy
        preparedColumns = plain ? logits.columns : 0
        guard plain else {
            ColumnLogprobs.normalisers(logits, into: &normalisers)
            return
        }
        normalisers.removeAll(keepingCapacity: true)
        normalisers.append(contentsOf: repeatElement(0, count: logits.columns))
        if prepared.count < logits.count { prepared = Array(repeating: 0, count: logits.count) }
        let temperature = options.temperature
        normalisers.withUnsafeMutableBufferPointer { out in
            prepared.withUnsafeMutableBufferPointer { block in
                SoftmaxColumns.compute(logits, temperature: temperature, probabilities: block.baseAddress!,
                                       normalisers: out.baseAddress!)
            }
        }
    }

    /// Whether ``prepare(_:normalisers:)`` computed this step's
    /// probabilities (plain sampling), so that every column's character can
    /// be drawn at once (``draw(_:into:)``).
    var drawsAtOnce: Bool { preparedColumns > 0 }

    /// Every column's character from the prepared probabilities, column j's
    /// from the uniform draw `draws[j]`: the rows ``choose`` would give with
    /// generators that yield those draws, the columns in vector lanes.
    func draw(_ draws: [Float], into chosen: inout [Int]) {
        precondition(drawsAtOnce && draws.count == preparedColumns, "draw: one draw per prepared column")
        chosen.removeAll(keepingCapacity: true)
        chosen.append(contentsOf: repeatElement(0, count: draws.count))
        prepared.withUnsafeBufferPointer { block in
            chosen.withUnsafeMutableBufferPointer { out in
                Kernels.selected.table.sample_columns(block.baseAddress!, symbolCount, preparedColumns, draws.count,
                                                      draws, out.baseAddress!)
            }
        }
    }

    /// The probabilities a draw would use for this column (zero for every
    /// character the filters drop), for tests and inspection.
    mutating func distribution(_ logits: Matrix, column: Int = 0, recent: ArraySlice<Int> = []) -> [Float] {
        if !options.filters {
            return probabilities.withUnsafeMutableBufferPointer { buffer in
                Softmax.probabilities(logits, column: column, temperature: options.temperature, into: buffer.baseAddress!)
                return Array(buffer)
            }
        }
        prepareLogits(logits, column: column, recent: recent)
        fillDistribution()
        return probabilities
    }

    /// Steps 1 and 2: copies the column into `work`, penalises the recent
    /// characters and masks the excluded ones.
    private mutating func prepareLogits(_ logits: Matrix, column: Int, recent: ArraySlice<Int>) {
        let stride = logits.columns, source = logits.values + column
        let penalty = options.repetitionPenalty, window = options.repetitionWindow
        work.withUnsafeMutableBufferPointer { work in
            for row in 0..<symbolCount { work[row] = source[row * stride] }
            if penalty != 1 && window > 0 {
                stamp += 1
                seen.withUnsafeMutableBufferPointer { seen in
                    for row in recent.suffix(window) where row != Vocabulary.boundary && seen[row] != stamp {
                        seen[row] = stamp
                        work[row] = work[row] > 0 ? work[row] / penalty : work[row] * penalty
                    }
                }
            }
            for row in excludedRows { work[row] = -.infinity }
        }
    }

    /// Steps 4 to 7 on `work`: the filters at temperature 1, then the
    /// tempered softmax of the characters left, into `probabilities`.
    private mutating func fillDistribution() {
        let count = symbolCount, options = options
        work.withUnsafeBufferPointer { work in
            probabilities.withUnsafeMutableBufferPointer { p in
                var largest = -Float.infinity
                for row in 0..<count { largest = max(largest, work[row]) }
                // Unnormalised: the most likely character has 1.
                for row in 0..<count { p[row] = expf(work[row] - largest) }
                if options.topK > 0 || options.topP < 1 {
                    keys.withUnsafeMutableBufferPointer { keys in
                        Self.truncate(p, keys: keys, topK: options.topK, topP: options.topP)
                    }
                }
                // Min-p against the most likely character, whose weight is 1.
                if options.minP > 0 {
                    for row in 0..<count where p[row] < options.minP { p[row] = -1 }
                }
                // A dropped character is marked -1 rather than 0: one whose
                // weight underflowed at temperature 1 may still be drawn hotter.
                var sum: Float = 0
                let temperature = options.temperature
                for row in 0..<count {
                    if p[row] < 0 || work[row] == -.infinity {
                        p[row] = 0
                    } else if temperature != 1 {
                        p[row] = expf((work[row] - largest) / temperature)
                    }
                    sum += p[row]
                }
                let scale = 1 / sum
                for row in 0..<count { p[row] *= scale }
            }
        }
    }

    /// Top-k then top-p on the unnormalised weights `p`: marks every
    /// character outside the kept set with -1, ranking only as many
    /// characters as it keeps (``RowRanking``).
    private static func truncate(_ p: UnsafeMutableBufferPointer<Float>, keys: UnsafeMutableBufferPointer<UInt64>,
                                 topK: Int, topP: Float) {
        let count = p.count
        var ranking = RowRanking(weights: UnsafeBufferPointer(p), keys: keys)
        var keep = count
        if topK > 0 && topK < count { keep = topK }
        if topP < 1 {
            var total: Float = 0
            if keep == count {
                for row in 0..<count { total += p[row] }
            } else {
                for rank in 0..<keep { total += p[ranking.row(rank)] }
            }
            var cumulative: Float = 0, rank = 0
            while rank < keep {
                cumulative += p[ranking.row(rank)]
                rank += 1
                if cumulative >= topP * total { break }
            }
            keep = rank
        }
        ranking.mark(beyond: keep, in: p, with: -1)
    }
}
