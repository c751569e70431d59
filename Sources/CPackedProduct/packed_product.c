// A matrix product for one shape that BLAS serves badly: a large weight
// matrix times a thin one (a batch's few columns), once per time step, with
// the same weights all through a window. OpenBLAS repacks the weights on every
// call; here they are packed once and each step streams the packed panels
// through an AVX-512 micro-kernel of 16 rows x 16 columns.

#include "packed_product.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define HAS_KERNEL 1
#else
#define HAS_KERNEL 0
#endif

#define PANEL RECURRENT_PANEL_ROWS
#define COLUMNS RECURRENT_SCRATCH_COLUMNS
#define INNER_SLICE 256

int recurrent_packed_product_available(void) {
#if HAS_KERNEL
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    // The OS must save the AVX-512 state (XCR0: SSE, AVX, opmask, ZMM).
    if (!(ecx & (1u << 27))) return 0;  // OSXSAVE
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & (1u << 16)) != 0;  // AVX512F
#else
    return 0;
#endif
}

static int panels(int m) { return (m + PANEL - 1) / PANEL; }

size_t recurrent_packed_size(int m, int k) { return (size_t)panels(m) * PANEL * (size_t)k; }

void recurrent_pack(const float *a, int m, int k, int lda, float *packed) {
    for (int first = 0; first < m; first += PANEL) {
        int rows = m - first < PANEL ? m - first : PANEL;
        for (int column = 0; column < k; column++) {
            for (int row = 0; row < rows; row++) packed[row] = a[(size_t)(first + row) * lda + column];
            for (int row = rows; row < PANEL; row++) packed[row] = 0;
            packed += PANEL;
        }
    }
}

void recurrent_pack_transposed(const float *a, int m, int k, int lda, float *packed) {
    for (int first = 0; first < m; first += PANEL) {
        int rows = m - first < PANEL ? m - first : PANEL;
        for (int column = 0; column < k; column++) {
            // Row `column` of `a` holds this panel's values side by side.
            memcpy(packed, a + (size_t)column * lda + first, (size_t)rows * sizeof(float));
            for (int row = rows; row < PANEL; row++) packed[row] = 0;
            packed += PANEL;
        }
    }
}

#if HAS_KERNEL
/// One 16-row panel times `columns` (at most 16) columns of `b`: one
/// accumulator register per column.
__attribute__((target("avx512f")))
static void panel_product(const float *panel, int rows, int k, const float *b, int ldb,
                          float *c, int ldc, int columns, int accumulate) {
    __m512 sums[COLUMNS];
    for (int j = 0; j < COLUMNS; j++) sums[j] = _mm512_setzero_ps();
    const float *a = panel;
    if (columns == COLUMNS) {
        for (int inner = 0; inner < k; inner++, a += PANEL) {
            __m512 weights = _mm512_loadu_ps(a);
            // The panels stream from the last-level cache: ask for the next lines early.
            _mm_prefetch((const char *)(a + 8 * PANEL), _MM_HINT_T0);
            const float *row = b + (size_t)inner * ldb;
#pragma clang loop unroll(full)
            for (int j = 0; j < COLUMNS; j++) sums[j] = _mm512_fmadd_ps(weights, _mm512_set1_ps(row[j]), sums[j]);
        }
    } else {
        for (int inner = 0; inner < k; inner++, a += PANEL) {
            __m512 weights = _mm512_loadu_ps(a);
            const float *row = b + (size_t)inner * ldb;
            for (int j = 0; j < columns; j++) sums[j] = _mm512_fmadd_ps(weights, _mm512_set1_ps(row[j]), sums[j]);
        }
    }
    float block[PANEL * COLUMNS] __attribute__((aligned(64)));
    for (int j = 0; j < columns; j++) _mm512_store_ps(block + j * PANEL, sums[j]);
    for (int r = 0; r < rows; r++) {
        float *out = c + (size_t)r * ldc;
        if (accumulate) {
            for (int j = 0; j < columns; j++) out[j] += block[j * PANEL + r];
        } else {
            for (int j = 0; j < columns; j++) out[j] = block[j * PANEL + r];
        }
    }
}
#endif

void recurrent_packed_multiply(const float *packed, int m, int k, const float *b, int ldb,
                               float *c, int ldc, int n, int accumulate, float *scratch) {
#if HAS_KERNEL
    // Copy b into blocks of 16 columns, each block contiguous: b's rows are
    // often 4 KiB apart, which maps them all to the same cache set.
    for (int column = 0; column < n; column += COLUMNS) {
        int columns = n - column < COLUMNS ? n - column : COLUMNS;
        float *block = scratch + (size_t)column * k;
        for (int inner = 0; inner < k; inner++) {
            memcpy(block + (size_t)inner * COLUMNS, b + (size_t)inner * ldb + column, (size_t)columns * sizeof(float));
        }
    }
    // In slices of the inner dimension small enough that a slice of every
    // column block and of one panel stay in the first-level cache together;
    // each panel slice comes from memory once and serves every column block.
    for (int start = 0; start < k; start += INNER_SLICE) {
        int inner = k - start < INNER_SLICE ? k - start : INNER_SLICE;
        int adds = accumulate || start > 0;
        for (int first = 0; first < m; first += PANEL) {
            int rows = m - first < PANEL ? m - first : PANEL;
            const float *panel = packed + (size_t)first * k + (size_t)start * PANEL;
            for (int column = 0; column < n; column += COLUMNS) {
                int columns = n - column < COLUMNS ? n - column : COLUMNS;
                panel_product(panel, rows, inner, scratch + (size_t)column * k + (size_t)start * COLUMNS, COLUMNS,
                              c + (size_t)first * ldc + column, ldc, columns, adds);
            }
        }
    }
#else
    (void)packed; (void)m; (void)k; (void)b; (void)ldb; (void)c; (void)ldc; (void)n; (void)accumulate; (void)scratch;
#endif
}
