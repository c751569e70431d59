// Element-wise activations, the small and matrix-vector products that BLAS
// serves badly (one sequence at a time: a call into BLAS costs more than the
// work), the grouped rank-4 weight-gradient update and the RMSProp step.
// Swift holds the portable versions (Activation, MatrixProduct,
// OuterProductQueue, Solver). Included once per level; KERNEL(name) adds the
// level's suffix.
//
// The products are written with eight-float vectors, as the Swift versions
// are: their rows are short (5 to a few hundred floats), and the loop
// vectoriser's wider, interleaved loops would leave most of such a row to
// the scalar remainder.

typedef float vector8 __attribute__((ext_vector_type(8)));

static inline vector8 load8(const float *p) {
    vector8 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void store8(float *p, vector8 v) { __builtin_memcpy(p, &v, sizeof v); }

static inline vector8 splat8(float x) { return (vector8)x; }

static inline vector8 fma8(vector8 a, vector8 b, vector8 c) { return __builtin_elementwise_fma(a, b, c); }

static inline float sum8(vector8 v) {
    vector8 halves = v + __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3);
    return (halves[0] + halves[2]) + (halves[1] + halves[3]);
}

static void KERNEL(tanh)(const float *source, float *target, ptrdiff_t count) {
    VECTOR_LOOP
    for (ptrdiff_t i = 0; i < count; i++) target[i] = kernel_tanh(source[i]);
}

static void KERNEL(sigmoid)(const float *source, float *target, ptrdiff_t count) {
    VECTOR_LOOP
    for (ptrdiff_t i = 0; i < count; i++) target[i] = kernel_sigmoid(source[i]);
}

/// `y += alpha · x`.
static inline void add_scaled(float alpha, const float *x, float *y, ptrdiff_t count) {
    ptrdiff_t i = 0;
    vector8 scale = splat8(alpha);
    for (; i + 8 <= count; i += 8) store8(y + i, fma8(load8(x + i), scale, load8(y + i)));
    for (; i < count; i++) y[i] = __builtin_elementwise_fma(alpha, x[i], y[i]);
}

static inline float dot_product(const float *x, const float *y, ptrdiff_t count) {
    ptrdiff_t i = 0;
    vector8 p0 = 0, p1 = 0;
    for (; i + 16 <= count; i += 16) {
        p0 = fma8(load8(x + i), load8(y + i), p0);
        p1 = fma8(load8(x + i + 8), load8(y + i + 8), p1);
    }
    if (i + 8 <= count) {
        p0 = fma8(load8(x + i), load8(y + i), p0);
        i += 8;
    }
    float sum = sum8(p0 + p1);
    for (; i < count; i++) sum = __builtin_elementwise_fma(x[i], y[i], sum);
    return sum;
}

/// Four rows at a time, so each load of `b` feeds four independent chains.
static void KERNEL(multiply_vector)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k,
                                    int accumulate) {
    ptrdiff_t row = 0;
    for (; row + 4 <= m; row += 4) {
        const float *r0 = a + row * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
        vector8 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        ptrdiff_t i = 0;
        for (; i + 8 <= k; i += 8) {
            vector8 x = load8(b + i);
            s0 = fma8(load8(r0 + i), x, s0);
            s1 = fma8(load8(r1 + i), x, s1);
            s2 = fma8(load8(r2 + i), x, s2);
            s3 = fma8(load8(r3 + i), x, s3);
        }
        float d0 = sum8(s0), d1 = sum8(s1), d2 = sum8(s2), d3 = sum8(s3);
        for (; i < k; i++) {
            float x = b[i];
            d0 = __builtin_elementwise_fma(r0[i], x, d0);
            d1 = __builtin_elementwise_fma(r1[i], x, d1);
            d2 = __builtin_elementwise_fma(r2[i], x, d2);
            d3 = __builtin_elementwise_fma(r3[i], x, d3);
        }
        if (accumulate) {
            c[row] += d0; c[row + 1] += d1; c[row + 2] += d2; c[row + 3] += d3;
        } else {
            c[row] = d0; c[row + 1] = d1; c[row + 2] = d2; c[row + 3] = d3;
        }
    }
    for (; row < m; row++) {
        float dot = dot_product(a + row * k, b, k);
        c[row] = accumulate ? c[row] + dot : dot;
    }
}

