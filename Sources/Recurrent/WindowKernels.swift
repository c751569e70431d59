/// The element-wise parts of a layer's step over strided window blocks, each
/// row a run of `width` contiguous columns (the batch at one step), for
/// ``WindowPass``. Eight lanes at a time, then a scalar tail.
enum WindowKernels {
    /// Adds the step's recurrent product (`4·rows x width`, contiguous) to
    /// the gates' preactivations, activates them in place (σ for i, f, o;
    /// tanh for g) and writes `c = f⊙c' + i⊙g`, `tanh(c)` and `h = o⊙tanh(c)`.
    static func lstmForward(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>, rows: Int,
                            previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                            hidden: UnsafeMutablePointer<Float>, stateStride: Int,
                            cellTanh: UnsafeMutablePointer<Float>, tanhStride: Int, width: Int) {
        let forgetOffset = rows * gateStride, outputOffset = 2 * forgetOffset, candidateOffset = 3 * forgetOffset
        for row in 0..<rows {
            let i = gates + row * gateStride, f = i + forgetOffset, o = i + outputOffset, g = i + candidateOffset
            let cPrevious = previousCell + row * stateStride, c = cell + row * stateStride, h = hidden + row * stateStride
            let t = cellTanh + row * tanhStride
            let ri = recurrent + row * width, rf = ri + rows * width, ro = rf + rows * width, rg = ro + rows * width
            var column = 0
            while column + 8 <= width {
                let inputGate = Activation.sigmoid(MatrixProduct.load(i + column) + MatrixProduct.load(ri + column))
                let forgetGate = Activation.sigmoid(MatrixProduct.load(f + column) + MatrixProduct.load(rf + column))
                let outputGate = Activation.sigmoid(MatrixProduct.load(o + column) + MatrixProduct.load(ro + column))
                let candidate = Activation.tanh(MatrixProduct.load(g + column) + MatrixProduct.load(rg + column))
                let newCell = forgetGate * MatrixProduct.load(cPrevious + column) + inputGate * candidate
                let squashed = Activation.tanh(newCell)
                MatrixProduct.store(inputGate, i + column)
                MatrixProduct.store(forgetGate, f + column)
                MatrixProduct.store(outputGate, o + column)
                MatrixProduct.store(candidate, g + column)
                MatrixProduct.store(newCell, c + column)
                MatrixProduct.store(squashed, t + column)
                MatrixProduct.store(outputGate * squashed, h + column)
                column += 8
            }
            while column < width {
                let inputGate = Activation.sigmoid(i[column] + ri[column]), forgetGate = Activation.sigmoid(f[column] + rf[column])
                let outputGate = Activation.sigmoid(o[column] + ro[column]), candidate = Activation.tanh(g[column] + rg[column])
                let newCell = forgetGate * cPrevious[column] + inputGate * candidate
                let squashed = Activation.tanh(newCell)
                i[column] = inputGate; f[column] = forgetGate; o[column] = outputGate; g[column] = candidate
                c[column] = newCell
                t[column] = squashed
                h[column] = outputGate * squashed
                column += 1
            }
        }
    }

