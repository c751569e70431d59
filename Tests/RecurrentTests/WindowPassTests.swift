import Testing
@testable import Recurrent

/// The layer-by-layer pass that text training uses computes what the graph
/// computes step by step: the same cost, every parameter gradient, the same
/// carried state and the same dropout masks, for every kind of layer.
@Suite struct WindowPassTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var generator: Generator = .lstm
        let hiddenSizes: [Int]
        let width: Int
        let steps: Int
        let dropout: Float
        var packed = true
        var testDescription: String {
            "\(generator.rawValue.uppercased()) \(hiddenSizes), \(width) streams x \(steps) steps, dropout \(dropout)"
                + (packed ? "" : ", BLAS step products")
        }
    }

    static let cases = [
        Case(hiddenSizes: [7, 5], width: 3, steps: 6, dropout: 0),
        // Nine streams: a row of eight SIMD lanes and a scalar tail.
        Case(hiddenSizes: [6, 9, 4], width: 9, steps: 5, dropout: 0),
        Case(hiddenSizes: [8, 6], width: 17, steps: 4, dropout: 0.3),
        Case(hiddenSizes: [5], width: 2, steps: 1, dropout: 0.5),
        Case(hiddenSizes: [7, 5], width: 3, steps: 6, dropout: 0, packed: false),
        Case(hiddenSizes: [8, 6], width: 17, steps: 4, dropout: 0.3, packed: false),
        // Wider than the packed kernel's 16-column blocks, with a deeper inner dimension than its 256-long slices.
        Case(hiddenSizes: [70], width: 35, steps: 3, dropout: 0),
        Case(generator: .gru, hiddenSizes: [7, 5], width: 3, steps: 6, dropout: 0),
        Case(generator: .gru, hiddenSizes: [6, 9, 4], width: 9, steps: 5, dropout: 0.3),
        Case(generator: .gru, hiddenSizes: [8, 6], width: 17, steps: 4, dropout: 0.3, packed: false),
        Case(generator: .gru, hiddenSizes: [40], width: 20, steps: 3, dropout: 0),
        Case(generator: .rnn, hiddenSizes: [7, 5], width: 3, steps: 6, dropout: 0),
        Case(generator: .rnn, hiddenSizes: [6, 9, 4], width: 9, steps: 5, dropout: 0.3),
        Case(generator: .rnn, hiddenSizes: [8, 6], width: 17, steps: 4, dropout: 0, packed: false),
    ]

    static func randomGrid(width: Int, steps: Int, symbols: Int, random: inout RandomSource) -> SequenceGrid {
        var grid = SequenceGrid()
        grid.reset(width: width)
        for _ in 0..<steps {
            grid.appendStep(inputs: (0..<width).map { _ in random.nextIndex(below: symbols) },
                            targets: (0..<width).map { _ in random.nextIndex(below: symbols) })
        }
        return grid
    }

    /// A carried state of small random values, so that loading it matters.
    static func randomState(_ network: RecurrentNetwork, width: Int, random: inout RandomSource) -> [LayerState] {
        let state = WindowWorker.makeState(network, width: width)
        for layer in state {
            layer.hidden.randomize(scale: 0.5, using: &random)
            layer.cell?.randomize(scale: 0.5, using: &random)
        }
        return state
    }

    static func copy(_ state: [LayerState]) -> [LayerState] {
        state.map { layer in
            let hidden = Matrix(rows: layer.hidden.rows, columns: layer.hidden.columns, values: layer.hidden.valueArray)
            let cell = layer.cell.map { Matrix(rows: $0.rows, columns: $0.columns, values: $0.valueArray) }
            return LayerState(hidden: hidden, cell: cell)
        }
    }

    /// Worst `|a - b|` relative to the larger of the two matrices' largest magnitude.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        let scale = max(a.map { abs(Double($0)) }.max() ?? 0, b.map { abs(Double($0)) }.max() ?? 0, 1e-6)
        return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
    }

    @Test(arguments: cases)
    func matchesTheGraph(_ example: Case) {
        var random = RandomSource(seed: 42)
        let symbols = 11
        let reference = RecurrentNetwork(generator: example.generator, symbolCount: symbols, letterSize: 4,
                                         hiddenSizes: example.hiddenSizes, random: &random)
        let network = RecurrentNetwork(generator: example.generator, symbolCount: symbols, letterSize: 4,
                                       hiddenSizes: example.hiddenSizes)
        network.copyWeights(from: reference)
        // Non-zero biases, so that a bias the pass forgot would show.
        for parameter in reference.parameters where parameter.name.hasPrefix("b") {
            parameter.matrix.randomize(scale: 0.3, using: &random)
        }
        network.copyWeights(from: reference)

        let graphState = Self.randomState(reference, width: example.width, random: &random)
        let passState = Self.copy(graphState)
        let pass = WindowPass(network: network, usesPackedWeights: example.packed)
        #expect(pass.usesPackedWeights == (example.packed && PackedWeights.isAvailable))
        let graph = Graph()
        // Two windows in a row: the state carries, the buffers are reused and
        // the gradients of both add up.
        for window in 0..<2 {
            let grid = Self.randomGrid(width: example.width, steps: example.steps, symbols: symbols, random: &random)
            var graphRandom = RandomSource(seed: 7 + UInt64(window)), passRandom = graphRandom
            let graphCost = WindowWorker.run(reference, grid, on: graph, carrying: graphState,
                                             dropout: example.dropout, random: &graphRandom)
            graph.backward()
            let passCost = pass.train(grid, carrying: passState, dropout: example.dropout, random: &passRandom)
            expectClose(passCost, graphCost, relative: 1e-5, "window \(window) cost")
            #expect(graphRandom == passRandom, "both drew the same dropout masks")
            for (expected, actual) in zip(graphState, passState) {
                #expect(Self.relativeDifference(actual.hidden.valueArray, expected.hidden.valueArray) < 1e-5)
                #expect(Self.relativeDifference(actual.cell?.valueArray ?? [], expected.cell?.valueArray ?? []) < 1e-5)
            }
        }
        for (expected, actual) in zip(reference.parameters, network.parameters) {
            let difference = Self.relativeDifference(actual.matrix.gradientArray, expected.matrix.gradientArray)
            #expect(difference < 1e-4, "\(expected.name): gradients differ by \(difference)")
            #expect(expected.matrix.gradientArray.contains { $0 != 0 }, "\(expected.name) has a gradient")
        }
    }

    /// Each C level's packed product (AVX2, AVX-512) equals BLAS's for shapes
    /// that end inside a panel, a column block (and the AVX2 kernel's groups
    /// of six columns) and an inner slice, on strided operands; every column
    /// count a block can have, and widths split into uneven blocks (50: 13,
    /// 13, 12, 12).
    /// (Runs the levels this CPU has; the portable level uses BLAS, which the BLAS cases above cover.)
    @Test(.enabled(if: !KernelComparison.compiledLevels.isEmpty, "the packed kernels need AVX2 or AVX-512"),
          arguments: KernelComparison.compiledLevels, [false, true])
    func packedProductMatchesBLAS(level: CPUKernels.Level, transposed: Bool) throws {
        var random = RandomSource(seed: 3)
        let weights = Matrix(rows: 37, columns: 300)
        weights.randomize(scale: 1, using: &random)
        let rows = transposed ? 300 : 37, inner = transposed ? 37 : 300
        let packed = PackedWeights(kernels: Kernels(level: level))
        packed.pack(weights, transposed: transposed)
        for width in Array(1...18) + [33, 50] {
            let bStride = width + 3, cStride = width + 2
            let b = Matrix(rows: inner, columns: bStride), start = Matrix(rows: rows, columns: cStride)
            b.randomize(scale: 1, using: &random)
            start.randomize(scale: 1, using: &random)
            for accumulate in [false, true] {
                let actual = Matrix(rows: rows, columns: cStride, values: start.valueArray)
                let expected = Matrix(rows: rows, columns: cStride, values: start.valueArray)
                packed.multiply(b.values, stride: bStride, into: actual.values, stride: cStride, width: width, accumulate: accumulate)
                MatrixProduct.gemm(transposeA: transposed, m: rows, n: width, k: inner, a: weights.values, lda: weights.columns,
                                   b: b.values, ldb: bStride, c: expected.values, ldc: cStride, beta: accumulate ? 1 : 0)
                // Columns past `width` are left alone.
                let difference = Self.relativeDifference(actual.valueArray, expected.valueArray)
                #expect(difference < 1e-5, "\(level) width \(width), accumulate \(accumulate): differs by \(difference)")
            }
        }
    }
}
