// The window buffers' strided views that the layers read and write, and the
// carried state's copies in and out.
extension WindowPass {
    /// A strided window matrix: `pointer` to its first element, `stride` floats per row.
    struct Strided {
        let values: UnsafeMutablePointer<Float>
        let gradients: UnsafeMutablePointer<Float>
        let stride: Int
    }

    /// The outputs of layer `index` (blocks 1... of its hidden state).
    func outputs(of index: Int) -> Strided {
        let hidden = buffers[index].hidden
        return Strided(values: hidden.values + width, gradients: hidden.gradients + width, stride: hidden.columns)
    }

    func layerInput(_ index: Int, dropout: Bool) -> Strided {
        if index == 0 { return Strided(values: embedded.values, gradients: embedded.gradients, stride: columns) }
        if dropout {
            let dropped = buffers[index].droppedInput
            return Strided(values: dropped.values, gradients: dropped.gradients, stride: columns)
        }
        return outputs(of: index - 1)
    }

    func decoderSource(dropout: Bool) -> Strided {
        if dropout { return Strided(values: decoderInput.values, gradients: decoderInput.gradients, stride: columns) }
        return outputs(of: layers.count - 1)
    }

    /// Copies a carried `H x batch` state into block 0 of `buffers`.
    func load(_ state: LayerState, into buffers: LayerBuffers) {
        copyBlock(from: state.hidden.values, stride: width, to: buffers.hidden.values, stride: buffers.hidden.columns,
                  rows: state.hidden.rows)
        if let cell = state.cell {
            copyBlock(from: cell.values, stride: width, to: buffers.cells.values, stride: buffers.cells.columns, rows: cell.rows)
        }
    }

    /// Copies the last block of `buffers` into the carried state.
    func store(_ buffers: LayerBuffers, into state: LayerState) {
        let offset = steps * width
        copyBlock(from: buffers.hidden.values + offset, stride: buffers.hidden.columns, to: state.hidden.values, stride: width,
                  rows: state.hidden.rows)
        if let cell = state.cell {
            copyBlock(from: buffers.cells.values + offset, stride: buffers.cells.columns, to: cell.values, stride: width,
                      rows: cell.rows)
        }
    }

    func copyBlock(from source: UnsafePointer<Float>, stride sourceStride: Int,
                   to target: UnsafeMutablePointer<Float>, stride targetStride: Int, rows: Int) {
        for row in 0..<rows {
            (target + row * targetStride).update(from: source + row * sourceStride, count: width)
        }
    }
}
