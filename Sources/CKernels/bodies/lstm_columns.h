// The LSTM's whole inference step for a batch of sequences (columns):
// bias, input and recurrent products and the cell, in one pass that keeps
// each gate row's sums in registers. Included once per level after
// kernel_math.h, with the level's COLUMN_VECTOR (a vector of COLUMN_LANES
// floats), COLUMN_BITS (unsigned integers of the same size) and masked
// LOAD_COLUMNS(pointer, count) / STORE_COLUMNS(pointer, vector, count).
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

#define LSTM_ROWS (4 * RECURRENT_LSTM_UNITS)

/// Adds `rows` rows of `source` (row stride `batch`, `count` columns),
/// each times its packed weight column, to the group's gate sums; returns
/// the packed weights that follow.
__attribute__((always_inline)) static inline const float *lstm_columns_sums(
    COLUMN_VECTOR *sums, const float *weights, const float *source, ptrdiff_t rows, ptrdiff_t batch, int count,
    const int full) {
    for (ptrdiff_t inner = 0; inner < rows; inner++, weights += LSTM_ROWS) {
        const float *row = source + inner * batch;
        COLUMN_VECTOR value = full ? LOAD_COLUMNS(row, COLUMN_LANES) : LOAD_COLUMNS(row, count);
#pragma clang loop unroll(full)
        for (int gate_row = 0; gate_row < LSTM_ROWS; gate_row++) {
            sums[gate_row] = __builtin_elementwise_fma((COLUMN_VECTOR)weights[gate_row], value, sums[gate_row]);
        }
    }
    return weights;
}

/// Columns `column..<column + count` of every unit; `full` (count equals
/// COLUMN_LANES) is constant at each call, so the loads need no mask there.
__attribute__((always_inline)) static inline void lstm_columns_chunk(
    const float *packed, ptrdiff_t units, ptrdiff_t inputs, const float *x, const float *h,
    const float *previous_cell, float *cell, float *hidden, ptrdiff_t batch, ptrdiff_t column, int count,
    const int full) {
    const float *weights = packed;
    for (ptrdiff_t unit = 0; unit < units; unit += RECURRENT_LSTM_UNITS) {
        COLUMN_VECTOR sums[LSTM_ROWS];
#pragma clang loop unroll(full)
        for (int row = 0; row < LSTM_ROWS; row++) sums[row] = (COLUMN_VECTOR)weights[row];
        weights += LSTM_ROWS;
        weights = lstm_columns_sums(sums, weights, x + column, inputs, batch, count, full);
        weights = lstm_columns_sums(sums, weights, h + column, units, batch, count, full);
        // Gate g of unit `unit + j` is row g·UNITS + j; the cell as lstm_forward computes it.
#pragma clang loop unroll(full)
        for (int j = 0; j < RECURRENT_LSTM_UNITS; j++) {
            if (unit + j >= units) break;
            ptrdiff_t offset = (unit + j) * batch + column;
            COLUMN_VECTOR input = kernel_sigmoid_lanes(sums[j]);
            COLUMN_VECTOR forget = kernel_sigmoid_lanes(sums[RECURRENT_LSTM_UNITS + j]);
            COLUMN_VECTOR output = kernel_sigmoid_lanes(sums[2 * RECURRENT_LSTM_UNITS + j]);
            COLUMN_VECTOR candidate = kernel_tanh_lanes(sums[3 * RECURRENT_LSTM_UNITS + j]);
            COLUMN_VECTOR previous = full ? LOAD_COLUMNS(previous_cell + offset, COLUMN_LANES)
                                          : LOAD_COLUMNS(previous_cell + offset, count);
            COLUMN_VECTOR new_cell = forget * previous + input * candidate;
            COLUMN_VECTOR out = output * kernel_tanh_lanes(new_cell);
            STORE_COLUMNS(cell + offset, new_cell, full ? COLUMN_LANES : count);
            STORE_COLUMNS(hidden + offset, out, full ? COLUMN_LANES : count);
        }
    }
}

static void KERNEL(lstm_columns)(const float *packed, ptrdiff_t units, ptrdiff_t inputs, const float *x,
                                 const float *h, const float *previous_cell, float *cell, float *hidden,
                                 ptrdiff_t batch) {
    ptrdiff_t column = 0;
    for (; column + COLUMN_LANES <= batch; column += COLUMN_LANES) {
        lstm_columns_chunk(packed, units, inputs, x, h, previous_cell, cell, hidden, batch, column, COLUMN_LANES, 1);
    }
    if (column < batch) {
        lstm_columns_chunk(packed, units, inputs, x, h, previous_cell, cell, hidden, batch, column,
                           (int)(batch - column), 0);
    }
}

#undef LSTM_ROWS
