// The packed product in bfloat16 for CPUs with AVX-512-BF16 (Intel since
// Cooper Lake, AMD since Zen 4): `vdpbf16ps` multiplies 32 pairs of bf16
// values and adds each pair's two products into one of 16 float sums, twice
// the multiply-adds of an fp32 FMA per instruction. Sums stay float; only the
// operands are rounded to bf16 (8 bits of mantissa), the weights when packed
// and the thin matrix's columns as they are gathered.

#include "ckernels.h"

/// Columns gathered at a time: a window's input projection has thousands,
/// and their gathered pairs (256 KiB for 512 rows) should stay in the
/// second-level cache while every panel passes over them.
#define CHUNK_COLUMNS (16 * RECURRENT_SCRATCH_COLUMNS)

/// Pairs of the inner dimension a weight-gradient product takes at a time:
/// a slice of every column block (256 KiB for 256 columns) stays in the
/// second-level cache and a panel's slice (16 KiB) in the first.
#define GRADIENT_PAIRS 256

size_t recurrent_gradient_scratch_size_bf16(int n) {
    int blocks = (n + RECURRENT_SCRATCH_COLUMNS - 1) / RECURRENT_SCRATCH_COLUMNS;
    return (size_t)(blocks + 1) * RECURRENT_SCRATCH_COLUMNS * GRADIENT_PAIRS;
}

size_t recurrent_scratch_size_bf16(int k, int n) {
    int columns = n < CHUNK_COLUMNS ? n : CHUNK_COLUMNS;
    return (size_t)((columns + RECURRENT_SCRATCH_COLUMNS - 1) / RECURRENT_SCRATCH_COLUMNS) * RECURRENT_SCRATCH_COLUMNS *
           (size_t)((k + 1) / 2);
}

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16"))), apply_to = function)

#define PANEL RECURRENT_PANEL_ROWS
#define COLUMNS RECURRENT_SCRATCH_COLUMNS
// Pairs of the inner dimension per slice: a slice of one panel (8 KiB) and
// of every column block stay in the first-level cache together.
#define INNER_PAIRS 128

#include "bodies/column_blocks.h"

/// Rows `inner` and `inner + 1` of `b`'s `count` columns from `column` as
/// bf16 pairs, one 32-bit word a column (the lower half from row `inner`);
/// a missing second row counts as zeros.
static inline void gather_pair(const float *b, int ldb, int k, int inner, int column, int count, uint32_t *words) {
    __mmask16 mask = (__mmask16)((1u << count) - 1);
    __m512 low = _mm512_maskz_loadu_ps(mask, b + (size_t)inner * ldb + column);
    __m512 high = inner + 1 < k ? _mm512_maskz_loadu_ps(mask, b + (size_t)(inner + 1) * ldb + column)
                                : _mm512_setzero_ps();
    __m512i lowWords = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(low));
    __m512i highWords = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(high));
    _mm512_storeu_si512(words, _mm512_or_si512(lowWords, _mm512_slli_epi32(highWords, 16)));
}

#include "bodies/transpose16.h"

/// The inner loop of a panel times `columns` columns (a constant at each call,
/// so the loop over them unrolls and the sums stay in registers).
__attribute__((always_inline)) static inline void panel_columns(const uint16_t *a, int pairs, const uint32_t *b,
                                                                __m512 *sums, const int columns) {
    for (int pair = 0; pair < pairs; pair++, a += 2 * PANEL, b += COLUMNS) {
        __m512bh weights = (__m512bh)_mm512_loadu_si512(a);
        _mm_prefetch((const char *)(a + 8 * PANEL), _MM_HINT_T0);
#pragma clang loop unroll(full)
        for (int j = 0; j < columns; j++)
            sums[j] = _mm512_dpbf16_ps(sums[j], weights, (__m512bh)_mm512_set1_epi32((int)b[j]));
    }
}

