import Testing
@testable import Recurrent

/// The C levels' activations, small products, rank-4 updates and RMSProp step
/// against the portable Swift ones, on sizes that leave every vector tail.
@Suite(.enabled(if: !KernelComparison.compiledLevels.isEmpty, "this CPU runs only the portable level"))
struct VectorKernelTests {
    static let counts = [1, 5, 7, 8, 9, 16, 17, 20, 33, 100]
    static let rowCounts = [1, 3, 4, 5, 9, 17]
    static let levels = KernelComparison.compiledLevels

    @Test(arguments: levels)
    func activationsMatchPortable(level: CPUKernels.Level) {
        for count in Self.counts {
            KernelComparison.expectAgreement(level, "tanh of \(count)", sizes: [count, count]) { kernels, b in
                kernels.table.tanh(b[0], b[1], count)
            }
            KernelComparison.expectAgreement(level, "sigmoid of \(count) in place", sizes: [count]) { kernels, b in
                kernels.table.sigmoid(b[0], b[0], count)
            }
        }
    }

    /// Far outside the polynomial's range the clamps hold: no infinity or NaN.
    @Test(arguments: levels)
    func activationsSaturateLikePortable(level: CPUKernels.Level) {
        KernelComparison.expectAgreement(level, "tanh and sigmoid of large values", sizes: [19, 19, 19]) { kernels, b in
            for index in 0..<19 { b[0][index] = Float(index - 9) * 15 }
            kernels.table.tanh(b[0], b[1], 19)
            kernels.table.sigmoid(b[0], b[2], 19)
        }
    }

    @Test(arguments: levels)
    func matrixVectorProductsMatchPortable(level: CPUKernels.Level) {
        for m in Self.rowCounts {
            for k in Self.counts {
                for accumulate in [false, true] {
                    KernelComparison.expectAgreement(level, "A[\(m)x\(k)]·b accumulate \(accumulate)",
                                                     sizes: [m * k, k, m]) { kernels, b in
                        kernels.table.multiply_vector(b[0], b[1], b[2], m, k, accumulate ? 1 : 0)
                    }
                }
                KernelComparison.expectAgreement(level, "c += A[\(m)x\(k)]ᵀ·b", sizes: [m * k, m, k]) { kernels, b in
                    kernels.table.accumulate_transposed_vector(b[0], b[1], b[2], m, k)
                }
            }
        }
    }

    @Test(arguments: levels)
    func smallProductsMatchPortable(level: CPUKernels.Level) {
        // m = 8 and 9 and n = 16, 17 and 33 reach the four-row, sixteen-column blocks.
        for m in [1, 3, 5, 8, 9] {
            for k in [1, 7, 9, 17] {
                for n in [1, 2, 7, 9, 16, 17, 33] {
                    KernelComparison.expectAgreement(level, "C = A[\(m)x\(k)]·B[\(k)x\(n)]",
                                                     sizes: [m * k, k * n, m * n]) { kernels, b in
                        kernels.table.multiply_small(b[0], b[1], b[2], m, k, n, 0)
                    }
                    KernelComparison.expectAgreement(level, "C += A[\(m)x\(k)]·B[\(k)x\(n)]",
                                                     sizes: [m * k, k * n, m * n]) { kernels, b in
                        kernels.table.multiply_small(b[0], b[1], b[2], m, k, n, 1)
                    }
                    KernelComparison.expectAgreement(level, "C += A[\(m)x\(n)]·B[\(k)x\(n)]ᵀ",
                                                     sizes: [m * n, k * n, m * k]) { kernels, b in
                        // A zero factor, which the rank-1 case skips.
                        b[0][0] = 0
                        kernels.table.times_transposed_small(b[0], b[1], b[2], m, n, k)
                    }
                    KernelComparison.expectAgreement(level, "C += A[\(m)x\(k)]ᵀ·B[\(m)x\(n)]",
                                                     sizes: [m * k, m * n, k * n]) { kernels, b in
                        kernels.table.transposed_times_small(b[0], b[1], b[2], m, k, n)
                    }
                }
            }
        }
    }

    @Test(arguments: levels)
    func rankFourUpdateMatchesPortable(level: CPUKernels.Level) {
        for rows in [1, 3, 20] {
            for columns in Self.counts {
                KernelComparison.expectAgreement(level, "\(rows)x\(columns) += four outer products",
                                                 sizes: [rows * columns] + Array(repeating: rows, count: 4)
                                                     + Array(repeating: columns, count: 4)) { kernels, b in
                    kernels.table.outer_product4(b[0], rows, columns, b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8])
                }
            }
        }
    }

    @Test(arguments: levels)
    func rmspropMatchesPortable(level: CPUKernels.Level) {
        for count in Self.counts {
            var clipped: [Int] = []
            // Gradients in −2...2 with a clip of 1: about half are clipped.
            KernelComparison.expectAgreement(level, "RMSProp of \(count)", sizes: [count, count, count],
                                             positive: [2]) { kernels, b in
                clipped.append(kernels.table.rmsprop(b[0], b[1], b[2], count, 0.999, 0.001, 1e-8, 0.01, 1e-6, 1))
            }
            #expect(clipped.count == 2 && clipped[0] == clipped[1], "\(level) RMSProp of \(count): clipped \(clipped)")
        }
    }
}

/// How `RECURRENT_KERNELS` picks a level.
struct KernelLevelChoiceTests {
    @Test func unsetEmptyOrAutoPicksTheBestLevel() {
        for value in [nil, "", "auto", " AUTO "] {
            let choice = CPUKernels.choose(requested: value, best: .avx2)
            #expect(choice.level == .avx2 && choice.notice == nil, "\(String(describing: value))")
        }
    }

    @Test func aLevelTheCPUHasIsUsed() {
        #expect(CPUKernels.choose(requested: "portable", best: .avx512) == (.portable, nil))
        #expect(CPUKernels.choose(requested: "avx2", best: .avx512).level == .avx2)
        #expect(CPUKernels.choose(requested: "avx512", best: .avx512).level == .avx512)
    }

    @Test func aLevelTheCPULacksFallsBackToTheBestWithANotice() {
        let choice = CPUKernels.choose(requested: "avx512", best: .avx2)
        #expect(choice.level == .avx2)
        #expect(choice.notice?.contains("cannot run") == true)
    }

    @Test func anUnknownValueUsesTheBestLevelWithANotice() {
        let choice = CPUKernels.choose(requested: "sse9", best: .portable)
        #expect(choice.level == .portable)
        #expect(choice.notice?.contains("sse9") == true && choice.notice?.contains("auto, portable, avx2, avx512") == true)
    }

    @Test func theSelectedLevelIsOneThisCPURuns() {
        #expect(CPUKernels.selected <= CPUKernels.best)
        #expect(Kernels.selected.level == CPUKernels.selected)
        #expect(PackedWeights.isAvailable == (CPUKernels.selected != .portable))
    }
}
