// Scalar exp, sigmoid and tanh written so the loop vectoriser turns them into
// straight-line vector code (selects, no branches, no library calls): the
// same approximations as the Swift portable path (Activation.swift).
// Included once per level, inside that level's target attribute.

/// `e^x`: `x = n·ln2 + r`, a degree-7 polynomial for `e^r` (Cephes), `2^n`
/// built in the exponent bits.
static inline float kernel_exp(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
    float shifted = __builtin_elementwise_fma(x, 1.44269504f, 12582912.0f);
    float n = shifted - 12582912.0f;
    float r = __builtin_elementwise_fma(n, -0.693359375f, x);
    r = __builtin_elementwise_fma(n, 2.1219444e-4f, r);
    float p = 1.98756915e-4f;
    p = __builtin_elementwise_fma(p, r, 1.39819995e-3f);
    p = __builtin_elementwise_fma(p, r, 8.3334519e-3f);
    p = __builtin_elementwise_fma(p, r, 4.1665796e-2f);
    p = __builtin_elementwise_fma(p, r, 1.66666655e-1f);
    p = __builtin_elementwise_fma(p, r, 5.0000001e-1f);
    p = __builtin_elementwise_fma(p, r * r, r) + 1.0f;
    unsigned int bits;
    __builtin_memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4B400000u + 127u) << 23;
    float scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float kernel_sigmoid(float x) { return 1.0f / (1.0f + kernel_exp(-x)); }

/// `2σ(2x) − 1`, and near zero the odd Taylor polynomial (where the former
/// loses relative precision).
static inline float kernel_tanh(float x) {
    float via_exp = 2.0f / (1.0f + kernel_exp(-2.0f * x)) - 1.0f;
    float square = x * x;
    float series = -17.0f / 315.0f;
    series = series * square + 2.0f / 15.0f;
    series = series * square - 1.0f / 3.0f;
    series = x + x * square * series;
    return square < 0.0625f ? series : via_exp;
}
