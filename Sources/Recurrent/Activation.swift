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

    static func tanh(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { target[index] = tanhf(source[index]) }
    }

    static func sigmoid(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { target[index] = 1 / (1 + expf(-source[index])) }
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
