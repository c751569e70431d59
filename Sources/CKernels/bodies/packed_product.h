// The packed product's driver, shared by the levels: each level defines
// `panel_product`, one 16-row panel times at most 16 columns of the scratch.
//
// A large weight matrix times a thin one (a batch's few columns), once per
// time step, with the same weights all through a window: OpenBLAS repacks
// the weights on every call; here they are packed once (recurrent_pack) and
// each step streams the packed panels through the level's micro-kernel.

#define PANEL RECURRENT_PANEL_ROWS
#define COLUMNS RECURRENT_SCRATCH_COLUMNS
#define INNER_SLICE 256

#include "column_blocks.h"

static void KERNEL(packed_multiply)(const float *packed, int m, int k, const float *b, int ldb, float *c, int ldc,
                                    int n, int accumulate, float *scratch) {
    int blocks = (n + COLUMNS - 1) / COLUMNS;
    // Copy b into blocks of at most 16 columns, each block contiguous: b's
    // rows are often 4 KiB apart, which maps them all to the same cache set.
    for (int index = 0; index < blocks; index++) {
        int column, columns;
        column_block(n, blocks, index, &column, &columns);
        float *block = scratch + (size_t)index * COLUMNS * k;
        for (int inner = 0; inner < k; inner++) {
            __builtin_memcpy(block + (size_t)inner * COLUMNS, b + (size_t)inner * ldb + column,
                             (size_t)columns * sizeof(float));
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
            for (int index = 0; index < blocks; index++) {
                int column, columns;
                column_block(n, blocks, index, &column, &columns);
                panel_product(panel, rows, inner, scratch + (size_t)index * COLUMNS * k + (size_t)start * COLUMNS,
                              COLUMNS, c + (size_t)first * ldc + column, ldc, columns, adds);
            }
        }
    }
}

/// Writes (or adds) the first `rows` rows of a panel's results, held column
/// by column in `block`, to `c`.
static inline void write_panel(const float *block, int rows, float *c, int ldc, int columns, int accumulate) {
    for (int r = 0; r < rows; r++) {
        float *out = c + (size_t)r * ldc;
        if (accumulate) {
            for (int j = 0; j < columns; j++) out[j] += block[j * PANEL + r];
        } else {
            for (int j = 0; j < columns; j++) out[j] = block[j * PANEL + r];
        }
    }
}
