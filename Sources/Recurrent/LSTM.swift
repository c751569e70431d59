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
}