    /// One step of the LSTM's backward: from the gradient of the step's
    /// output (`outputGradients`) plus the next step's (`hiddenNext`,
    /// `cellNext`, both `rows x width`), writes the gates' preactivation
    /// gradients and replaces `cellNext` with the gradient of the previous
    /// cell state. `hiddenNext` is read only; the caller overwrites it with
    /// the recurrent product afterwards.
    static func lstmBackward(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>,
                             gateStride: Int, rows: Int,
                             outputGradients: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, stateStride: Int,
                             cellTanh: UnsafePointer<Float>, tanhStride: Int,
                             hiddenNext: UnsafePointer<Float>, cellNext: UnsafeMutablePointer<Float>, width: Int) {
        let forgetOffset = rows * gateStride, outputOffset = 2 * forgetOffset, candidateOffset = 3 * forgetOffset
        let one = SIMD8<Float>(repeating: 1)
        for row in 0..<rows {
            let i = gates + row * gateStride, f = i + forgetOffset, o = i + outputOffset, g = i + candidateOffset
            let di = gateGradients + row * gateStride, df = di + forgetOffset, dO = di + outputOffset, dg = di + candidateOffset
            let dOut = outputGradients + row * stateStride, cPrevious = previousCell + row * stateStride
            let t = cellTanh + row * tanhStride
            let dhNext = hiddenNext + row * width, dcNext = cellNext + row * width
            var column = 0
            while column + 8 <= width {
                let inputGate = MatrixProduct.load(i + column), forgetGate = MatrixProduct.load(f + column)
                let outputGate = MatrixProduct.load(o + column), candidate = MatrixProduct.load(g + column)
                let squashed = MatrixProduct.load(t + column)
                let dHidden = MatrixProduct.load(dOut + column) + MatrixProduct.load(dhNext + column)
                let dCell = MatrixProduct.load(dcNext + column) + dHidden * outputGate * (one - squashed * squashed)
                MatrixProduct.store(dCell * candidate * inputGate * (one - inputGate), di + column)
                MatrixProduct.store(dCell * MatrixProduct.load(cPrevious + column) * forgetGate * (one - forgetGate), df + column)
                MatrixProduct.store(dHidden * squashed * outputGate * (one - outputGate), dO + column)
                MatrixProduct.store(dCell * inputGate * (one - candidate * candidate), dg + column)
                MatrixProduct.store(dCell * forgetGate, dcNext + column)
                column += 8
            }
            while column < width {
                let inputGate = i[column], forgetGate = f[column], outputGate = o[column], candidate = g[column]
                let squashed = t[column]
                let dHidden = dOut[column] + dhNext[column]
                let dCell = dcNext[column] + dHidden * outputGate * (1 - squashed * squashed)
                di[column] = dCell * candidate * inputGate * (1 - inputGate)
                df[column] = dCell * cPrevious[column] * forgetGate * (1 - forgetGate)
                dO[column] = dHidden * squashed * outputGate * (1 - outputGate)
                dg[column] = dCell * inputGate * (1 - candidate * candidate)
                dcNext[column] = dCell * forgetGate
                column += 1
            }
        }
    }

    // MARK: GRU

    /// Adds the recurrent product of the r and z rows (`2·rows x width`,
    /// contiguous) to their preactivations, activates them in place and
    /// writes `r⊙h'` (the candidate's recurrent input).
    static func gruGates(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>, rows: Int,
                         previous: UnsafePointer<Float>, stateStride: Int,
                         resetHidden: UnsafeMutablePointer<Float>, resetStride: Int, width: Int) {
        let updateOffset = rows * gateStride
        for row in 0..<rows {
            let r = gates + row * gateStride, z = r + updateOffset
            let rr = recurrent + row * width, rz = rr + rows * width
            let hPrevious = previous + row * stateStride, rh = resetHidden + row * resetStride
            var column = 0
            while column + 8 <= width {
                let reset = Activation.sigmoid(MatrixProduct.load(r + column) + MatrixProduct.load(rr + column))
                let update = Activation.sigmoid(MatrixProduct.load(z + column) + MatrixProduct.load(rz + column))
                MatrixProduct.store(reset, r + column)
                MatrixProduct.store(update, z + column)
                MatrixProduct.store(reset * MatrixProduct.load(hPrevious + column), rh + column)
                column += 8
            }
            while column < width {
                let reset = Activation.sigmoid(r[column] + rr[column]), update = Activation.sigmoid(z[column] + rz[column])
                r[column] = reset
                z[column] = update
                rh[column] = reset * hPrevious[column]
                column += 1
            }
        }
    }

    /// Adds the candidate's recurrent product (`rows x width`, contiguous),
    /// activates the candidate `n` in place and writes `h = (1 − z)⊙h' + z⊙n`.
    static func gruOutput(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>, rows: Int,
                          previous: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, stateStride: Int, width: Int) {
        let updateOffset = rows * gateStride, candidateOffset = 2 * updateOffset
        let one = SIMD8<Float>(repeating: 1)
        for row in 0..<rows {
            let z = gates + row * gateStride + updateOffset, n = gates + row * gateStride + candidateOffset
            let rn = recurrent + row * width
            let hPrevious = previous + row * stateStride, h = hidden + row * stateStride
            var column = 0
            while column + 8 <= width {
                let candidate = Activation.tanh(MatrixProduct.load(n + column) + MatrixProduct.load(rn + column))
                let update = MatrixProduct.load(z + column)
                MatrixProduct.store(candidate, n + column)
                MatrixProduct.store((one - update) * MatrixProduct.load(hPrevious + column) + update * candidate, h + column)
                column += 8
            }
            while column < width {
                let candidate = Activation.tanh(n[column] + rn[column]), update = z[column]
                n[column] = candidate
                h[column] = (1 - update) * hPrevious[column] + update * candidate
                column += 1
            }
        }
    }

