import Foundation
import Testing
@testable import Recurrent

/// The vectorised activations agree with the C library's.
@Suite struct ActivationTests {
    @Test func vectorisedTanhAndSigmoidMatchLibm() {
        let inputs: [Float] = stride(from: -30.0, through: 30.0, by: 0.013).map { Float($0) }
            + [0, 1e-6, -1e-6, 1e-3, 0.2499, 0.2501, -0.26, 88, -88, 200, -200]
        let count = inputs.count
        var tanhOut = [Float](repeating: 0, count: count), sigmoidOut = [Float](repeating: 0, count: count)
        inputs.withUnsafeBufferPointer { source in
            tanhOut.withUnsafeMutableBufferPointer { Activation.tanh(source.baseAddress!, into: $0.baseAddress!, count: count) }
            sigmoidOut.withUnsafeMutableBufferPointer { Activation.sigmoid(source.baseAddress!, into: $0.baseAddress!, count: count) }
        }
        var worstTanh = 0.0, worstSigmoid = 0.0
        for (index, x) in inputs.enumerated() {
            let t = Foundation.tanh(Double(x)), s = 1 / (1 + Foundation.exp(-Double(x)))
            worstTanh = max(worstTanh, abs(Double(tanhOut[index]) - t) / max(abs(t), 1e-30))
            worstSigmoid = max(worstSigmoid, abs(Double(sigmoidOut[index]) - s) / max(abs(s), 1e-30))
        }
        #expect(worstTanh < 2e-6, "tanh relative error \(worstTanh)")
        #expect(worstSigmoid < 2e-6, "sigmoid relative error \(worstSigmoid)")
    }
}
