/// A parameter matrix with the name it has in the model JSON (e.g. `Wix0`).
public struct NamedParameter: @unchecked Sendable {
    /// The name, layer index included.
    public let name: String
    /// The matrix (often a view into a layer's fused weight block).
    public let matrix: Matrix

    /// Names `matrix`.
    public init(name: String, matrix: Matrix) {
        self.name = name
        self.matrix = matrix
    }
}

/// The state one layer carries from one time step to the next.
public struct LayerState {
    /// The hidden state, `hiddenSize x batch`.
    public var hidden: Matrix
    /// The LSTM's cell state, `hiddenSize x batch`; `nil` for other layers.
    public var cell: Matrix?

    /// A state of `hidden` and, for an LSTM, `cell`.
    public init(hidden: Matrix, cell: Matrix? = nil) {
        self.hidden = hidden
        self.cell = cell
    }
}

/// One layer of a recurrent network: it maps an input and the previous state to
/// the next state, recording its backward step on a graph.
public protocol RecurrentLayer: AnyObject, Sendable {
    /// Rows of the input (the letter size for the first layer).
    var inputSize: Int { get }
    /// Rows of the hidden state.
    var hiddenSize: Int { get }
    /// Whether the state has a cell part (LSTM).
    var hasCell: Bool { get }
    /// The parameters under their model-JSON names, in the original's order.
    var parameters: [NamedParameter] { get }
    /// The parameters as stored: fused blocks that the named ones view.
    var storage: [Matrix] { get }
    /// One time step for a batch of inputs (`inputSize x batch`).
    func step(_ graph: Graph, input: Matrix, state: LayerState) -> LayerState
}

extension RecurrentLayer {
    /// A zero state for `batch` sequences.
    public func zeroState(_ graph: Graph, batch: Int) -> LayerState {
        LayerState(hidden: graph.zeros(rows: hiddenSize, columns: batch),
                   cell: hasCell ? graph.zeros(rows: hiddenSize, columns: batch) : nil)
    }
}

/// Weight blocks shared by the three layer kinds: `blocks` gates stacked
/// row-wise in one input-weight matrix, one recurrent-weight matrix and one
/// bias, so that a single product computes every gate.
struct GateBlocks {
    let inputWeights: Matrix
    let recurrentWeights: Matrix
    let bias: Matrix

    init(blocks: Int, inputSize: Int, hiddenSize: Int) {
        inputWeights = Matrix(rows: blocks * hiddenSize, columns: inputSize)
        recurrentWeights = Matrix(rows: blocks * hiddenSize, columns: hiddenSize)
        bias = Matrix(rows: blocks * hiddenSize, columns: 1)
    }

    /// Named views of gate `block`: input weights, recurrent weights, bias.
    func views(block: Int, names: (String, String, String), hiddenSize: Int) -> [NamedParameter] {
        let first = block * hiddenSize
        return [
            NamedParameter(name: names.0, matrix: Matrix(viewing: inputWeights, firstRow: first, rowCount: hiddenSize)),
            NamedParameter(name: names.1, matrix: Matrix(viewing: recurrentWeights, firstRow: first, rowCount: hiddenSize)),
            NamedParameter(name: names.2, matrix: Matrix(viewing: bias, firstRow: first, rowCount: hiddenSize)),
        ]
    }

    var all: [Matrix] { [inputWeights, recurrentWeights, bias] }

    /// `preactivations = bias + inputWeights · input (+ recurrentWeights · hidden)`
    /// over the first `recurrentRows` rows for the recurrent part, with
    /// `graph`'s products.
    func preactivations(input: Matrix, hidden: Matrix, into target: Matrix, recurrentRows: Int, graph: Graph) {
        let batch = input.columns
        Activation.broadcast(bias.values, into: target.values, rows: target.rows, columns: batch)
        graph.multiplyWeights(inputWeights.values, input.values, into: target.values,
                              m: inputWeights.rows, k: inputWeights.columns, n: batch, accumulate: true)
        graph.multiplyWeights(recurrentWeights.values, hidden.values, into: target.values,
                              m: recurrentRows, k: recurrentWeights.columns, n: batch, accumulate: true)
    }

    /// Backward of ``preactivations``: weight, bias, input and hidden gradients
    /// from the preactivation gradients `gradients`.
    func accumulateGradients(_ gradients: Matrix, input: Matrix, hidden: Matrix, recurrentRows: Int,
                             outerProducts: OuterProductQueue) {
        let batch = input.columns
        if batch == 1 {
            outerProducts.append(target: inputWeights.gradients, rows: inputWeights.rows, columns: inputWeights.columns,
                                 left: gradients.values, right: input.values)
            outerProducts.append(target: recurrentWeights.gradients, rows: recurrentRows, columns: recurrentWeights.columns,
                                 left: gradients.values, right: hidden.values)
        } else {
            MatrixProduct.accumulateTimesTransposed(gradients.values, input.values, into: inputWeights.gradients,
                                                    m: inputWeights.rows, n: batch, k: inputWeights.columns)
            MatrixProduct.accumulateTimesTransposed(gradients.values, hidden.values, into: recurrentWeights.gradients,
                                                    m: recurrentRows, n: batch, k: recurrentWeights.columns)
        }
        MatrixProduct.accumulateTransposedTimes(inputWeights.values, gradients.values, into: input.gradients,
                                                m: inputWeights.rows, k: inputWeights.columns, n: batch)
        MatrixProduct.accumulateTransposedTimes(recurrentWeights.values, gradients.values, into: hidden.gradients,
                                                m: recurrentRows, k: recurrentWeights.columns, n: batch)
        Activation.accumulateRowSums(gradients.values, into: bias.gradients, rows: gradients.rows, columns: batch)
    }
}
