import COpenBLAS
import Foundation

/// Which OpenBLAS kernels run the large products, and the means to pick good
/// ones before the library starts.
///
/// OpenBLAS chooses its kernels once, when the library loads, from the CPU's
/// model number; a build older than the CPU (Debian 12 ships 0.3.21) falls back
/// to its slowest generic kernels ("Prescott", SSE3) on recent Xeons. The
/// environment variable `OPENBLAS_CORETYPE` overrides the choice, but only if it
/// is set before the process starts, so an executable that finds it unset
/// sets it from the CPU's features and re-executes itself, once.
///
/// The same restart sets `OPENBLAS_NUM_THREADS=1` when unset, so that OpenBLAS
/// starts no worker threads at load; ``BLASThreads/set(_:)`` creates them later
/// from a thread that flushes subnormals to zero, and they inherit that mode.
public enum BLASKernels {
    /// The name of the kernel set OpenBLAS is using, e.g. "SkylakeX".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
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

    /// Call first thing in `main`: when OpenBLAS fell back to its generic
    /// kernels and `OPENBLAS_CORETYPE` is unset, sets it to the best kernel set
    /// this CPU supports and replaces the process with a fresh copy of itself
    /// (same arguments and environment). Otherwise returns at once. A value the
    /// machine already sets is always respected.
    public static func selectFastKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil,
              coreName.lowercased() == "prescott",
              let core = preferredCore() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        if environment["OPENBLAS_NUM_THREADS"] == nil { setenv("OPENBLAS_NUM_THREADS", "1", 1) }
        let arguments = CommandLine.unsafeArgv
        execv("/proc/self/exe", arguments)
        // execv returned: it failed; carry on with the generic kernels.
    }
}
