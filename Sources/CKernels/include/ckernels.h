#ifndef RECURRENT_CKERNELS_H
#define RECURRENT_CKERNELS_H

// The engine's hot kernels in C, each compiled once per x86-64 instruction
// set level so the level can be chosen at run time (the package builds for
// baseline x86-64). The portable level is the Swift code in the Recurrent
// module; this header describes the table both fill in.

#include <stddef.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

/// Kernel levels, in order of preference.
#define RECURRENT_LEVEL_PORTABLE 0
#define RECURRENT_LEVEL_AVX2 1
#define RECURRENT_LEVEL_AVX512 2

/// The best level this CPU and its operating system support: AVX2 needs
/// AVX2, FMA and the OS saving YMM state; AVX-512 needs F, BW, VL, DQ and the
/// OS saving ZMM and opmask state too. Always RECURRENT_LEVEL_PORTABLE off x86-64.
int recurrent_cpu_best_level(void);

/// Rows per panel of a packed matrix.
#define RECURRENT_PANEL_ROWS 16

/// Columns of `b` the packed product takes at a time (the scratch's width).
#define RECURRENT_SCRATCH_COLUMNS 16

/// Floats a packed copy of an `m x k` matrix takes (`m` rounded up to whole panels).
size_t recurrent_packed_size(int m, int k);

/// Packs the `m x k` row-major matrix `a` (row stride `lda`) into panels of
/// `RECURRENT_PANEL_ROWS` rows: for each panel, for each of the `k` columns,
/// the panel's rows side by side; rows past `m` are zero.
void recurrent_pack(const float *a, int m, int k, int lda, float *packed);

/// Packs the transpose of the `k x m` row-major matrix `a` (row stride
/// `lda`): the result is the packed `m x k` matrix `aᵀ`.
void recurrent_pack_transposed(const float *a, int m, int k, int lda, float *packed);

/// Whether this CPU and operating system run AVX-512-BF16 (`vdpbf16ps`) as
/// well as the AVX-512 level: the bfloat16 packed product below. Always 0 off x86-64.
int recurrent_cpu_has_bf16(void);

/// bf16 values a bfloat16-packed `m x k` matrix takes (`m` rounded up to
/// whole panels, `k` to an even count).
size_t recurrent_packed_size_bf16(int m, int k);

/// Packs the `m x k` row-major matrix `a` (row stride `lda`) in bfloat16
/// (rounded to nearest, ties to even) for recurrent_packed_multiply_bf16,
/// only where recurrent_cpu_has_bf16() is 1:
/// for each panel of `RECURRENT_PANEL_ROWS` rows, for each pair of columns,
/// each row's two values side by side, row after row; rows past `m` and the
/// column past an odd `k` are zero.
void recurrent_pack_bf16(const float *a, int m, int k, int lda, uint16_t *packed);

/// The same for the transpose of the `k x m` row-major matrix `a`.
void recurrent_pack_transposed_bf16(const float *a, int m, int k, int lda, uint16_t *packed);

/// 32-bit words of scratch recurrent_packed_multiply_bf16 needs for `k` and `n`.
size_t recurrent_scratch_size_bf16(int k, int n);

/// `c[m x n] (+)= packed · b[k x n]` for a matrix packed by
/// recurrent_pack_bf16: `b`'s values are rounded to bfloat16 as they are
/// gathered into `scratch`, the products are summed in float. Only where
/// recurrent_cpu_has_bf16() is 1.
void recurrent_packed_multiply_bf16(const uint16_t *packed, int m, int k, const float *b, int ldb, float *c, int ldc,
                                    int n, int accumulate, uint32_t *scratch);

/// 32-bit words of scratch recurrent_multiply_transposed_bf16 needs for `n`.
size_t recurrent_gradient_scratch_size_bf16(int n);

