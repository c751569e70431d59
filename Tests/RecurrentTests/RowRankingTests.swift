import Testing
@testable import Recurrent

/// The lazy ranking behind top-k and top-p against a full sort.
@Suite struct RowRankingTests {
    /// Weights with ties, zeros and a one, as a softmax's unnormalised weights have.
    static func weights(count: Int, seed: UInt64) -> [Float] {
        var random = RandomSource(seed: seed)
        return (0..<count).map { _ in
            switch random.nextIndex(below: 5) {
            case 0: 0
            case 1: 0.25
            case 2: 1
            default: random.nextUnitFloat()
            }
        }
    }

    /// The rows by decreasing weight, the lower row first on a tie.
    static func stableOrder(_ weights: [Float]) -> [Int] {
        weights.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
    }

    @Test(arguments: [1, 2, 3, 7, 62, 100])
    func ranksLikeAStableSortByDecreasingWeight(count: Int) {
        for seed in UInt64(1)...20 {
            let weights = Self.weights(count: count, seed: seed)
            var keys = [UInt64](repeating: 0, count: count)
            let ranked: [Int] = weights.withUnsafeBufferPointer { weights in
                keys.withUnsafeMutableBufferPointer { keys in
                    var ranking = RowRanking(weights: weights, keys: keys)
                    // Asked out of order: a later rank first, then every one.
                    _ = ranking.row(count / 2)
                    return (0..<count).map { ranking.row($0) }
                }
            }
            #expect(ranked == Self.stableOrder(weights), "count \(count), seed \(seed)")
        }
    }

    @Test(arguments: [0, 1, 4, 61, 62])
    func marksEveryRowBeyondTheKeptRanks(keep: Int) {
        let original = Self.weights(count: 62, seed: UInt64(keep + 1))
        var weights = original
        var keys = [UInt64](repeating: 0, count: weights.count)
        weights.withUnsafeMutableBufferPointer { weights in
            keys.withUnsafeMutableBufferPointer { keys in
                var ranking = RowRanking(weights: UnsafeBufferPointer(weights), keys: keys)
                ranking.mark(beyond: keep, in: weights, with: -1)
            }
        }
        let kept = Set(Self.stableOrder(original).prefix(keep))
        for row in original.indices {
            #expect(weights[row] == (kept.contains(row) ? original[row] : -1), "row \(row)")
        }
    }
}
