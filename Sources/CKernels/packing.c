// Packing of weight matrices for the packed product (portable C: it runs once
// per window, not per step), and the table of compiled kernel levels.

#include "ckernels.h"

#include <string.h>

#define PANEL RECURRENT_PANEL_ROWS

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

/// `value` rounded to bfloat16, to nearest with ties to even (a NaN stays a NaN).
static uint16_t bfloat16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

static int pairs(int k) { return (k + 1) / 2; }

size_t recurrent_packed_size_bf16(int m, int k) { return (size_t)panels(m) * PANEL * 2 * (size_t)pairs(k); }


/// Packs the element at (`row`, `column`) of the `m x k` result for
/// `element(row, column)`; one loop for both orientations.
#define PACK_BF16(element)                                                                  \
    for (int first = 0; first < m; first += PANEL) {                                       \
        for (int pair = 0; pair < pairs(k); pair++) {                                      \
            for (int lane = 0; lane < PANEL; lane++) {                                     \
                int row = first + lane, column = 2 * pair;                                 \
                packed[0] = row < m ? bfloat16(element(row, column)) : 0;                  \
                packed[1] = row < m && column + 1 < k ? bfloat16(element(row, column + 1)) : 0; \
                packed += 2;                                                               \
            }                                                                              \
        }                                                                                  \
    }

void recurrent_pack_bf16(const float *a, int m, int k, int lda, uint16_t *packed) {
#define ROW_MAJOR(row, column) a[(size_t)(row) * lda + (column)]
    PACK_BF16(ROW_MAJOR)
#undef ROW_MAJOR
}

void recurrent_pack_transposed_bf16(const float *a, int m, int k, int lda, uint16_t *packed) {
#define TRANSPOSED(row, column) a[(size_t)(column) * lda + (row)]
    PACK_BF16(TRANSPOSED)
#undef TRANSPOSED
}
