/// One vanilla RNN layer (SPEC section 3): `h = relu(Wxh·x + Whh·h' + bhh)`.
public final class RNNLayer: RecurrentLayer, @unchecked Sendable {
    public let inputSize: Int
    public let hiddenSize: Int
    public var hasCell: Bool { false }
    public let parameters: [NamedParameter]
    let blocks: GateBlocks

    /// A layer with zero weights; ``RecurrentNetwork`` initialises them.
    public init(inputSize: Int, hiddenSize: Int, index: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        blocks = GateBlocks(blocks: 1, inputSize: inputSize, hiddenSize: hiddenSize)
        parameters = blocks.views(block: 0, names: ("Wxh\(index)", "Whh\(index)", "bhh\(index)"), hiddenSize: hiddenSize)
    }

    public var storage: [Matrix] { blocks.all }

    public func step(_ graph: Graph, input: Matrix, state: LayerState) -> LayerState {
        LayerState(hidden: graph.rnnCell(self, input: input, hidden: state.hidden))
    }

    func forward(input: Matrix, hidden: Matrix, newHidden: Matrix) {
        blocks.preactivations(input: input, hidden: hidden, into: newHidden, recurrentRows: hiddenSize)
        let h = newHidden.values
        for index in 0..<newHidden.count { h[index] = max(0, h[index]) }
    }

    func backward(input: Matrix, hidden: Matrix, newHidden: Matrix, preactivationGradients: Matrix, outerProducts: OuterProductQueue) {
        let h = newHidden.values, dh = newHidden.gradients, d = preactivationGradients.values
        for index in 0..<newHidden.count { d[index] = h[index] > 0 ? dh[index] : 0 }
        blocks.accumulateGradients(preactivationGradients, input: input, hidden: hidden, recurrentRows: hiddenSize,
                                   outerProducts: outerProducts)
    }
}
