#ifndef RECURRENT_PACKED_PRODUCT_H
#define RECURRENT_PACKED_PRODUCT_H

#include <stddef.h>

/// Rows per panel of a packed matrix.
#define RECURRENT_PANEL_ROWS 16

/// Columns of `b` the kernel takes at a time (the scratch's width).
#define RECURRENT_SCRATCH_COLUMNS 16

/// Whether this CPU (and the operating system) can run the packed product's
/// AVX-512 kernel. When it cannot, callers use BLAS instead.
int recurrent_packed_product_available(void);

/// Floats a packed copy of an `m x k` matrix takes (`m` rounded up to whole panels).
size_t recurrent_packed_size(int m, int k);

/// Packs the `m x k` row-major matrix `a` (row stride `lda`) into panels of
/// `RECURRENT_PANEL_ROWS` rows: for each panel, for each of the `k` columns,
/// the panel's rows side by side; rows past `m` are zero.
void recurrent_pack(const float *a, int m, int k, int lda, float *packed);

/// Packs the transpose of the `k x m` row-major matrix `a` (row stride
/// `lda`): the result is the packed `m x k` matrix `aᵀ`.
void recurrent_pack_transposed(const float *a, int m, int k, int lda, float *packed);

/// `c[m x n] = packed · b[k x n]`, or `+=` when `accumulate` is non-zero.
/// `b` and `c` are row-major with row strides `ldb` and `ldc`. Needs
/// `recurrent_packed_product_available()` and `scratch` of `k` times `n`
/// rounded up to a multiple of `RECURRENT_SCRATCH_COLUMNS` floats.
void recurrent_packed_multiply(const float *packed, int m, int k, const float *b, int ldb,
                               float *c, int ldc, int n, int accumulate, float *scratch);

#endif