    /// First half of a GRU step's backward: from the output's gradient plus
    /// the next step's (`hiddenNext`), the z and n preactivation gradients,
    /// and `partial = dh⊙(1 − z)`, the direct part of the previous state's gradient.
    static func gruBackwardOutput(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int,
                                  rows: Int, outputGradients: UnsafePointer<Float>, previous: UnsafePointer<Float>,
                                  stateStride: Int, hiddenNext: UnsafePointer<Float>,
                                  partial: UnsafeMutablePointer<Float>, width: Int) {
        let updateOffset = rows * gateStride, candidateOffset = 2 * updateOffset
        let one = SIMD8<Float>(repeating: 1)
        for row in 0..<rows {
            let z = gates + row * gateStride + updateOffset, n = gates + row * gateStride + candidateOffset
            let dz = gateGradients + row * gateStride + updateOffset, dn = gateGradients + row * gateStride + candidateOffset
            let dOut = outputGradients + row * stateStride, hPrevious = previous + row * stateStride
            let dhNext = hiddenNext + row * width, direct = partial + row * width
            var column = 0
            while column + 8 <= width {
                let dHidden = MatrixProduct.load(dOut + column) + MatrixProduct.load(dhNext + column)
                let update = MatrixProduct.load(z + column), candidate = MatrixProduct.load(n + column)
                let difference = candidate - MatrixProduct.load(hPrevious + column)
                MatrixProduct.store(dHidden * difference * update * (one - update), dz + column)
                MatrixProduct.store(dHidden * update * (one - candidate * candidate), dn + column)
                MatrixProduct.store(dHidden * (one - update), direct + column)
                column += 8
            }
            while column < width {
                let dHidden = dOut[column] + dhNext[column], update = z[column], candidate = n[column]
                dz[column] = dHidden * (candidate - hPrevious[column]) * update * (1 - update)
                dn[column] = dHidden * update * (1 - candidate * candidate)
                direct[column] = dHidden * (1 - update)
                column += 1
            }
        }
    }

    /// Second half: from `resetGradient`, the gradient of `r⊙h'` (the
    /// candidate's product transposed), the r preactivation gradient, and
    /// `partial += resetGradient⊙r`.
    static func gruBackwardReset(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int,
                                 rows: Int, previous: UnsafePointer<Float>, stateStride: Int,
                                 resetGradient: UnsafePointer<Float>, partial: UnsafeMutablePointer<Float>, width: Int) {
        let one = SIMD8<Float>(repeating: 1)
        for row in 0..<rows {
            let r = gates + row * gateStride, dr = gateGradients + row * gateStride
            let hPrevious = previous + row * stateStride, dReset = resetGradient + row * width, direct = partial + row * width
            var column = 0
            while column + 8 <= width {
                let reset = MatrixProduct.load(r + column), gradient = MatrixProduct.load(dReset + column)
                MatrixProduct.store(gradient * MatrixProduct.load(hPrevious + column) * reset * (one - reset), dr + column)
                MatrixProduct.store(MatrixProduct.load(direct + column) + gradient * reset, direct + column)
                column += 8
            }
            while column < width {
                let reset = r[column], gradient = dReset[column]
                dr[column] = gradient * hPrevious[column] * reset * (1 - reset)
                direct[column] += gradient * reset
                column += 1
            }
        }
    }

    // MARK: RNN

    /// `h = relu(preactivation + recurrent)`.
    static func rnnForward(gates: UnsafePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>, rows: Int,
                           hidden: UnsafeMutablePointer<Float>, stateStride: Int, width: Int) {
        for row in 0..<rows {
            let g = gates + row * gateStride, rec = recurrent + row * width, h = hidden + row * stateStride
            for column in 0..<width { h[column] = max(0, g[column] + rec[column]) }
        }
    }

    /// The preactivation gradient: the output's plus the next step's where `h > 0`.
    static func rnnBackward(gateGradients: UnsafeMutablePointer<Float>, gateStride: Int, rows: Int,
                            hidden: UnsafePointer<Float>, outputGradients: UnsafePointer<Float>, stateStride: Int,
                            hiddenNext: UnsafePointer<Float>, width: Int) {
        for row in 0..<rows {
            let d = gateGradients + row * gateStride, h = hidden + row * stateStride
            let dOut = outputGradients + row * stateStride, dhNext = hiddenNext + row * width
            for column in 0..<width { d[column] = h[column] > 0 ? dOut[column] + dhNext[column] : 0 }
        }
    }
}
