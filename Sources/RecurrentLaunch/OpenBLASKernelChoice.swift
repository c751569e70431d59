#if canImport(COpenBLAS)
import COpenBLAS
#endif
import Foundation

/// Picks OpenBLAS's kernels for this CPU before the program starts its work.
///
/// OpenBLAS chooses its kernels once, when the library loads, from the CPU's
/// model number; a build older than the CPU (Debian 12 ships 0.3.21) falls back
/// to its slowest generic kernels ("Prescott", SSE3) on recent CPUs. The
/// environment variable `OPENBLAS_CORETYPE` overrides the choice, but only if it
/// is set before the library loads, which for a dynamically linked library is
/// before any code of the executable runs. So an executable that finds it unset
/// sets it from the CPU's features and re-executes itself, once.
///
/// The same restart sets `OPENBLAS_NUM_THREADS=1` when unset, so that OpenBLAS
/// starts no worker threads at load; the engine's `BLASThreads.set(_:)` creates
/// them later from a thread that flushes subnormals to zero, and they inherit
/// that mode.
///
/// This lives in the executables, not in the engine's library: a library must
/// not replace the process it is loaded into.
public enum OpenBLASKernelChoice {
    /// Call first thing in `main`: when OpenBLAS fell back to its generic
    /// kernels and `OPENBLAS_CORETYPE` is unset, sets it to the best kernel set
    /// this CPU supports and replaces the process with a fresh copy of itself
    /// (same arguments and environment). Otherwise returns at once. A value the
    /// machine already sets is always respected.
    public static func applyBeforeStart() {
        #if canImport(COpenBLAS) && os(Linux)
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil,
              let current = openblas_get_corename(),
              String(cString: current).lowercased() == "prescott",
              let core = preferredCore() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        if environment["OPENBLAS_NUM_THREADS"] == nil { setenv("OPENBLAS_NUM_THREADS", "1", 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returned: it failed; carry on with the generic kernels.
        #endif
    }

    /// The kernel set to ask for on this CPU, or nil to leave OpenBLAS's choice.
    static func preferredCore() -> String? {
        guard let cpuInfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuInfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }
}
