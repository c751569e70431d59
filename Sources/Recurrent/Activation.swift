import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise kernels on raw buffers, shared by the graph operations and the
/// fused recurrent cells.
enum Activation {
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    @inline(__always)
    static func tanh(_ x: Float) -> Float { tanhf(x) }

    /// Element-wise tanh; `target` may equal `source` (the selected level's kernel).
    static func tanh(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        Kernels.selected.table.tanh(source, target, count)
    }

    /// Element-wise logistic sigmoid; `target` may equal `source` (the selected level's kernel).
    static func sigmoid(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        Kernels.selected.table.sigmoid(source, target, count)
    }

    /// Element-wise tanh, eight lanes at a time (``tanh(_:)-swift.type.method``), `target` may equal `source`.
    static func portableTanh(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 8 <= count {
            MatrixProduct.store(tanh(MatrixProduct.load(source + index)), target + index)
            index += 8
        }
        while index < count {
            target[index] = tanhf(source[index])
            index += 1
        }
    }

    /// Element-wise logistic sigmoid, eight lanes at a time; `target` may equal `source`.
    static func portableSigmoid(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 8 <= count {
            MatrixProduct.store(sigmoid(MatrixProduct.load(source + index)), target + index)
            index += 8
        }
        while index < count {
            target[index] = 1 / (1 + expf(-source[index]))
            index += 1
        }
    }

    /// `e^x` for eight lanes: range reduction to `x = n·ln2 + r`, `|r| ≤ ln2/2`,
    /// a degree-7 polynomial for `e^r` (Cephes' coefficients, about 1 ulp) and
    /// `2^n` built in the exponent bits.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Comparisons and blends rather than `clamped`, whose generic
        // min/max is not inlined.
        let low = SIMD8<Float>(repeating: -87.3), high = SIMD8<Float>(repeating: 88.3)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits,
        // which avoids a (slow, scalarised) float-to-integer conversion.
        let shifted = SIMD8<Float>(repeating: 12_582_912).plusProduct(clamped, SIMD8(repeating: 1.442_695_04))
        let n = shifted - 12_582_912
        var r = clamped.plusProduct(n, SIMD8(repeating: -0.693_359_375))
        r = r.plusProduct(n, SIMD8(repeating: 2.121_944_4e-4))
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        p = p * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh for eight lanes: `2σ(2x) − 1`, and near zero (where that loses
    /// relative precision) the odd Taylor polynomial, exact to 1e-10 there.
    @inline(__always)
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let viaExp = 2 / (1 + exp(-2 * x)) - 1
        let square = x * x
        var series = SIMD8<Float>(repeating: -17.0 / 315)
        series = series * square + 2.0 / 15
        series = series * square - 1.0 / 3
        series = x + x * square * series
        return viaExp.replacing(with: series, where: square .< 0.0625)
    }

    /// `target[r, c] = source[r, c] + bias[r]`.
    static func addBias(_ source: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                        into target: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for row in 0..<rows {
            let offset = row * columns, value = bias[row]
            for column in 0..<columns { target[offset + column] = source[offset + column] + value }
        }
    }

    /// `target[r, c] = bias[r]` for every column.
    static func broadcast(_ bias: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        if columns == 1 {
            target.update(from: bias, count: rows)
            return
        }
        for row in 0..<rows {
            (target + row * columns).update(repeating: bias[row], count: columns)
        }
    }

    /// `target[r] += Σ_c source[r, c]` (the gradient of a broadcast bias).
    static func accumulateRowSums(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
                                  rows: Int, columns: Int) {
        if columns == 1 {
            for row in 0..<rows { target[row] += source[row] }
            return
        }
        for row in 0..<rows {
            let offset = row * columns
            var sum: Float = 0
            for column in 0..<columns { sum += source[offset + column] }
            target[row] += sum
        }
    }
}
