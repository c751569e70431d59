// Dropout over a window: the masks, drawn in the graph's order, and their
// application forward and backward.
extension WindowPass {
    /// Draws every mask of the window in the graph's order: for each step,
    /// the input of each layer above the first, then the decoder's input.
    func drawMasks(rate: Float, random: inout RandomSource) {
        func draw(_ mask: Matrix, step: Int) {
            DropoutMask.draw(into: mask.values + step * width, rows: mask.rows, columns: width, stride: columns,
                             rate: rate, using: &random)
        }
        for step in 0..<steps {
            for index in buffers.indices.dropFirst() { draw(buffers[index].mask, step: step) }
            draw(decoderMask, step: step)
        }
    }

    /// `target = source ⊙ mask` over a window (`target` and `mask` dense).
    func applyMask(_ mask: Matrix, to source: Strided, into target: UnsafeMutablePointer<Float>) {
        let total = columns
        for row in 0..<mask.rows {
            let s = source.values + row * source.stride, m = mask.values + row * total, t = target + row * total
            for column in 0..<total { t[column] = s[column] * m[column] }
        }
    }

    /// `target.gradients = gradients ⊙ mask` (dropout's backward).
    func applyMaskToGradients(_ mask: Matrix, from gradients: UnsafePointer<Float>, into target: Strided) {
        let total = columns
        for row in 0..<mask.rows {
            let g = gradients + row * total, m = mask.values + row * total, t = target.gradients + row * target.stride
            for column in 0..<total { t[column] = g[column] * m[column] }
        }
    }
}