static void panel_product(const uint16_t *panel, int rows, int pairs, const uint32_t *b, float *c, int ldc,
                          int columns, int accumulate) {
    __m512 sums[COLUMNS];
    for (int j = 0; j < COLUMNS; j++) sums[j] = _mm512_setzero_ps();
    switch (columns) {
#define PANEL_CASE(count) case count: panel_columns(panel, pairs, b, sums, count); break;
        PANEL_CASE(1) PANEL_CASE(2) PANEL_CASE(3) PANEL_CASE(4) PANEL_CASE(5) PANEL_CASE(6) PANEL_CASE(7)
        PANEL_CASE(8) PANEL_CASE(9) PANEL_CASE(10) PANEL_CASE(11) PANEL_CASE(12) PANEL_CASE(13) PANEL_CASE(14)
        PANEL_CASE(15) PANEL_CASE(16)
#undef PANEL_CASE
        default: break;
    }
    write_sums(sums, rows, c, ldc, columns, accumulate);
}

static void multiply_chunk(const uint16_t *packed, int m, int k, const float *b, int ldb, float *c, int ldc,
                           int n, int accumulate, uint32_t *scratch) {
    int pairs = (k + 1) / 2, blocks = (n + COLUMNS - 1) / COLUMNS;
    // Gather b into blocks of at most 16 columns, each block contiguous and
    // already in bf16 pairs, so the kernel broadcasts one word a column.
    for (int index = 0; index < blocks; index++) {
        int column, columns;
        column_block(n, blocks, index, &column, &columns);
        uint32_t *block = scratch + (size_t)index * COLUMNS * pairs;
        for (int pair = 0; pair < pairs; pair++) gather_pair(b, ldb, k, 2 * pair, column, columns, block + (size_t)pair * COLUMNS);
    }
    for (int start = 0; start < pairs; start += INNER_PAIRS) {
        int inner = pairs - start < INNER_PAIRS ? pairs - start : INNER_PAIRS;
        int adds = accumulate || start > 0;
        for (int first = 0; first < m; first += PANEL) {
            int rows = m - first < PANEL ? m - first : PANEL;
            const uint16_t *panel = packed + (size_t)first * 2 * pairs + (size_t)start * 2 * PANEL;
            for (int index = 0; index < blocks; index++) {
                int column, columns;
                column_block(n, blocks, index, &column, &columns);
                panel_product(panel, rows, inner, scratch + (size_t)index * COLUMNS * pairs + (size_t)start * COLUMNS,
                              c + (size_t)first * ldc + column, ldc, columns, adds);
            }
        }
    }
}

void recurrent_packed_multiply_bf16(const uint16_t *packed, int m, int k, const float *b, int ldb, float *c, int ldc,
                                    int n, int accumulate, uint32_t *scratch) {
    for (int first = 0; first < n; first += CHUNK_COLUMNS) {
        int count = n - first < CHUNK_COLUMNS ? n - first : CHUNK_COLUMNS;
        multiply_chunk(packed, m, k, b + first, ldb, c + first, ldc, count, accumulate, scratch);
    }
}

/// Rows `x`, `x + ld`, … (`count` of them, at most 16) from inner column
/// `start` on, `pairs` pairs of columns (those past `k` as zeros), as bf16
/// pairs lane by lane: `out[pair * 16 + lane]` holds row `lane`'s columns
/// `start + 2 pair` (lower half) and `start + 2 pair + 1`; lanes past `count`
/// are zero. The layout of a packed panel and of a gathered column block.
static void gather_rows(const float *x, int ld, int count, int k, int start, int pairs, uint32_t *out) {
    for (int pair = 0; pair < pairs; pair += 16) {
        int group = pairs - pair < 16 ? pairs - pair : 16;
        int available = k - (start + 2 * pair);
        if (available > 2 * group) available = 2 * group;
        __mmask16 low = available >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << available) - 1);
        __mmask16 high = available >= 32 ? (__mmask16)0xffff
                       : available > 16 ? (__mmask16)((1u << (available - 16)) - 1) : (__mmask16)0;
        // Row `lane`'s 16 pairs as 16 words (element t of the conversion is
        // column 2 pair + t, so word q is pair q), then transposed so that
        // each pair's 16 lanes are one vector.
        __m512i rows[16];
        for (int lane = 0; lane < PANEL; lane++) {
            if (lane >= count) {
                rows[lane] = _mm512_setzero_si512();
                continue;
            }
            const float *row = x + (size_t)lane * ld + start + 2 * pair;
            __m512 first = _mm512_maskz_loadu_ps(low, row), second = _mm512_maskz_loadu_ps(high, row + 16);
            rows[lane] = (__m512i)_mm512_cvtne2ps_pbh(second, first);
        }
        transpose16(rows);
        for (int q = 0; q < group; q++) _mm512_storeu_si512(out + (size_t)(pair + q) * PANEL, rows[q]);
    }
}

