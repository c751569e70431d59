import CKernels

/// The number format of the operands of text training's large products.
///
/// Sums are always kept in `Float`, and so are the weights, their gradients
/// and the solver's state; only the operands of a product are rounded.
public enum ProductPrecision: String, Sendable, CaseIterable, Codable {
    /// Single precision throughout.
    case float32
    /// Each layer's products over a window take bfloat16 operands (8 bits
    /// of mantissa, float's exponent range) and sum in float, with twice as
    /// many multiply-adds per instruction as float: the recurrent step
    /// products (`Wh · h` forward, `Whᵀ · d` backward), the input
    /// projections (`Wx · x`, `Wxᵀ · d`) and the weight gradients
    /// (`d · xᵀ`, `d · hᵀ`). The decoder and the embedding stay float. Runs
    /// only where the CPU has AVX-512-BF16 (``bfloat16IsAvailable``);
    /// elsewhere such training runs in ``float32``. Sentence corpora always
    /// run in float32, to keep the original library's numbers.
    case bfloat16

    /// Whether this CPU and operating system run the bfloat16 products, and
    /// the kernels in use (`RECURRENT_KERNELS`) are AVX-512 ones.
    public static let bfloat16IsAvailable = CPUKernels.selected == .avx512 && recurrent_cpu_has_bf16() != 0

    /// What runs when `self` is asked for on this machine.
    public var effective: ProductPrecision {
        self == .bfloat16 && Self.bfloat16IsAvailable ? .bfloat16 : .float32
    }
}
