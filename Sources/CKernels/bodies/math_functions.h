// exp, sigmoid and tanh for one element type: included by kernel_math.h for
// `float` (which the loop vectoriser widens) and by lstm_columns.h for the
// level's vector type, so both run the same arithmetic element for element.
// The includer defines MATH_FLOAT (the type), MATH_BITS (an unsigned integer
// type of its size) and MATH_NAME(name) (the functions' names).

/// `e^x`: `x = n·ln2 + r`, a degree-7 polynomial for `e^r` (Cephes), `2^n`
/// built in the exponent bits.
static inline MATH_FLOAT MATH_NAME(kernel_exp)(MATH_FLOAT x) {
    x = x < -87.3f ? (MATH_FLOAT)-87.3f : x;
    x = x > 88.3f ? (MATH_FLOAT)88.3f : x;
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
    MATH_FLOAT shifted = __builtin_elementwise_fma(x, (MATH_FLOAT)1.44269504f, (MATH_FLOAT)12582912.0f);
    MATH_FLOAT n = shifted - 12582912.0f;
    MATH_FLOAT r = __builtin_elementwise_fma(n, (MATH_FLOAT)-0.693359375f, x);
    r = __builtin_elementwise_fma(n, (MATH_FLOAT)2.1219444e-4f, r);
    MATH_FLOAT p = 1.98756915e-4f;
    p = __builtin_elementwise_fma(p, r, (MATH_FLOAT)1.39819995e-3f);
    p = __builtin_elementwise_fma(p, r, (MATH_FLOAT)8.3334519e-3f);
    p = __builtin_elementwise_fma(p, r, (MATH_FLOAT)4.1665796e-2f);
    p = __builtin_elementwise_fma(p, r, (MATH_FLOAT)1.66666655e-1f);
    p = __builtin_elementwise_fma(p, r, (MATH_FLOAT)5.0000001e-1f);
    p = __builtin_elementwise_fma(p, r * r, r) + 1.0f;
    MATH_BITS bits;
    __builtin_memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4B400000u + 127u) << 23;
    MATH_FLOAT scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline MATH_FLOAT MATH_NAME(kernel_sigmoid)(MATH_FLOAT x) { return 1.0f / (1.0f + MATH_NAME(kernel_exp)(-x)); }

/// `2σ(2x) − 1`, and near zero the odd Taylor polynomial (where the former
/// loses relative precision).
static inline MATH_FLOAT MATH_NAME(kernel_tanh)(MATH_FLOAT x) {
    MATH_FLOAT via_exp = 2.0f / (1.0f + MATH_NAME(kernel_exp)(-2.0f * x)) - 1.0f;
    MATH_FLOAT square = x * x;
    MATH_FLOAT series = -17.0f / 315.0f;
    series = series * square + 2.0f / 15.0f;
    series = series * square - 1.0f / 3.0f;
    series = x + x * square * series;
    return square < 0.0625f ? series : via_exp;
}
