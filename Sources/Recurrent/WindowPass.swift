/// Forward and backward of one text window through a network, layer by layer
/// instead of step by step (LSTM, GRU and RNN layers).
///
/// The graph runs a window step by step, so every product of every layer has
/// only the batch's few columns: each multiplies a large weight matrix by a
/// thin one, and OpenBLAS repacks the weights on every call, while each
/// weight gradient is read and written whole at every step. Most of that work
/// does not depend on the previous step: a layer's input projection for all
/// steps, its weight gradients, and the gradient it passes down. Run one
/// layer at a time over the whole window, they become single products with
/// `steps x batch` columns, at full BLAS speed; only the recurrent products
/// (`Wh · h` forward, `Whᵀ · d` backward; for a GRU also its candidate's
/// `Wch · (r⊙h)`) stay step by step, through ``StepProduct``.
///
/// The numbers are the graph's up to the order of float additions, dropout
/// included: the masks are drawn before the forward pass in the order the
/// graph draws them (per step: each layer above the first, then the decoder).
///
/// Layout: a window quantity of `F` features is an `F x (steps·batch)`
/// row-major matrix whose column `t·batch + j` is stream `j` at step `t`. A
/// layer's hidden (and LSTM cell) states have one more block in front, the state
/// carried in from the previous window, so step `t` reads block `t` and
/// writes block `t + 1`. Buffers are allocated on first use and reused while
/// the window's shape stays the same.
final class WindowPass {
    // The buffers are set here only; the passes in `WindowPass+*.swift` read them.
    let network: RecurrentNetwork
    let layers: [LayerPlan]
    /// Whether the step products use ``PackedWeights`` (else BLAS).
    let usesPackedWeights: Bool
    /// Whether this window's layer products (step products, input
    /// projections, weight gradients) run in bfloat16.
    private(set) var productsInBFloat16 = false
    /// The bfloat16 weight-gradient product's scratch.
    let gradientProduct = GradientProductBF16()
    private(set) var width = 0
    private(set) var steps = 0
    private(set) var buffers: [LayerBuffers] = []
    /// `letterSize x N`: the embedded inputs; gradients from the first layer.
    private(set) var embedded = Matrix(rows: 0)
    /// `symbolCount x N`: logits; gradients from the loss.
    private(set) var logits = Matrix(rows: 0)
    /// `H_last x N`: the decoder's input after dropout (only with dropout).
    private(set) var decoderInput = Matrix(rows: 0)
    /// `H_last x N`: the decoder's dropout mask (values only).
    private(set) var decoderMask = Matrix(rows: 0)
    /// Running gradients of the next step's hidden and cell state, `H x batch`.
    private(set) var hiddenCarry = Matrix(rows: 0)
    private(set) var cellCarry = Matrix(rows: 0)
    /// GRU: the direct part of the previous state's gradient, and the gradient
    /// of `r⊙h'`, `H x batch`.
    private(set) var partialCarry = Matrix(rows: 0)
    private(set) var resetGradient = Matrix(rows: 0)
    /// Up to `4H x batch`: one step's recurrent product (`Wh · h`, or a GRU's
    /// candidate product), kept contiguous (written into the strided gates,
    /// the packed product ran about 25% slower).
    private(set) var recurrentProduct = Matrix(rows: 0)

    /// The row blocks of a layer's recurrent weights that the per-step
    /// products use, in units of the hidden size: `[4]` for an LSTM (every
    /// gate sees `h`), `[2, 1]` for a GRU (r and z see `h`; the candidate
    /// sees `r⊙h` in a product of its own), `[1]` for an RNN. Each block is
    /// packed twice, for the forward product and for the transposed one.
    static func stepProductBlocks(_ generator: Generator) -> [Int] {
        switch generator {
        case .lstm: [4]
        case .gru: [2, 1]
        case .rnn: [1]
        }
    }

    /// A pass for `network`. The step products use packed weights where the
    /// CPU allows, unless `usesPackedWeights` is false.
    init(network: RecurrentNetwork, usesPackedWeights: Bool = PackedWeights.isAvailable) {
        let packs = usesPackedWeights && PackedWeights.isAvailable
        self.network = network
        self.usesPackedWeights = packs
        layers = network.layers.map { LayerPlan($0, packs: packs) }
    }

