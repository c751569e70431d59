import CKernels
import Testing
@testable import Recurrent

/// The fused LSTM inference step of a batch (`lstm_columns`) against the
/// step it replaces: bias plus both products, then the portable cell.
@Suite(.enabled(if: !KernelComparison.compiledLevels.isEmpty, "this CPU runs only the portable level"))
struct LSTMColumnsTests {
    /// Odd unit counts leave a half-filled unit group; batches leave every
    /// vector tail (1, 7, 9, 17, 33 columns past whole vectors of 8 or 16).
    @Test(arguments: KernelComparison.compiledLevels)
    func fusedStepMatchesTheUnfusedOne(level: CPUKernels.Level) {
        for (units, inputs) in [(1, 1), (5, 3), (8, 5), (33, 20)] {
            for batch in [2, 7, 9, 16, 17, 33] {
                let gates = 4 * units, state = units * batch
                // Weights scaled down so the gates do not all saturate.
                let sizes = [gates, gates * inputs, gates * units, inputs * batch, state, state, state, state]
                KernelComparison.expectAgreement(level, "LSTM columns \(units) units, \(inputs) inputs, batch \(batch)",
                                                 sizes: sizes, tolerance: 1e-5) { kernels, b in
                    for index in 0..<(gates * inputs) { b[1][index] *= 0.3 }
                    for index in 0..<(gates * units) { b[2][index] *= 0.3 }
                    if let fused = kernels.table.lstm_columns {
                        var packed = [Float](repeating: .nan, count: recurrent_packed_size_lstm(Int32(units), Int32(inputs)))
                        recurrent_pack_lstm(b[0], b[1], b[2], Int32(units), Int32(inputs), &packed)
                        fused(packed, units, inputs, b[3], b[4], b[5], b[6], b[7], batch)
                    } else {
                        Self.unfused(units: units, inputs: inputs, batch: batch, b)
                    }
                }
            }
        }
    }

    /// Preactivations summed in order (bias, inputs, recurrent), then the
    /// portable cell: `b` is bias, input and recurrent weights, x, h,
    /// previous cell, then the new cell and hidden state.
    static func unfused(units: Int, inputs: Int, batch: Int, _ b: [UnsafeMutablePointer<Float>]) {
        let area = units * batch
        var preactivations = [Float](repeating: 0, count: 4 * area)
        for row in 0..<(4 * units) {
            for column in 0..<batch {
                var sum = b[0][row]
                for inner in 0..<inputs { sum += b[1][row * inputs + inner] * b[3][inner * batch + column] }
                for inner in 0..<units { sum += b[2][row * units + inner] * b[4][inner * batch + column] }
                preactivations[row * batch + column] = sum
            }
        }
        var cellTanh = [Float](repeating: 0, count: area)
        LSTMStep.portableForward(gates: &preactivations, gateStride: area, recurrent: nil, rows: 1,
                                 previousCell: b[5], cell: b[6], hidden: b[7], stateStride: area,
                                 cellTanh: &cellTanh, tanhStride: area, width: area)
    }
}
