#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The softmax of sampled logits, several columns at once: each column's
/// probabilities at a temperature and its log-softmax normaliser at
/// temperature 1 (`largest + ln Σ exp(logit − largest)`, the sum in Float
/// as the evaluation's cross-entropy sums it, the logarithm in Double), in
/// one pass, through the selected kernel level (``CPUKernels``).
///
/// A column's figures are the same whether it is computed alone or beside
/// others, element for element (the exponentials are the level's vector
/// ones, the sums add rows in order), so a sample drawn in a batch draws
/// exactly what it would draw alone.
enum SoftmaxColumns {
    /// For each of `columns` columns of `logits` (`rows` rows, row stride
    /// `stride`): its probabilities at `temperature` into `probabilities`
    /// (the same column, row stride `probabilityStride`) and its normaliser
    /// into `normalisers[column]`, either skipped when nil.
    static func compute(_ logits: UnsafePointer<Float>, rows: Int, stride: Int, columns: Int, temperature: Float,
                        probabilities: UnsafeMutablePointer<Float>?, probabilityStride: Int,
                        normalisers: UnsafeMutablePointer<Double>?) {
        precondition(temperature > 0 && temperature.isFinite, "temperature must be positive")
        guard rows > 0 && columns > 0 else { return }
        Kernels.selected.table.softmax_columns(logits, rows, stride, columns, temperature, probabilities,
                                               probabilityStride, normalisers)
    }

    /// Every column of `logits`: probabilities laid out like the logits.
    static func compute(_ logits: Matrix, temperature: Float, probabilities: UnsafeMutablePointer<Float>?,
                        normalisers: UnsafeMutablePointer<Double>?) {
        compute(logits.values, rows: logits.rows, stride: logits.columns, columns: logits.columns,
                temperature: temperature, probabilities: probabilities, probabilityStride: logits.columns,
                normalisers: normalisers)
    }

    /// The portable level: eight columns in the lanes of `SIMD8`, or one
    /// column's rows eight at a time.
    static func portable(_ logits: UnsafePointer<Float>, rows: Int, stride: Int, columns: Int, temperature: Float,
                         probabilities: UnsafeMutablePointer<Float>?, probabilityStride: Int,
                         normalisers: UnsafeMutablePointer<Double>?) {
        if columns == 1 {
            portableColumn(logits, rows: rows, stride: stride, temperature: temperature, probabilities: probabilities,
                           probabilityStride: probabilityStride, normaliser: normalisers)
            return
        }
        for first in Swift.stride(from: 0, to: columns, by: 8) {
            portableChunk(logits + first, rows: rows, stride: stride, count: min(8, columns - first),
                          temperature: temperature, probabilities: probabilities.map { $0 + first },
                          probabilityStride: probabilityStride, normalisers: normalisers.map { $0 + first })
        }
    }

    /// Up to eight columns, one a lane.
    private static func portableChunk(_ x: UnsafePointer<Float>, rows: Int, stride: Int, count: Int, temperature: Float,
                                      probabilities p: UnsafeMutablePointer<Float>?, probabilityStride: Int,
                                      normalisers: UnsafeMutablePointer<Double>?) {
        var largest = SIMD8<Float>(repeating: -.infinity)
        for row in 0..<rows {
            let value = SIMD8<Float>(loading: x + row * stride, count: count)
            largest = largest.replacing(with: value, where: value .> largest)
        }
        // Division by a positive temperature keeps the order: the largest
        // tempered logit is the largest logit tempered, to the bit.
        let divisor = SIMD8<Float>(repeating: temperature), shift = largest / divisor
        var sum = SIMD8<Float>(), temperedSum = SIMD8<Float>()
        for row in 0..<rows {
            let value = SIMD8<Float>(loading: x + row * stride, count: count)
            var plain = SIMD8<Float>()
            if normalisers != nil || temperature == 1 {
                plain = Activation.exp(value - largest)
                sum += plain
            }
            if let p {
                let tempered = temperature == 1 ? plain : Activation.exp(value / divisor - shift)
                temperedSum += tempered
                for lane in 0..<count { p[row * probabilityStride + lane] = tempered[lane] }
            }
        }
        if let p {
            let scale = 1 / temperedSum
            for row in 0..<rows {
                for lane in 0..<count { p[row * probabilityStride + lane] *= scale[lane] }
            }
        }
        if let normalisers {
            for lane in 0..<count { normalisers[lane] = Double(largest[lane]) + log(Double(sum[lane])) }
        }
    }

    /// One column, its rows eight at a time: the figures of its lane in a chunk.
    private static func portableColumn(_ x: UnsafePointer<Float>, rows: Int, stride: Int, temperature: Float,
                                       probabilities p: UnsafeMutablePointer<Float>?, probabilityStride: Int,
                                       normaliser: UnsafeMutablePointer<Double>?) {
        var largest = -Float.infinity
        for row in 0..<rows where x[row * stride] > largest { largest = x[row * stride] }
        let shift = largest / temperature
        var sum: Float = 0, temperedSum: Float = 0
        for row in Swift.stride(from: 0, to: rows, by: 8) {
            let count = min(8, rows - row)
            // Lanes past the column's end repeat the largest logit (finite, never used).
            var value = SIMD8<Float>(repeating: largest)
            for lane in 0..<count { value[lane] = x[(row + lane) * stride] }
            var plain = SIMD8<Float>()
            if normaliser != nil || temperature == 1 {
                plain = Activation.exp(value - SIMD8(repeating: largest))
                for lane in 0..<count { sum += plain[lane] }
            }
            if let p {
                let tempered = temperature == 1
                    ? plain : Activation.exp(value / SIMD8(repeating: temperature) - SIMD8(repeating: shift))
                for lane in 0..<count {
                    temperedSum += tempered[lane]
                    p[(row + lane) * probabilityStride] = tempered[lane]
                }
            }
        }
        if let p {
            let scale = 1 / temperedSum
            for row in 0..<rows { p[row * probabilityStride] *= scale }
        }
        normaliser?.pointee = Double(largest) + log(Double(sum))
    }
}
