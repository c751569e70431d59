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
}
