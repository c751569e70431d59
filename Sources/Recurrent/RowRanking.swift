/// Rows ranked by decreasing weight, the lower row first on a tie, each
/// rank found only when first asked for: a binary max-heap of one integer
/// key per row, popped to the buffer's end as heapsort does. Top-k and
/// top-p usually keep a few characters of a vocabulary of about a hundred,
/// so ranking those few costs little more than building the heap, where a
/// full sort cost more than the rest of a top-p step.
///
/// A key holds the weight's bits above the row's complement: a weight is
/// never negative, so its bits order as its value.
struct RowRanking {
    private let keys: UnsafeMutableBufferPointer<UInt64>
    private let count: Int
    /// The heap is `keys[0..<heapSize]`; ranks 0..<count - heapSize sit
    /// after it, rank r at `keys[count - 1 - r]`.
    private var heapSize: Int

    /// Ranks the rows of `weights` (none negative) in `keys`, scratch of
    /// the same count.
    init(weights: UnsafeBufferPointer<Float>, keys: UnsafeMutableBufferPointer<UInt64>) {
        precondition(keys.count == weights.count, "one key per row")
        self.keys = keys
        count = weights.count
        heapSize = count
        for row in 0..<count {
            keys[row] = UInt64(weights[row].bitPattern) << 32 | UInt64(UInt32.max - UInt32(row))
        }
        for start in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(start) }
    }

    /// The row of rank `rank` (0 the likeliest).
    mutating func row(_ rank: Int) -> Int {
        precondition(rank >= 0 && rank < count, "rank out of range")
        while count - heapSize <= rank {
            heapSize -= 1
            keys.swapAt(0, heapSize)
            siftDown(0)
        }
        return Self.row(of: keys[count - 1 - rank])
    }

    /// Sets every row's weight in `weights` (the ranked ones) to `mark`
    /// except the first `keep` ranks', which keep theirs.
    mutating func mark(beyond keep: Int, in weights: UnsafeMutableBufferPointer<Float>, with mark: Float) {
        guard keep < count else { return }
        if keep > 0 { _ = row(keep - 1) }
        for row in 0..<count { weights[row] = mark }
        for rank in 0..<keep {
            let key = keys[count - 1 - rank]
            weights[Self.row(of: key)] = Float(bitPattern: UInt32(key >> 32))
        }
    }

    /// The row a key ranks: the complement in its low half.
    private static func row(of key: UInt64) -> Int { Int(UInt32.max - UInt32(truncatingIfNeeded: key)) }

    /// Moves `keys[start]` down until neither child is larger (the keys are distinct).
    private func siftDown(_ start: Int) {
        let value = keys[start]
        var parent = start
        while true {
            var child = 2 * parent + 1
            guard child < heapSize else { break }
            if child + 1 < heapSize && keys[child + 1] > keys[child] { child += 1 }
            guard keys[child] > value else { break }
            keys[parent] = keys[child]
            parent = child
        }
        keys[parent] = value
    }
}
