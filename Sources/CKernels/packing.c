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

static int lstm_groups(int units) { return (units + RECURRENT_LSTM_UNITS - 1) / RECURRENT_LSTM_UNITS; }

size_t recurrent_packed_size_lstm(int units, int inputs) {
    return (size_t)lstm_groups(units) * 4 * RECURRENT_LSTM_UNITS * (size_t)(1 + inputs + units);
}

void recurrent_pack_lstm(const float *bias, const float *input_weights, const float *recurrent_weights, int units,
                         int inputs, float *packed) {
    for (int first = 0; first < units; first += RECURRENT_LSTM_UNITS) {
        // Column 0 is the bias, then the inputs, then the recurrent columns.
        for (int column = 0; column <= inputs + units; column++) {
            for (int gate = 0; gate < 4; gate++) {
                for (int j = 0; j < RECURRENT_LSTM_UNITS; j++, packed++) {
                    int unit = first + j;
                    if (unit >= units) {
                        *packed = 0;
                        continue;
                    }
                    size_t row = (size_t)gate * units + unit;
                    *packed = column == 0 ? bias[row]
                            : column <= inputs ? input_weights[row * inputs + (column - 1)]
                            : recurrent_weights[row * units + (column - 1 - inputs)];
                }
            }
        }
    }
}

static int pairs(int k) { return (k + 1) / 2; }

size_t recurrent_packed_size_bf16(int m, int k) { return (size_t)panels(m) * PANEL * 2 * (size_t)pairs(k); }