/// Four rows of `a` per pass over `c`.
static void KERNEL(accumulate_transposed_vector)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k) {
    ptrdiff_t row = 0;
    for (; row + 4 <= m; row += 4) {
        const float *r0 = a + row * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
        float b0 = b[row], b1 = b[row + 1], b2 = b[row + 2], b3 = b[row + 3];
        vector8 v0 = splat8(b0), v1 = splat8(b1), v2 = splat8(b2), v3 = splat8(b3);
        ptrdiff_t i = 0;
        for (; i + 8 <= k; i += 8) {
            vector8 sum = load8(c + i);
            sum = fma8(load8(r0 + i), v0, sum);
            sum = fma8(load8(r1 + i), v1, sum);
            sum = fma8(load8(r2 + i), v2, sum);
            sum = fma8(load8(r3 + i), v3, sum);
            store8(c + i, sum);
        }
        for (; i < k; i++) c[i] += r0[i] * b0 + r1[i] * b1 + r2[i] * b2 + r3[i] * b3;
    }
    for (; row < m; row++) add_scaled(b[row], a + row * k, c, k);
}

typedef float vector16 __attribute__((ext_vector_type(16)));

static inline vector16 load16(const float *p) {
    vector16 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void store16(float *p, vector16 v) { __builtin_memcpy(p, &v, sizeof v); }

/// Rows `first..<first + SMALL_BLOCK_ROWS` of `c`, columns
/// `column..<column + 16`, kept in registers over the whole inner dimension:
/// each load of `b` serves every row of the block, `c` is read and written
/// once instead of once per inner step, and the block's independent chains
/// cover the latency of the multiply-adds (four chains left half the FMA
/// units idle).
static inline void multiply_block16(const float *a, const float *b, float *c, ptrdiff_t first, ptrdiff_t column,
                                    ptrdiff_t k, ptrdiff_t n, int accumulate) {
    const float *rows = a + first * k;
    float *out = c + first * n + column;
    vector16 sums[SMALL_BLOCK_ROWS];
#pragma clang loop unroll(full)
    for (int r = 0; r < SMALL_BLOCK_ROWS; r++) sums[r] = accumulate ? load16(out + r * n) : 0;
    for (ptrdiff_t inner = 0; inner < k; inner++) {
        vector16 x = load16(b + inner * n + column);
#pragma clang loop unroll(full)
        for (int r = 0; r < SMALL_BLOCK_ROWS; r++) {
            sums[r] = __builtin_elementwise_fma((vector16)rows[r * k + inner], x, sums[r]);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < SMALL_BLOCK_ROWS; r++) store16(out + r * n, sums[r]);
}

/// `C (+)= A · B`. Each element is `c = fma(a, b, c)` over the inner
/// dimension in order, whichever path computes it, so the result does not
/// depend on the blocking. Blocks of SMALL_BLOCK_ROWS rows by sixteen columns
/// cover what they can (a batch of 16 sequences is one column block); the
/// rest goes row by row.
static void KERNEL(multiply_small)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n,
                                   int accumulate) {
    ptrdiff_t blockedRows = m / SMALL_BLOCK_ROWS * SMALL_BLOCK_ROWS, blockedColumns = n / 16 * 16;
    for (ptrdiff_t row = 0; row < blockedRows; row += SMALL_BLOCK_ROWS) {
        for (ptrdiff_t column = 0; column < blockedColumns; column += 16) {
            multiply_block16(a, b, c, row, column, k, n, accumulate);
        }
    }
    // The remaining rows one at a time, sixteen columns in a register.
    for (ptrdiff_t row = blockedRows; row < m; row++) {
        const float *weights = a + row * k;
        for (ptrdiff_t column = 0; column < blockedColumns; column += 16) {
            float *out = c + row * n + column;
            vector16 sum = accumulate ? load16(out) : 0;
            for (ptrdiff_t inner = 0; inner < k; inner++) {
                sum = __builtin_elementwise_fma((vector16)weights[inner], load16(b + inner * n + column), sum);
            }
            store16(out, sum);
        }
    }
    // The columns past the blocks, row by row.
    for (ptrdiff_t row = 0; row < m; row++) {
        ptrdiff_t start = blockedColumns, width = n - start;
        if (width == 0) continue;
        float *out = c + row * n + start;
        if (!accumulate) __builtin_memset(out, 0, (size_t)width * sizeof(float));
        for (ptrdiff_t inner = 0; inner < k; inner++) add_scaled(a[row * k + inner], b + inner * n + start, out, width);
    }
}

static void KERNEL(times_transposed_small)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t n,
                                           ptrdiff_t k) {
    if (n == 1) {
        // A rank-1 update; rows whose factor is zero (a relu's) are skipped.
        for (ptrdiff_t row = 0; row < m; row++) {
            if (a[row] != 0) add_scaled(a[row], b, c + row * k, k);
        }
        return;
    }
    for (ptrdiff_t row = 0; row < m; row++) {
        for (ptrdiff_t column = 0; column < k; column++) c[row * k + column] += dot_product(a + row * n, b + column * n, n);
    }
}

