import CFloatingPoint

/// The floating-point mode of the threads that train.
public enum FloatingPointMode {
    /// Whether the calling thread treats subnormal floats as zero now.
    public static var flushesSubnormals: Bool { recurrent_flushes_subnormals() != 0 }

    /// Runs `body` with subnormal floats treated as zero on the calling
    /// thread (x86-64: FTZ and DAZ; arm64: FZ), then restores the thread's
    /// previous mode.
    ///
    /// Gradients that shrink through many time steps reach the subnormal
    /// range, where every multiply is about a hundred times slower; the values
    /// lost are below 1.2e-38. The mode is scoped because it is per thread and
    /// also changes how doubles are read: left on a shared thread (a Dispatch
    /// worker, a concurrency-pool thread serving requests) it made a valid
    /// subnormal number in a JSON body read as zero, or fail to parse.
    public static func withSubnormalsFlushedToZero<Result>(_ body: () throws -> Result) rethrows -> Result {
        let previous = recurrent_flush_subnormals_to_zero()
        defer { recurrent_restore_floating_point_mode(previous) }
        return try body()
    }
}
