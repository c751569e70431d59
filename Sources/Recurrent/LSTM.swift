/// One LSTM layer (SPEC section 3):
///
///     i = σ(Wix·x + Wih·h' + bi)    f = σ(Wfx·x + Wfh·h' + bf)
///     o = σ(Wox·x + Woh·h' + bo)    g = tanh(Wcx·x + Wch·h' + bc)
///     c = f⊙c' + i⊙g                h = o⊙tanh(c)
///
/// The four gates' weights live in one block (rows i, f, o, g) so that one
/// product computes all of them; `Wix`, `Wfx`, ... are views of it.
public final class LSTMLayer: RecurrentLayer, @unchecked Sendable {
    public let inputSize: Int
    public let hiddenSize: Int
    public var hasCell: Bool { true }
    public let parameters: [NamedParameter]
    let blocks: GateBlocks

    /// A layer with zero weights; ``RecurrentNetwork`` initialises them.
    public init(inputSize: Int, hiddenSize: Int, index: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let blocks = GateBlocks(blocks: 4, inputSize: inputSize, hiddenSize: hiddenSize)
        self.blocks = blocks
        parameters = ["i", "f", "o", "c"].enumerated().flatMap { block, gate in
            blocks.views(block: block, names: ("W\(gate)x\(index)", "W\(gate)h\(index)", "b\(gate)\(index)"),
                         hiddenSize: hiddenSize)
        }
    }

    public var storage: [Matrix] { blocks.all }

    public func step(_ graph: Graph, input: Matrix, state: LayerState) -> LayerState {
        guard let cell = state.cell else { preconditionFailure("LSTM state needs a cell") }
        let next = graph.lstmCell(self, input: input, hidden: state.hidden, cell: cell)
        return LayerState(hidden: next.hidden, cell: next.cell)
    }

    func forward(input: Matrix, hidden: Matrix, cell: Matrix, gates: Matrix,
                 newCell: Matrix, cellTanh: Matrix, newHidden: Matrix) {
        blocks.preactivations(input: input, hidden: hidden, into: gates, recurrentRows: 4 * hiddenSize)
        let area = hiddenSize * input.columns
        let g = gates.values
        Activation.sigmoid(g, into: g, count: 3 * area)
        Activation.tanh(g + 3 * area, into: g + 3 * area, count: area)
        let inputGate = g, forgetGate = g + area, outputGate = g + 2 * area, candidate = g + 3 * area
        let previous = cell.values, c = newCell.values, tc = cellTanh.values, h = newHidden.values
        for index in 0..<area {
            c[index] = forgetGate[index] * previous[index] + inputGate[index] * candidate[index]
        }
        Activation.tanh(c, into: tc, count: area)
        for index in 0..<area { h[index] = outputGate[index] * tc[index] }
    }

    func backward(input: Matrix, hidden: Matrix, cell: Matrix, gates: Matrix, newCell: Matrix,
                  cellTanh: Matrix, newHidden: Matrix, preactivationGradients: Matrix, outerProducts: OuterProductQueue) {
        let area = hiddenSize * input.columns
        let g = gates.values, d = preactivationGradients.values
        let dh = newHidden.gradients, dc = newCell.gradients, tc = cellTanh.values
        let previous = cell.values, dPrevious = cell.gradients
        for index in 0..<area {
            let i = g[index], f = g[area + index], o = g[2 * area + index], candidate = g[3 * area + index]
            let t = tc[index]
            let dCell = dc[index] + dh[index] * o * (1 - t * t)
            d[index] = dCell * candidate * i * (1 - i)
            d[area + index] = dCell * previous[index] * f * (1 - f)
            d[2 * area + index] = dh[index] * t * o * (1 - o)
            d[3 * area + index] = dCell * i * (1 - candidate * candidate)
            dPrevious[index] += dCell * f
        }
        blocks.accumulateGradients(preactivationGradients, input: input, hidden: hidden, recurrentRows: 4 * hiddenSize,
                                   outerProducts: outerProducts)
    }
}