/// `c[m x n] += a[m x k] · b[n x k]ᵀ` (a weight gradient), row-major with
/// the given row strides, with both operands rounded to bfloat16 and the
/// products summed in float. Only where recurrent_cpu_has_bf16() is 1.
void recurrent_multiply_transposed_bf16(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m,
                                        int n, int k, uint32_t *scratch);

/// Units of an LSTM layer packed together for the `lstm_columns` kernels
/// (their four gates' rows are summed side by side).
#define RECURRENT_LSTM_UNITS 2

/// Floats an LSTM layer of `units` units and `inputs` inputs takes packed by recurrent_pack_lstm.
size_t recurrent_packed_size_lstm(int units, int inputs);

/// Packs an LSTM layer's bias (`4·units`), input weights (`4·units x
/// inputs`) and recurrent weights (`4·units x units`), gates stacked in the
/// order input, forget, output, candidate, for the `lstm_columns` kernels:
/// for each group of RECURRENT_LSTM_UNITS units, the group's gate rows (gate
/// by gate, unit by unit) side by side for the bias, then for each input
/// column, then for each recurrent column; rows of units past `units` are zero.
void recurrent_pack_lstm(const float *bias, const float *input_weights, const float *recurrent_weights, int units,
                         int inputs, float *packed);

/// One level's kernels. Shapes, strides and meaning are those of the Swift
/// functions that dispatch to them (LSTMStep, GRUStep, RNNStep, Activation,
/// MatrixProduct, OuterProductQueue, Solver); flags are 0 or 1.
typedef struct recurrent_kernels {
    void (*lstm_forward)(float *gates, ptrdiff_t gate_stride, const float *_Nullable recurrent, ptrdiff_t rows,
                         const float *previous_cell, float *cell, float *hidden, ptrdiff_t state_stride,
                         float *cell_tanh, ptrdiff_t tanh_stride, ptrdiff_t width);
    void (*lstm_backward)(const float *gates, float *gate_gradients, ptrdiff_t gate_stride, ptrdiff_t rows,
                          const float *output_gradients, const float *previous_cell, ptrdiff_t state_stride,
                          const float *cell_tanh, ptrdiff_t tanh_stride, const float *_Nullable hidden_next,
                          const float *cell_gradients, float *previous_cell_gradients, int accumulates,
                          ptrdiff_t width);
    void (*gru_gates)(float *gates, ptrdiff_t gate_stride, const float *_Nullable recurrent, ptrdiff_t rows,
                      const float *previous, ptrdiff_t state_stride, float *reset_hidden, ptrdiff_t reset_stride,
                      ptrdiff_t width);
    void (*gru_output)(float *gates, ptrdiff_t gate_stride, const float *_Nullable recurrent, ptrdiff_t rows,
                       const float *previous, float *hidden, ptrdiff_t state_stride, ptrdiff_t width);
    void (*gru_backward_output)(const float *gates, float *gate_gradients, ptrdiff_t gate_stride, ptrdiff_t rows,
                                const float *output_gradients, const float *previous, ptrdiff_t state_stride,
                                const float *_Nullable hidden_next, float *previous_gradients, int accumulates,
                                ptrdiff_t width);
    void (*gru_backward_reset)(const float *gates, float *gate_gradients, ptrdiff_t gate_stride, ptrdiff_t rows,
                               const float *previous, ptrdiff_t state_stride, const float *reset_gradients,
                               float *previous_gradients, ptrdiff_t width);
    void (*rnn_forward)(float *preactivations, ptrdiff_t gate_stride, const float *_Nullable recurrent,
                        ptrdiff_t rows, float *hidden, ptrdiff_t state_stride, ptrdiff_t width);
    void (*rnn_backward)(float *gate_gradients, ptrdiff_t gate_stride, ptrdiff_t rows, const float *hidden,
                         const float *output_gradients, ptrdiff_t state_stride, const float *_Nullable hidden_next,
                         ptrdiff_t width);
    /// Element-wise tanh and sigmoid; `target` may be `source`.
    void (*tanh)(const float *source, float *target, ptrdiff_t count);
    void (*sigmoid)(const float *source, float *target, ptrdiff_t count);
    /// `c[m] (+)= a[m x k] · b[k]`.
    void (*multiply_vector)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k, int accumulate);
    /// `c[k] += a[m x k]ᵀ · b[m]`.
    void (*accumulate_transposed_vector)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k);
    /// `c[m x n] (+)= a[m x k] · b[k x n]`, for shapes too small for BLAS.
    void (*multiply_small)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n,
                           int accumulate);
    /// `c[m x k] += a[m x n] · b[k x n]ᵀ`, for small shapes and `n` = 1.
    void (*times_transposed_small)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k);
    /// `c[k x n] += a[m x k]ᵀ · b[m x n]`, for small shapes.
    void (*transposed_times_small)(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n);
    /// `target[rows x columns] += Σ_j left_j · right_jᵀ` over four column pairs.
    void (*outer_product4)(float *target, ptrdiff_t rows, ptrdiff_t columns, const float *left0, const float *left1,
                           const float *left2, const float *left3, const float *right0, const float *right1,
                           const float *right2, const float *right3);
    /// One RMSProp update of `count` parameters (see Solver); returns how many gradients were clipped.
    ptrdiff_t (*rmsprop)(float *weights, float *gradients, float *cache, ptrdiff_t count, float decay, float keep,
                         float epsilon, float learning_rate, float regc, float clip);
    /// `c[m x n] (+)= packed · b[k x n]` for a matrix packed by recurrent_pack;
    /// `scratch` holds `k` times `n` rounded up to RECURRENT_SCRATCH_COLUMNS
    /// floats. NULL at the portable level, which uses BLAS instead.
    void (*_Nullable packed_multiply)(const float *packed, int m, int k, const float *b, int ldb, float *c, int ldc,
                                      int n, int accumulate, float *scratch);
    /// One LSTM inference step of `batch` sequences: from the inputs `x`
    /// (`inputs x batch`), the hidden state `h` and cell `previous_cell`
    /// (`units x batch`), writes the next `cell` and `hidden` (row-major,
    /// row stride `batch`), with the layer packed by recurrent_pack_lstm.
    /// NULL at the portable level.
    void (*_Nullable lstm_columns)(const float *packed, ptrdiff_t units, ptrdiff_t inputs, const float *x,
                                   const float *h, const float *previous_cell, float *cell, float *hidden,
                                   ptrdiff_t batch);
    /// For each of `columns` columns of `logits` (`rows` rows, row stride
    /// `stride`): its probabilities at `temperature` into `probabilities`
    /// (same column, row stride `probability_stride`) and `ln Σ exp(logit)`
    /// into `normalisers[column]`, either skipped when NULL. A column's
    /// figures do not depend on the columns beside it.
    void (*softmax_columns)(const float *logits, ptrdiff_t rows, ptrdiff_t stride, ptrdiff_t columns,
                            float temperature, float *_Nullable probabilities, ptrdiff_t probability_stride,
                            double *_Nullable normalisers);
    /// One row drawn for each of `columns` columns of `probabilities` (`rows`
    /// rows, row stride `stride`) into `chosen`: column j's first row whose
    /// running sum (in row order) exceeds `draws[j]`, or its last row of
    /// nonzero probability when rounding left the sum short.
    void (*sample_columns)(const float *probabilities, ptrdiff_t rows, ptrdiff_t stride, ptrdiff_t columns,
                           const float *draws, ptrdiff_t *chosen);
} recurrent_kernels;

/// The C kernels of `level` (RECURRENT_LEVEL_AVX2 or _AVX512), or NULL where
/// they are not compiled in (the portable level, or a CPU that is not x86-64).
/// Does not check that the CPU can run them: see recurrent_cpu_best_level.
const recurrent_kernels *_Nullable recurrent_kernels_for_level(int level);

#pragma clang assume_nonnull end

#endif
