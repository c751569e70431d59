#if canImport(COpenBLAS)
import COpenBLAS
#endif

/// Controls the threads the BLAS library uses for large products.
///
/// With OpenBLAS (Linux) this is its process-wide thread count. Accelerate
/// (Apple platforms) schedules its own threads and offers no such setting, so
/// there ``set(_:)`` does nothing and ``current`` is 1.
public enum BLASThreads {
    /// Sets the number of threads BLAS uses for each product (process-wide).
    /// Worker threads it creates now inherit the caller's floating-point mode,
    /// so the caller first switches to flushing subnormals to zero.
    public static func set(_ count: Int) {
        #if canImport(COpenBLAS)
        FloatingPointMode.withSubnormalsFlushedToZero {
            openblas_set_num_threads(Int32(max(1, count)))
        }
        #endif
    }

    /// The number of threads BLAS currently uses for a product.
    public static var current: Int {
        #if canImport(COpenBLAS)
        Int(openblas_get_num_threads())
        #else
        1
        #endif
    }
}