void recurrent_pack_bf16(const float *a, int m, int k, int lda, uint16_t *packed) {
    int pairs = (k + 1) / 2;
    for (int first = 0; first < m; first += PANEL) {
        int rows = m - first < PANEL ? m - first : PANEL;
        gather_rows(a + (size_t)first * lda, lda, rows, k, 0, pairs, (uint32_t *)(packed + (size_t)first * 2 * pairs));
    }
}

void recurrent_pack_transposed_bf16(const float *a, int m, int k, int lda, uint16_t *packed) {
    int pairs = (k + 1) / 2;
    for (int first = 0; first < m; first += PANEL) {
        int rows = m - first < PANEL ? m - first : PANEL;
        uint32_t *panel = (uint32_t *)(packed + (size_t)first * 2 * pairs);
        // Rows 2 pair and 2 pair + 1 of `a` hold the panel's pairs side by side.
        for (int pair = 0; pair < pairs; pair++) gather_pair(a, lda, k, 2 * pair, first, rows, panel + (size_t)pair * PANEL);
    }
}

void recurrent_multiply_transposed_bf16(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m,
                                        int n, int k, uint32_t *scratch) {
    int blocks = (n + COLUMNS - 1) / COLUMNS;
    uint32_t *panel = scratch, *gathered = scratch + PANEL * GRADIENT_PAIRS;
    for (int start = 0; start < k; start += 2 * GRADIENT_PAIRS) {
        int pairs = (k - start + 1) / 2 < GRADIENT_PAIRS ? (k - start + 1) / 2 : GRADIENT_PAIRS;
        for (int index = 0; index < blocks; index++) {
            int column, columns;
            column_block(n, blocks, index, &column, &columns);
            gather_rows(b + (size_t)column * ldb, ldb, columns, k, start, pairs,
                        gathered + (size_t)index * COLUMNS * GRADIENT_PAIRS);
        }
        for (int first = 0; first < m; first += PANEL) {
            int rows = m - first < PANEL ? m - first : PANEL;
            gather_rows(a + (size_t)first * lda, lda, rows, k, start, pairs, panel);
            for (int index = 0; index < blocks; index++) {
                int column, columns;
                column_block(n, blocks, index, &column, &columns);
                panel_product((const uint16_t *)panel, rows, pairs, gathered + (size_t)index * COLUMNS * GRADIENT_PAIRS,
                              c + (size_t)first * ldc + column, ldc, columns, 1);
            }
        }
    }
}

#pragma clang attribute pop
#else
void recurrent_pack_bf16(const float *a, int m, int k, int lda, uint16_t *packed) {
    (void)a; (void)m; (void)k; (void)lda; (void)packed;
    __builtin_trap();  // recurrent_cpu_has_bf16() is 0 off x86-64
}

void recurrent_pack_transposed_bf16(const float *a, int m, int k, int lda, uint16_t *packed) {
    (void)a; (void)m; (void)k; (void)lda; (void)packed;
    __builtin_trap();
}

void recurrent_multiply_transposed_bf16(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m,
                                        int n, int k, uint32_t *scratch) {
    (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)m; (void)n; (void)k; (void)scratch;
    __builtin_trap();  // recurrent_cpu_has_bf16() is 0 off x86-64
}
void recurrent_packed_multiply_bf16(const uint16_t *packed, int m, int k, const float *b, int ldb, float *c, int ldc,
                                    int n, int accumulate, uint32_t *scratch) {
    (void)packed; (void)m; (void)k; (void)b; (void)ldb; (void)c; (void)ldc; (void)n; (void)accumulate; (void)scratch;
    __builtin_trap();  // recurrent_cpu_has_bf16() is 0 off x86-64
}
#endif
