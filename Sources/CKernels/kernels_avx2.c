// The kernels compiled for AVX2 with FMA (Haswell and later, Zen): the
// bodies in bodies/ under this level's target attribute, and the packed
// product's micro-kernel in intrinsics, 16 rows x 6 columns at a time (12
// accumulators in the 16 YMM registers).

#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

#define KERNEL(name) name##_avx2
#define VECTOR_LOOP _Pragma("clang loop vectorize(assume_safety) vectorize_width(8) interleave_count(1)")
#pragma clang fp contract(fast)

#include "bodies/kernel_math.h"
#include "bodies/cell_kernels.h"
// Rows of the small product's register blocks: four 16-float accumulators (eight of its 16 registers).
#define SMALL_BLOCK_ROWS 4
#include "bodies/vector_kernels.h"

typedef float column_vector __attribute__((ext_vector_type(8)));
typedef unsigned int column_bits __attribute__((ext_vector_type(8)));
#define COLUMN_VECTOR column_vector
#define COLUMN_BITS column_bits
#define COLUMN_LANES 8

/// Lanes below `count` set: the mask of a partial load or store.
static inline __m256i column_mask(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline column_vector load_columns(const float *pointer, int count) {
    return (column_vector)(count == COLUMN_LANES ? _mm256_loadu_ps(pointer)
                                                 : _mm256_maskload_ps(pointer, column_mask(count)));
}

static inline void store_columns(float *pointer, column_vector vector, int count) {
    if (count == COLUMN_LANES) {
        _mm256_storeu_ps(pointer, (__m256)vector);
    } else {
        _mm256_maskstore_ps(pointer, column_mask(count), (__m256)vector);
    }
}

#define LOAD_COLUMNS(pointer, count) load_columns((pointer), (count))
#define STORE_COLUMNS(pointer, vector, count) store_columns((pointer), (vector), (count))
#define PASS_VECTORS 2
#define PASS_UNITS 1
#include "bodies/lstm_columns.h"
/// Bit i set where lane i of `a` is below lane i of `b`.
#define LESS_MASK(a, b) ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps((__m256)(a), (__m256)(b), _CMP_LT_OQ)))
#include "bodies/softmax_columns.h"

static void panel_product(const float *panel, int rows, int k, const float *b, int ldb, float *c, int ldc,
                          int columns, int accumulate);

#include "bodies/packed_product.h"

#define GROUP 6

/// The inner loop of a panel times `count` (at most six) columns, `count` a
/// constant at each call below so that every accumulator stays in a register.
__attribute__((always_inline)) static inline void panel_group(const float *a, int k, const float *top, int ldb,
                                                              __m256 *low, __m256 *high, const int count) {
    for (int inner = 0; inner < k; inner++, a += PANEL) {
        __m256 w0 = _mm256_loadu_ps(a), w1 = _mm256_loadu_ps(a + 8);
        _mm_prefetch((const char *)(a + 8 * PANEL), _MM_HINT_T0);
        const float *row = top + (size_t)inner * ldb;
#pragma clang loop unroll(full)
        for (int j = 0; j < count; j++) {
            __m256 x = _mm256_broadcast_ss(row + j);
            low[j] = _mm256_fmadd_ps(w0, x, low[j]);
            high[j] = _mm256_fmadd_ps(w1, x, high[j]);
        }
    }
}

/// One 16-row panel times `columns` (at most 16) columns of `b`, in groups
/// of at most six columns, as even as they can be (13 columns are 5, 4 and
/// 4, never 6, 6 and a lone column whose two dependent chains would idle the
/// multiply-add units): two accumulators (rows 0–7 and 8–15) per column.
static void panel_product(const float *panel, int rows, int k, const float *b, int ldb, float *c, int ldc,
                          int columns, int accumulate) {
    float block[PANEL * COLUMNS] __attribute__((aligned(32)));
    int groups = (columns + GROUP - 1) / GROUP;
    for (int index = 0; index < groups; index++) {
        int first, count;
        column_block(columns, groups, index, &first, &count);
        __m256 low[GROUP], high[GROUP];
        for (int j = 0; j < GROUP; j++) low[j] = high[j] = _mm256_setzero_ps();
        const float *top = b + first;
        switch (count) {
#define GROUP_CASE(size) case size: panel_group(panel, k, top, ldb, low, high, size); break;
            GROUP_CASE(1) GROUP_CASE(2) GROUP_CASE(3) GROUP_CASE(4) GROUP_CASE(5) GROUP_CASE(6)
#undef GROUP_CASE
            default: break;
        }
        for (int j = 0; j < count; j++) {
            _mm256_store_ps(block + (first + j) * PANEL, low[j]);
            _mm256_store_ps(block + (first + j) * PANEL + 8, high[j]);
        }
    }
    write_panel(block, rows, c, ldc, columns, accumulate);
}

#pragma clang attribute pop

const recurrent_kernels recurrent_kernels_avx2 = {
    .lstm_forward = lstm_forward_avx2,
    .lstm_backward = lstm_backward_avx2,
    .gru_gates = gru_gates_avx2,
    .gru_output = gru_output_avx2,
    .gru_backward_output = gru_backward_output_avx2,
    .gru_backward_reset = gru_backward_reset_avx2,
    .rnn_forward = rnn_forward_avx2,
    .rnn_backward = rnn_backward_avx2,
    .tanh = tanh_avx2,
    .sigmoid = sigmoid_avx2,
    .multiply_vector = multiply_vector_avx2,
    .accumulate_transposed_vector = accumulate_transposed_vector_avx2,
    .multiply_small = multiply_small_avx2,
    .times_transposed_small = times_transposed_small_avx2,
    .transposed_times_small = transposed_times_small_avx2,
    .outer_product4 = outer_product4_avx2,
    .rmsprop = rmsprop_avx2,
    .packed_multiply = packed_multiply_avx2,
    .lstm_columns = lstm_columns_avx2,
    .softmax_columns = softmax_columns_avx2,
    .sample_columns = sample_columns_avx2,
};
#endif
