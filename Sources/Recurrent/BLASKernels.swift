#if canImport(COpenBLAS)
import COpenBLAS
#endif

/// Which BLAS kernels run the large products.
///
/// OpenBLAS chooses its kernels once, when the library loads, from the CPU's
/// model number, or from the environment variable `OPENBLAS_CORETYPE` when it
/// is set before the process starts. The `recurrent` and `recurrent-bench`
/// executables set it for CPUs newer than the installed OpenBLAS knows.
public enum BLASKernels {
    /// The name of the kernel set in use: OpenBLAS's core name, e.g.
    /// "SkylakeX" or "Haswell", or "Accelerate" on Apple platforms.
    public static var coreName: String {
        #if canImport(COpenBLAS)
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #else
        return "Accelerate"
        #endif
    }
}
