import CKernels

/// An LSTM layer's bias and weights packed for the fused inference step of
/// a batch (`lstm_columns` in the kernel table): the bias and both products
/// summed in registers, the cell applied there, only the new cell and
/// hidden state written out.
///
/// A sampled batch of LSTM [100] spent more time on the step's small parts
/// (the five-column input product, broadcasting the bias, the gates' round
/// trip through memory) than on the cell's arithmetic; the fused step
/// removes them. Like ``FrozenWeights``, which keeps these, it is valid
/// only while the layer's weights do not change.
final class PackedLSTM {
    private let kernel: @convention(c) (UnsafePointer<Float>, Int, Int, UnsafePointer<Float>, UnsafePointer<Float>,
                                        UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                        Int) -> Void
    private let storage = ScratchBuffer()
    private let units: Int
    private let inputs: Int

    /// `layer` packed, or nil where the selected kernel level has no fused step.
    init?(_ layer: LSTMLayer) {
        guard let kernel = Kernels.selected.table.lstm_columns else { return nil }
        self.kernel = kernel
        units = layer.hiddenSize
        inputs = layer.inputSize
        let blocks = layer.blocks
        let packed = storage.reserve(bytes: bytes, as: Float.self)
        recurrent_pack_lstm(blocks.bias.values, blocks.inputWeights.values, blocks.recurrentWeights.values,
                            Int32(units), Int32(inputs), packed)
    }

    /// Bytes the packed copy takes.
    var bytes: Int { recurrent_packed_size_lstm(Int32(units), Int32(inputs)) * MemoryLayout<Float>.size }

    /// Writes the step's new `cell` and `hidden` (`units x batch`) from the
    /// input `x` (`inputs x batch`) and the previous `h` and `previousCell`.
    func step(x: Matrix, h: Matrix, previousCell: Matrix, cell: Matrix, hidden: Matrix) {
        let batch = x.columns
        precondition(x.rows == inputs && h.rows == units && h.columns == batch && previousCell.columns == batch
                     && cell.columns == batch && hidden.columns == batch, "PackedLSTM.step: shapes")
        kernel(UnsafePointer(storage.current!.assumingMemoryBound(to: Float.self)), units, inputs, x.values, h.values,
               previousCell.values, cell.values, hidden.values, batch)
    }
}
