import Testing
@testable import Recurrent

/// Forward values and gradient rules of each operation, as the original library defines them.
@Suite struct GraphTests {
    let a = Matrix(rows: 2, columns: 2, values: [1, -2, 3, 0.5])
    let b = Matrix(rows: 2, columns: 2, values: [0.5, 4, -1, 2])

    @Test func rowPluckCopiesARowAndScattersItsGradient() {
        let m = Matrix(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 6])
        let graph = Graph()
        let out = graph.rowPluck(m, row: 1)
        #expect(out.rows == 2 && out.columns == 1)
        #expect(out.valueArray == [3, 4])
        out.gradients[0] = 10; out.gradients[1] = 20
        graph.backward()
        #expect(m.gradientArray == [0, 0, 10, 20, 0, 0])
    }

    @Test func mulMultipliesAndBackpropagatesBothWays() {
        let graph = Graph()
        let out = graph.mul(a, b)
        let expected: [Float] = [2.5, 0, 1, 13]  // [1·0.5 + (−2)(−1), 1·4 + (−2)·2, 3·0.5 + 0.5(−1), 3·4 + 0.5·2]
        #expect(out.valueArray == expected)
        for index in 0..<4 { out.gradients[index] = 1 }
        graph.backward()
        // dA = dout · Bᵀ: row sums of B; dB = Aᵀ · dout: column sums of A.
        #expect(a.gradientArray == [4.5, 1, 4.5, 1])
        #expect(b.gradientArray == [4, 4, -1.5, -1.5])
    }

    @Test func addEltmulAndActivations() {
        let graph = Graph()
        #expect(graph.add(a, b).valueArray == [1.5, 2, 2, 2.5])
        #expect(graph.eltmul(a, b).valueArray == [0.5, -8, -3, 1])
        #expect(graph.relu(a).valueArray == [1, 0, 3, 0.5])
        let t = graph.tanh(a).valueArray
        let s = graph.sigmoid(a).valueArray
        for (index, x) in a.valueArray.enumerated() {
            #expect(abs(t[index] - Float(Foundation.tanh(Double(x)))) < 1e-6)
            #expect(abs(s[index] - Float(1 / (1 + Foundation.exp(-Double(x))))) < 1e-6)
        }
    }

    @Test func gradientsAccumulateAcrossUses() {
        let graph = Graph()
        let out = graph.add(a, a)
        for index in 0..<4 { out.gradients[index] = 1 }
        graph.backward()
        #expect(a.gradientArray == [2, 2, 2, 2])
    }

    @Test func inferenceGraphRecordsNothing() {
        let graph = Graph(recordsBackward: false)
        _ = graph.tanh(graph.mul(a, b))
        #expect(graph.recordedSteps == 0)
        let training = Graph()
        _ = training.tanh(training.mul(a, b))
        #expect(training.recordedSteps == 2)
    }

    @Test func resetReusesOutputMatrices() {
        let graph = Graph()
        let first = graph.mul(a, b)
        graph.reset()
        let second = graph.mul(a, b)
        #expect(first === second)
        #expect(second.gradientArray == [0, 0, 0, 0])
    }

    @Test func batchedOperationsBroadcastAndGather() {
        let graph = Graph()
        let table = Matrix(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 6])
        let gathered = graph.gatherRows(table, rows: [2, 0, 2])
        #expect(gathered.rows == 2 && gathered.columns == 3)
        #expect(gathered.valueArray == [5, 1, 5, 6, 2, 6])
        let bias = Matrix(rows: 2, columns: 1, values: [10, 20])
        #expect(graph.addBias(gathered, bias).valueArray == [15, 11, 15, 26, 22, 26])
        let weights = Matrix(rows: 1, columns: 2, values: [1, -1])
        let one = Matrix(rows: 1, columns: 1, values: [0.5])
        #expect(graph.affine(weights, gathered, one).valueArray == [-0.5, -0.5, -0.5])
    }

    /// Every operation's backward step agrees with finite differences of
    /// `Σ out ⊙ R` for a fixed random `R`.
    @Test(arguments: ["mul", "add", "eltmul", "tanh", "sigmoid", "relu", "rowPluck", "gatherRows", "addBias", "affine"])
    func operationGradientsMatchFiniteDifferences(operation: String) {
        var generator = RandomSource(seed: 3)
        func randomMatrix(_ rows: Int, _ columns: Int) -> Matrix {
            let m = Matrix(rows: rows, columns: columns)
            m.randomize(scale: 1, using: &generator)
            return m
        }
        let x = randomMatrix(3, 4), y = randomMatrix(3, 4), w = randomMatrix(3, 3), bias = randomMatrix(3, 1)
        // Keep ReLU inputs away from the kink at zero.
        if operation == "relu" { for i in 0..<x.count where abs(x.values[i]) < 0.1 { x.values[i] = 0.3 } }
        func build(_ graph: Graph) -> Matrix {
            switch operation {
            case "mul": graph.mul(w, x)
            case "add": graph.add(x, y)
            case "eltmul": graph.eltmul(x, y)
            case "tanh": graph.tanh(x)
            case "sigmoid": graph.sigmoid(x)
            case "relu": graph.relu(x)
            case "rowPluck": graph.rowPluck(x, row: 1)
            case "gatherRows": graph.gatherRows(x, rows: [2, 1, 2])
            case "addBias": graph.addBias(x, bias)
            default: graph.affine(w, x, bias)
            }
        }
        let shapeProbe = build(Graph(recordsBackward: false))
        let upstream = randomMatrix(shapeProbe.rows, shapeProbe.columns)
        let inputs = [("w", w), ("x", x), ("y", y), ("bias", bias)].map { NamedParameter(name: $0.0, matrix: $0.1) }
        let results = GradientCheck.check(
            parameters: inputs,
            step: 1e-2,
            loss: {
                let out = build(Graph(recordsBackward: false))
                var sum = 0.0
                for i in 0..<out.count { sum += Double(out.values[i]) * Double(upstream.values[i]) }
                return sum
            },
            computeGradients: {
                for input in inputs { input.matrix.zeroGradients() }
                let graph = Graph()
                let out = build(graph)
                out.gradients.update(from: upstream.values, count: out.count)
                graph.backward()
            })
        for result in results {
            #expect(result.worstRelativeError < 1e-2, "\(operation) gradient of \(result.name): \(result.worstRelativeError)")
        }
    }
}

import Foundation
