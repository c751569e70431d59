/// Packed copies of the weight matrices an inference graph multiplies by,
/// for as long as the weights do not change: during one call that samples
/// several sequences together, or one beam search.
///
/// A batched step multiplies every weight matrix by a thin matrix (one column
/// per sequence). OpenBLAS repacks the weights on every such call, which for
/// these shapes costs more than the arithmetic: LSTM [512,512] spent about
/// 60% of a 16-sample batch's time in the packing copy. Packing each matrix
/// once, on its first batched product, and running the packed kernel makes
/// each step several times faster. Single-column products keep the
/// matrix-vector kernel, which reads the weights once anyway.
///
/// Whoever attaches it to a graph (``Graph/frozenWeights``) promises that
/// the weights stay unchanged while it is attached.
final class FrozenWeights {
    private struct Key: Hashable {
        let address: UnsafeRawPointer
        let rows: Int
        let columns: Int
    }

    private var packs: [Key: PackedWeights] = [:]
    /// LSTM layers packed for the fused step, by their recurrent weights' address.
    private var layers: [UnsafeRawPointer: PackedLSTM] = [:]

    /// Weights of at least this many floats (512 KiB) are packed. Smaller
    /// ones stay in the caches between steps, where BLAS does not pack them
    /// either: packed, LSTM [100]'s batches ran about 10% slower.
    static let packingThreshold = 1 << 17

    /// Frozen weights, packed as the products first need them.
    init() {}

    /// `c = a · b`, or `c += a · b` with `accumulate`, for the row-major
    /// `m x k` weights `a` and the `k x n` matrix `b`: packed for `n >= 2`
    /// and weights past ``packingThreshold`` where the CPU has the packed
    /// kernel, through ``MatrixProduct/multiply`` otherwise.
    func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                  m: Int, k: Int, n: Int, accumulate: Bool) {
        guard n >= 2 && PackedWeights.isAvailable && m * k >= Self.packingThreshold else {
            MatrixProduct.multiply(a, b, into: c, m: m, k: k, n: n, accumulate: accumulate)
            return
        }
        let key = Key(address: UnsafeRawPointer(a), rows: m, columns: k)
        let packed: PackedWeights
        if let existing = packs[key] {
            packed = existing
        } else {
            packed = PackedWeights()
            packed.pack(a, rows: m, columns: k, stride: k, transposed: false)
            packs[key] = packed
        }
        packed.multiply(b, stride: n, into: c, stride: n, width: n, accumulate: accumulate)
    }

    /// `layer` packed for the fused step of a batch (packed on first use),
    /// or nil where the selected kernel level has none.
    func lstm(_ layer: LSTMLayer) -> PackedLSTM? {
        let key = UnsafeRawPointer(layer.blocks.recurrentWeights.values)
        if let packed = layers[key] { return packed }
        // Nil at once where the level has no fused step, so nothing to remember.
        guard let packed = PackedLSTM(layer) else { return nil }
        layers[key] = packed
        return packed
    }

    /// Bytes held by the packed copies.
    var packedBytes: Int {
        packs.keys.reduce(0) { $0 + PackedWeights.bytes(rows: $1.rows, columns: $1.columns) }
            + layers.values.reduce(0) { $0 + $1.bytes }
    }
}

extension Graph {
    /// `c (+)= a · b` through ``frozenWeights`` when attached, else
    /// ``MatrixProduct/multiply``.
    func multiplyWeights(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                         m: Int, k: Int, n: Int, accumulate: Bool) {
        if let frozenWeights {
            frozenWeights.multiply(a, b, into: c, m: m, k: k, n: n, accumulate: accumulate)
        } else {
            MatrixProduct.multiply(a, b, into: c, m: m, k: k, n: n, accumulate: accumulate)
        }
    }
}
