// The kernels compiled for AVX-512 (F, BW, VL, DQ) with FMA: the bodies in
// bodies/ under this level's target attribute, and the packed product's
// 16 x 16 micro-kernel in intrinsics.

#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq"))), apply_to = function)

#define KERNEL(name) name##_avx512
#define VECTOR_LOOP _Pragma("clang loop vectorize(assume_safety) vectorize_width(16) interleave_count(1) vectorize_predicate(enable)")
#pragma clang fp contract(fast)

#include "bodies/kernel_math.h"
#include "bodies/cell_kernels.h"
// Rows of the small product's register blocks: eight 16-float accumulators of 32 registers.
#define SMALL_BLOCK_ROWS 8
#include "bodies/vector_kernels.h"

typedef float column_vector __attribute__((ext_vector_type(16)));
typedef unsigned int column_bits __attribute__((ext_vector_type(16)));
#define COLUMN_VECTOR column_vector
#define COLUMN_BITS column_bits
#define COLUMN_LANES 16
#define LOAD_COLUMNS(pointer, count) \
    ((column_vector)_mm512_maskz_loadu_ps((__mmask16)((1u << (count)) - 1), (pointer)))
#define STORE_COLUMNS(pointer, vector, count) \
    _mm512_mask_storeu_ps((pointer), (__mmask16)((1u << (count)) - 1), (__m512)(vector))
#define PASS_VECTORS 1
#define PASS_UNITS 2
#include "bodies/lstm_columns.h"
/// Bit i set where lane i of `a` is below lane i of `b`.
#define LESS_MASK(a, b) ((unsigned)_mm512_cmp_ps_mask((__m512)(a), (__m512)(b), _CMP_LT_OQ))
#include "bodies/softmax_columns.h"

static void panel_product(const float *panel, int rows, int k, const float *b, int ldb, float *c, int ldc,
                          int columns, int accumulate);

#include "bodies/packed_product.h"
#include "bodies/transpose16.h"

/// The inner loop of a panel times `columns` columns, `columns` a constant
/// at each call below so that the loop over them unrolls and every
/// accumulator stays in a register (a loop over a variable count kept them
/// in memory).
__attribute__((always_inline)) static inline void panel_columns(const float *a, int k, const float *b, int ldb,
                                                                __m512 *sums, const int columns) {
    for (int inner = 0; inner < k; inner++, a += PANEL) {
        __m512 weights = _mm512_loadu_ps(a);
        // The panels stream from the last-level cache: ask for the next lines early.
        _mm_prefetch((const char *)(a + 8 * PANEL), _MM_HINT_T0);
        const float *row = b + (size_t)inner * ldb;
#pragma clang loop unroll(full)
        for (int j = 0; j < columns; j++) sums[j] = _mm512_fmadd_ps(weights, _mm512_set1_ps(row[j]), sums[j]);
    }
}

/// One 16-row panel times `columns` (at most 16) columns of `b`: one
/// accumulator register per column.
static void panel_product(const float *panel, int rows, int k, const float *b, int ldb, float *c, int ldc,
                          int columns, int accumulate) {
    __m512 sums[COLUMNS];
    for (int j = 0; j < COLUMNS; j++) sums[j] = _mm512_setzero_ps();
    switch (columns) {
#define PANEL_CASE(count) case count: panel_columns(panel, k, b, ldb, sums, count); break;
        PANEL_CASE(1) PANEL_CASE(2) PANEL_CASE(3) PANEL_CASE(4) PANEL_CASE(5) PANEL_CASE(6) PANEL_CASE(7)
        PANEL_CASE(8) PANEL_CASE(9) PANEL_CASE(10) PANEL_CASE(11) PANEL_CASE(12) PANEL_CASE(13) PANEL_CASE(14)
        PANEL_CASE(15) PANEL_CASE(16)
#undef PANEL_CASE
        default: break;
    }
    write_sums(sums, rows, c, ldc, columns, accumulate);
}

#pragma clang attribute pop

const recurrent_kernels recurrent_kernels_avx512 = {
    .lstm_forward = lstm_forward_avx512,
    .lstm_backward = lstm_backward_avx512,
    .gru_gates = gru_gates_avx512,
    .gru_output = gru_output_avx512,
    .gru_backward_output = gru_backward_output_avx512,
    .gru_backward_reset = gru_backward_reset_avx512,
    .rnn_forward = rnn_forward_avx512,
    .rnn_backward = rnn_backward_avx512,
    .tanh = tanh_avx512,
    .sigmoid = sigmoid_avx512,
    .multiply_vector = multiply_vector_avx512,
    .accumulate_transposed_vector = accumulate_transposed_vector_avx512,
    .multiply_small = multiply_small_avx512,
    .times_transposed_small = times_transposed_small_avx512,
    .transposed_times_small = transposed_times_small_avx512,
    .outer_product4 = outer_product4_avx512,
    .rmsprop = rmsprop_avx512,
    .packed_multiply = packed_multiply_avx512,
    .lstm_columns = lstm_columns_avx512,
    .softmax_columns = softmax_columns_avx512,
    .sample_columns = sample_columns_avx512,
};
#endif
