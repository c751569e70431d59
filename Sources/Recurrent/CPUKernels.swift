import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which machine code runs the engine's hot kernels: the recurrent cells'
/// steps, the activations, the small and matrix-vector products, the grouped
/// weight-gradient updates, the RMSProp step and the packed recurrent product.
///
/// The package is compiled for baseline x86-64 (or arm64), so instruction
/// sets beyond that are chosen when the process starts: the C kernels in
/// `Sources/CKernels` are built once per ``Level`` and the best level the CPU
/// and its operating system support is used, unless the environment variable
/// `RECURRENT_KERNELS` asks for another (see ``selected``).
public enum CPUKernels {
    /// An instruction set level of the kernels, in increasing order.
    public enum Level: String, Sendable, CaseIterable, Comparable {
        /// The Swift SIMD code compiled for the build's baseline (SSE2 on
        /// x86-64, NEON on arm64); the packed product falls back to BLAS.
        case portable
        /// C kernels for AVX2 with FMA (x86-64 since Haswell and Zen).
        case avx2
        /// C kernels for AVX-512 (F, BW, VL, DQ) with FMA.
        case avx512

        var code: Int32 {
            switch self {
            case .portable: RECURRENT_LEVEL_PORTABLE
            case .avx2: RECURRENT_LEVEL_AVX2
            case .avx512: RECURRENT_LEVEL_AVX512
            }
        }

        public static func < (left: Level, right: Level) -> Bool { left.code < right.code }
    }

    /// The name of the environment variable that forces a level.
    public static let environmentVariable = "RECURRENT_KERNELS"

    /// The best level this CPU and operating system can run.
    public static let best: Level = {
        switch recurrent_cpu_best_level() {
        case RECURRENT_LEVEL_AVX512: .avx512
        case RECURRENT_LEVEL_AVX2: .avx2
        default: .portable
        }
    }()

    /// Every level this machine can run, lowest first.
    public static var available: [Level] { Level.allCases.filter { $0 <= best } }

    /// The level in use, fixed for the life of the process.
    ///
    /// `RECURRENT_KERNELS` unset, empty or `auto` selects ``best``;
    /// `portable`, `avx2` or `avx512` selects that level, or the best this
    /// CPU has when it lacks the one asked for. Any other value selects
    /// ``best`` too; either mismatch is told once on standard error (and in
    /// ``notice``) when the kernels are first used.
    public static var selected: Level { choice.level }

    /// Why ``selected`` differs from what `RECURRENT_KERNELS` asked for, if it does.
    public static var notice: String? { choice.notice }

    private static let choice: (level: Level, notice: String?) = {
        let value = getenv(environmentVariable).map { String(cString: $0) }
        let made = choose(requested: value, best: best)
        if let notice = made.notice {
            let line = "warning: \(notice)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
        return made
    }()

    /// The level for a value of `RECURRENT_KERNELS` on a CPU whose best level
    /// is `best`, and a message when the value could not be followed.
    static func choose(requested: String?, best: Level) -> (level: Level, notice: String?) {
        let value = (requested ?? "").filter { !$0.isWhitespace }.lowercased()
        if value.isEmpty || value == "auto" { return (best, nil) }
        guard let level = Level(rawValue: value) else {
            let names = (["auto"] + Level.allCases.map(\.rawValue)).joined(separator: ", ")
            return (best, "\(environmentVariable)=\(requested ?? "") is not one of \(names); using \(best.rawValue)")
        }
        if level > best {
            return (best, "\(environmentVariable)=\(value): this CPU cannot run it; using \(best.rawValue)")
        }
        return (level, nil)
    }
}
