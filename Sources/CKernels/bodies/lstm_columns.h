// The LSTM's whole inference step for a batch of sequences (columns):
// bias, input and recurrent products and the cell, in one pass that keeps
// each gate row's sums in registers. Included once per level after
// kernel_math.h, with the level's COLUMN_VECTOR (a vector of COLUMN_LANES
// floats), COLUMN_BITS (unsigned integers of the same size), masked
// LOAD_COLUMNS(pointer, count) / STORE_COLUMNS(pointer, vector, count), and
// its register blocking: each pass over a unit group's weights sums
// PASS_UNITS units' gates for PASS_VECTORS column vectors, eight sums in
// all (AVX-512: two units by 16 columns; AVX2, with half the registers and
// half-width vectors: one unit by two vectors of 8, so that its weights are
// still read once per 16 columns and each multiply-add's weight broadcast
// serves two of them).
//
// Run separately, a step of LSTM [100] over 16 sequences spent more in the
// input product (five inputs), the bias broadcast and the gates' round trip
// through memory than in the cell's arithmetic; here those are gone and each
// recurrent weight is read once per COLUMN_LANES sequences.

#define MATH_FLOAT COLUMN_VECTOR
#define MATH_BITS COLUMN_BITS
#define MATH_NAME(name) name##_lanes
#include "math_functions.h"
#undef MATH_FLOAT
#undef MATH_BITS
#undef MATH_NAME

#define GROUP_ROWS (4 * RECURRENT_LSTM_UNITS)
#define PASS_ROWS (4 * PASS_UNITS)
#define PASS_COLUMNS (PASS_VECTORS * COLUMN_LANES)

/// Adds `rows` rows of `source` (row stride `batch`; `counts[v]` columns in
/// vector v, all of them when `full`), each times its packed weight column
/// (`weights` at the pass's first unit), to the pass's sums; returns the
/// packed weights that follow.
__attribute__((always_inline)) static inline const float *lstm_columns_sums(
    COLUMN_VECTOR sums[PASS_VECTORS][PASS_ROWS], const float *weights, const float *source, ptrdiff_t rows,
    ptrdiff_t batch, const int *counts, const int full) {
    for (ptrdiff_t inner = 0; inner < rows; inner++, weights += GROUP_ROWS) {
        const float *row = source + inner * batch;
        COLUMN_VECTOR values[PASS_VECTORS];
#pragma clang loop unroll(full)
        for (int v = 0; v < PASS_VECTORS; v++) {
            values[v] = full ? LOAD_COLUMNS(row + v * COLUMN_LANES, COLUMN_LANES)
                             : LOAD_COLUMNS(row + v * COLUMN_LANES, counts[v]);
        }
#pragma clang loop unroll(full)
        for (int gate = 0; gate < 4; gate++) {
#pragma clang loop unroll(full)
            for (int j = 0; j < PASS_UNITS; j++) {
                COLUMN_VECTOR weight = weights[gate * RECURRENT_LSTM_UNITS + j];
#pragma clang loop unroll(full)
                for (int v = 0; v < PASS_VECTORS; v++) {
                    COLUMN_VECTOR *sum = &sums[v][gate * PASS_UNITS + j];
                    *sum = __builtin_elementwise_fma(weight, values[v], *sum);
                }
            }
        }
    }
    return weights;
}

/// Columns `column..<column + count` of every unit; `full` (count equals
/// PASS_COLUMNS) is constant at each call, so the loads need no mask there.
__attribute__((always_inline)) static inline void lstm_columns_chunk(
    const float *packed, ptrdiff_t units, ptrdiff_t inputs, const float *x, const float *h,
    const float *previous_cell, float *cell, float *hidden, ptrdiff_t batch, ptrdiff_t column, int count,
    const int full) {
    // Columns in each vector of the chunk: a short chunk's last vectors may hold none.
    int counts[PASS_VECTORS];
    for (int v = 0; v < PASS_VECTORS; v++) {
        int left = count - v * COLUMN_LANES;
        counts[v] = left < 0 ? 0 : left > COLUMN_LANES ? COLUMN_LANES : left;
    }
    const ptrdiff_t group_floats = GROUP_ROWS * (1 + inputs + units);
    for (ptrdiff_t first = 0; first < units; first += RECURRENT_LSTM_UNITS) {
        const float *group = packed + (first / RECURRENT_LSTM_UNITS) * group_floats;
        for (int pass = 0; pass < RECURRENT_LSTM_UNITS && first + pass < units; pass += PASS_UNITS) {
            COLUMN_VECTOR sums[PASS_VECTORS][PASS_ROWS];
            // Column 0 of the group is the bias.
#pragma clang loop unroll(full)
            for (int gate = 0; gate < 4; gate++) {
#pragma clang loop unroll(full)
                for (int j = 0; j < PASS_UNITS; j++) {
#pragma clang loop unroll(full)
                    for (int v = 0; v < PASS_VECTORS; v++) {
                        sums[v][gate * PASS_UNITS + j] = group[gate * RECURRENT_LSTM_UNITS + pass + j];
                    }
                }
            }
            const float *weights = group + GROUP_ROWS + pass;
            weights = lstm_columns_sums(sums, weights, x + column, inputs, batch, counts, full);
            lstm_columns_sums(sums, weights, h + column, units, batch, counts, full);
            // The cell in registers, as lstm_forward computes it.
#pragma clang loop unroll(full)
            for (int j = 0; j < PASS_UNITS; j++) {
                if (first + pass + j >= units) break;
#pragma clang loop unroll(full)
                for (int v = 0; v < PASS_VECTORS; v++) {
                    int lanes = full ? COLUMN_LANES : counts[v];
                    ptrdiff_t offset = (first + pass + j) * batch + column + v * COLUMN_LANES;
                    COLUMN_VECTOR input = kernel_sigmoid_lanes(sums[v][j]);
                    COLUMN_VECTOR forget = kernel_sigmoid_lanes(sums[v][PASS_UNITS + j]);
                    COLUMN_VECTOR output = kernel_sigmoid_lanes(sums[v][2 * PASS_UNITS + j]);
                    COLUMN_VECTOR candidate = kernel_tanh_lanes(sums[v][3 * PASS_UNITS + j]);
                    COLUMN_VECTOR previous = LOAD_COLUMNS(previous_cell + offset, lanes);
                    COLUMN_VECTOR new_cell = forget * previous + input * candidate;
                    COLUMN_VECTOR out = output * kernel_tanh_lanes(new_cell);
                    STORE_COLUMNS(cell + offset, new_cell, lanes);
                    STORE_COLUMNS(hidden + offset, out, lanes);
                }
            }
        }
    }
}

static void KERNEL(lstm_columns)(const float *packed, ptrdiff_t units, ptrdiff_t inputs, const float *x,
                                 const float *h, const float *previous_cell, float *cell, float *hidden,
                                 ptrdiff_t batch) {
    ptrdiff_t column = 0;
    for (; column + PASS_COLUMNS <= batch; column += PASS_COLUMNS) {
        lstm_columns_chunk(packed, units, inputs, x, h, previous_cell, cell, hidden, batch, column, PASS_COLUMNS, 1);
    }
    if (column < batch) {
        lstm_columns_chunk(packed, units, inputs, x, h, previous_cell, cell, hidden, batch, column,
                           (int)(batch - column), 0);
    }
}

#undef GROUP_ROWS
#undef PASS_ROWS
#undef PASS_COLUMNS
