/// Inverted dropout's mask, drawn the one way the graph and the window pass
/// share, so both consume the generator identically: each element is kept
/// with probability `1 − rate` and then holds `1 / (1 − rate)`, else zero.
enum DropoutMask {
    /// Fills `rows x columns` of `mask` (`stride` floats per row), row by row.
    @inline(__always)
    static func draw<G: RandomNumberGenerator>(into mask: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int,
                                               rate: Float, using generator: inout G) {
        let keep = 1 - rate, scale = 1 / keep
        for row in 0..<rows {
            let target = mask + row * stride
            for column in 0..<columns {
                // 24 random bits, as `RandomSource.nextUnitFloat`.
                target[column] = Float(generator.next() >> 40) * 0x1p-24 < keep ? scale : 0
            }
        }
    }
}