static void KERNEL(transposed_times_small)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k,
                                           ptrdiff_t n) {
    for (ptrdiff_t row = 0; row < m; row++) {
        for (ptrdiff_t inner = 0; inner < k; inner++) add_scaled(a[row * k + inner], b + row * n, c + inner * n, n);
    }
}

static void KERNEL(outer_product4)(float *target, ptrdiff_t rows, ptrdiff_t columns, const float *l0,
                                   const float *l1, const float *l2, const float *l3, const float *r0,
                                   const float *r1, const float *r2, const float *r3) {
    for (ptrdiff_t row = 0; row < rows; row++) {
        float a0 = l0[row], a1 = l1[row], a2 = l2[row], a3 = l3[row];
        vector8 v0 = splat8(a0), v1 = splat8(a1), v2 = splat8(a2), v3 = splat8(a3);
        float *out = target + row * columns;
        ptrdiff_t i = 0;
        for (; i + 8 <= columns; i += 8) {
            vector8 sum = load8(out + i);
            sum = fma8(load8(r0 + i), v0, sum);
            sum = fma8(load8(r1 + i), v1, sum);
            sum = fma8(load8(r2 + i), v2, sum);
            sum = fma8(load8(r3 + i), v3, sum);
            store8(out + i, sum);
        }
        for (; i < columns; i++) out[i] += a0 * r0[i] + a1 * r1[i] + a2 * r2[i] + a3 * r3[i];
    }
}

static ptrdiff_t KERNEL(rmsprop)(float *weights, float *gradients, float *cache, ptrdiff_t count, float decay,
                                 float keep, float epsilon, float learning_rate, float regc, float clip) {
    ptrdiff_t clipped = 0;
    VECTOR_LOOP
    for (ptrdiff_t i = 0; i < count; i++) {
        float g = gradients[i];
        float r = cache[i] * decay + keep * g * g;
        cache[i] = r;
        int over = g > clip, under = g < -clip;
        clipped += over + under;
        float limited = over ? clip : (under ? -clip : g);
        float w = weights[i];
        weights[i] = w + (-learning_rate * limited / __builtin_elementwise_sqrt(r + epsilon) - regc * w);
        gradients[i] = 0;
    }
    return clipped;
}