    /// Trains `grid` from the carried `state` (updated to the window's final
    /// state): adds the gradient of the summed cross-entropy to the network's
    /// parameter gradients and returns that sum. No gradient flows into the
    /// carried state (truncated backpropagation through time).
    /// `precision` is that of the layers' products (step products, input
    /// projections, weight gradients; ``ProductPrecision``); the rest is float.
    func train(_ grid: SequenceGrid, carrying state: [LayerState], dropout: Float, random: inout RandomSource,
               precision: ProductPrecision = .float32) -> Double {
        precondition(state.count == layers.count, "one carried state per layer")
        prepare(width: grid.width, steps: grid.steps, dropout: dropout > 0)
        if steps == 0 { return 0 }
        if dropout > 0 { drawMasks(rate: dropout, random: &random) }
        grid.inputs.withUnsafeBufferPointer { embed($0) }
        productsInBFloat16 = usesPackedWeights && precision.effective == .bfloat16
        if usesPackedWeights {
            // The weights stay fixed for the whole window.
            for layer in layers {
                layer.stepProducts.forEach { $0.prepare(precision: precision) }
                if productsInBFloat16 {
                    layer.inputForward.prepare(precision: .bfloat16)
                    layer.inputBackward.prepare(precision: .bfloat16)
                }
            }
        }
        for index in layers.indices {
            load(state[index], into: buffers[index])
            let input = layerInput(index, dropout: dropout > 0)
            forward(index, input: input)
            store(buffers[index], into: state[index])
        }
        let top = decoderSource(dropout: dropout > 0)
        let cost = decode(top, targets: grid.targets)
        backwardDecoder(top, dropout: dropout > 0)
        for index in layers.indices.reversed() {
            let input = layerInput(index, dropout: dropout > 0)
            backward(index, input: input)
            passDown(from: index, input: input, dropout: dropout > 0)
        }
        grid.inputs.withUnsafeBufferPointer { scatterEmbeddingGradients($0) }
        return cost
    }

    // MARK: - Buffers

    /// Columns of a window quantity: `steps·width`.
    var columns: Int { steps * width }

    /// Allocates the buffers for a window shape, unless they fit already.
    private func prepare(width: Int, steps: Int, dropout: Bool) {
        let sameShape = width == self.width && steps == self.steps && buffers.count == layers.count
        if sameShape && dropout == (decoderMask.count > 0) { return }
        self.width = width
        self.steps = steps
        let total = steps * width
        let wide = total + width
        buffers = layers.enumerated().map { index, layer in
            let size = layer.hiddenSize
            let dropsInput = dropout && index > 0, isLSTM = layer.kind == .lstm
            return LayerBuffers(gates: Matrix(rows: layer.gateCount * size, columns: total),
                                hidden: Matrix(rows: size, columns: wide),
                                cells: isLSTM ? Matrix(rows: size, columns: wide) : Matrix(rows: 0),
                                cellTanh: isLSTM ? Matrix(rows: size, columns: total) : Matrix(rows: 0),
                                resetHidden: layer.kind == .gru ? Matrix(rows: size, columns: total) : Matrix(rows: 0),
                                droppedInput: dropsInput ? Matrix(rows: layer.inputSize, columns: total) : Matrix(rows: 0),
                                mask: dropsInput ? Matrix(rows: layer.inputSize, columns: total) : Matrix(rows: 0))
        }
        let top = network.decoderWeights.columns
        embedded = Matrix(rows: network.letterSize, columns: total)
        logits = Matrix(rows: network.symbolCount, columns: total)
        decoderInput = dropout ? Matrix(rows: top, columns: total) : Matrix(rows: 0)
        decoderMask = dropout ? Matrix(rows: top, columns: total) : Matrix(rows: 0)
        let largest = network.hiddenSizes.max() ?? 0
        hiddenCarry = Matrix(rows: largest, columns: width)
        cellCarry = Matrix(rows: largest, columns: width)
        partialCarry = Matrix(rows: largest, columns: width)
        resetGradient = Matrix(rows: largest, columns: width)
        recurrentProduct = Matrix(rows: 4 * largest, columns: width)
    }
}
