import Testing
@testable import Recurrent

/// An LSTM built only from the graph's primitive operations (mul, add,
/// eltmul, sigmoid, tanh), so each of its gradients is one the primitives'
/// own backward rules give. It is gradient-checked, and the fused cell
/// (``LSTMStep`` through `Graph.lstmCell`, which the window pass shares) must
/// match it in values and in every gradient.
@Suite struct PrimitiveLSTMTests {
    /// Hidden size and batch: 7 x 2 = 14 elements per gate, so the fused
    /// cell's row has a SIMD group and a scalar tail.
    static let inputSize = 5, hiddenSize = 7, batch = 2, steps = 4

    /// The fixed problem: a layer with random weights, inputs, initial state
    /// and loss weights (the loss is `Σ_t Σ w_t⊙h_t + Σ v⊙c_T`).
    struct Problem {
        let layer: LSTMLayer
        let inputs: [Matrix]
        let hidden: Matrix
        let cell: Matrix
        let hiddenWeights: [Matrix]
        let cellWeights: Matrix

        init(seed: UInt64) {
            var random = RandomSource(seed: seed)
            layer = LSTMLayer(inputSize: inputSize, hiddenSize: hiddenSize, index: 0)
            // Large enough that every gate leaves its linear range.
            for matrix in layer.storage { matrix.randomize(scale: 0.8, using: &random) }
            func randomMatrix(_ rows: Int, _ columns: Int, _ scale: Float) -> Matrix {
                let matrix = Matrix(rows: rows, columns: columns)
                matrix.randomize(scale: scale, using: &random)
                return matrix
            }
            inputs = (0..<steps).map { _ in randomMatrix(inputSize, batch, 1) }
            hidden = randomMatrix(hiddenSize, batch, 0.5)
            cell = randomMatrix(hiddenSize, batch, 0.5)
            hiddenWeights = (0..<steps).map { _ in randomMatrix(hiddenSize, batch, 1) }
            cellWeights = randomMatrix(hiddenSize, batch, 1)
        }

        /// The parameters and the leaves whose gradients are compared.
        var checked: [NamedParameter] {
            layer.parameters + inputs.enumerated().map { NamedParameter(name: "x\($0)", matrix: $1) }
                + [NamedParameter(name: "h0", matrix: hidden), NamedParameter(name: "c0", matrix: cell)]
        }

        /// Runs `steps` steps with `step`, returns the loss and, on a
        /// recording graph, back-propagates it (gradients accumulate).
        func run(on graph: Graph, step: (Graph, Matrix, LayerState) -> LayerState) -> (loss: Double, outputs: [Float]) {
            var state = LayerState(hidden: hidden, cell: cell)
            var loss = 0.0, outputs: [Float] = []
            var hiddens: [Matrix] = []
            for input in inputs {
                state = step(graph, input, state)
                hiddens.append(state.hidden)
                outputs += state.hidden.valueArray
            }
            let finalCell = state.cell!
            outputs += finalCell.valueArray
            for (h, w) in zip(hiddens, hiddenWeights) + [(finalCell, cellWeights)] {
                for index in 0..<h.count {
                    loss += Double(h.values[index]) * Double(w.values[index])
                    if graph.recordsBackward { h.gradients[index] += w.values[index] }
                }
            }
            if graph.recordsBackward { graph.backward() }
            return (loss, outputs)
        }

        func zeroGradients() {
            for parameter in checked { parameter.matrix.zeroGradients() }
        }
    }

    /// One step from primitives; the gates use the layer's named views
    /// (`Wix`, `Wih`, `bi`, ...), and a bias reaches every column through a
    /// product with a row of ones.
    static func primitiveStep(_ layer: LSTMLayer, _ graph: Graph, _ x: Matrix, _ state: LayerState) -> LayerState {
        let named = Dictionary(uniqueKeysWithValues: layer.parameters.map { ($0.name, $0.matrix) })
        let ones = graph.constant(copying: Matrix(rows: 1, columns: x.columns, values: Array(repeating: 1, count: x.columns)))
        func preactivation(_ gate: String) -> Matrix {
            let fromInput = graph.mul(named["W\(gate)x0"]!, x)
            let fromHidden = graph.mul(named["W\(gate)h0"]!, state.hidden)
            return graph.add(graph.add(fromInput, fromHidden), graph.mul(named["b\(gate)0"]!, ones))
        }
        let i = graph.sigmoid(preactivation("i")), f = graph.sigmoid(preactivation("f"))
        let o = graph.sigmoid(preactivation("o")), g = graph.tanh(preactivation("c"))
        let cell = graph.add(graph.eltmul(f, state.cell!), graph.eltmul(i, g))
        let hidden = graph.eltmul(o, graph.tanh(cell))
        return LayerState(hidden: hidden, cell: cell)
    }

    static func fusedStep(_ layer: LSTMLayer, _ graph: Graph, _ x: Matrix, _ state: LayerState) -> LayerState {
        layer.step(graph, input: x, state: state)
    }

    static func gradientCheck(_ problem: Problem, step: @escaping (LSTMLayer, Graph, Matrix, LayerState) -> LayerState) {
        let results = GradientCheck.check(
            parameters: problem.checked,
            loss: { problem.run(on: Graph(recordsBackward: false)) { step(problem.layer, $0, $1, $2) }.loss },
            computeGradients: {
                problem.zeroGradients()
                _ = problem.run(on: Graph()) { step(problem.layer, $0, $1, $2) }
            })
        #expect(results.count == problem.checked.count)
        for result in results {
            #expect(result.worstRelativeError < GradientCheck.defaultBound, "\(result.name): \(result.worstRelativeError)")
            #expect(result.checked > 0, "\(result.name) was checked")
        }
    }

    @Test func primitiveLSTMPassesTheGradientCheck() {
        Self.gradientCheck(Problem(seed: 11), step: Self.primitiveStep)
    }

    @Test func fusedLSTMPassesTheGradientCheck() {
        Self.gradientCheck(Problem(seed: 11), step: Self.fusedStep)
    }

    @Test(arguments: [11, 12] as [UInt64])
    func fusedCellMatchesThePrimitiveLSTM(seed: UInt64) {
        let problem = Problem(seed: seed)
        problem.zeroGradients()
        let primitive = problem.run(on: Graph(), step: { Self.primitiveStep(problem.layer, $0, $1, $2) })
        let primitiveGradients = problem.checked.map(\.matrix.gradientArray)
        problem.zeroGradients()
        let fused = problem.run(on: Graph(), step: { Self.fusedStep(problem.layer, $0, $1, $2) })

        expectClose(fused.loss, primitive.loss, relative: 1e-5, "loss")
        #expect(WindowPassTests.relativeDifference(fused.outputs, primitive.outputs) < 1e-5, "hidden and cell states")
        for (parameter, expected) in zip(problem.checked, primitiveGradients) {
            let actual = parameter.matrix.gradientArray
            let difference = WindowPassTests.relativeDifference(actual, expected)
            #expect(difference < 1e-5, "\(parameter.name): gradients differ by \(difference)")
            #expect(expected.contains { $0 != 0 }, "\(parameter.name) has a gradient")
        }
    }
}
