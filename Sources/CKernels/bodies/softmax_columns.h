// The softmax of a sampled step's logits: each column's probabilities at a
// temperature and its log-softmax normaliser at temperature 1 (the sample's
// log-probability), in one pass over the logits. Included once per level
// after lstm_columns.h, whose vector type, masked loads and stores and
// exponential it uses.
//
// A column's figures are the same whether it is computed alone (rows in
// vector lanes) or beside others (columns in lanes): every element runs the
// same operations and the sums add rows in order. So a batched sample draws
// exactly what it would draw alone.

/// One chunk of `count` columns starting at `first`, columns in lanes.
__attribute__((always_inline)) static inline void softmax_chunk(
    const float *logits, ptrdiff_t rows, ptrdiff_t stride, ptrdiff_t first, int count, float temperature,
    float *probabilities, ptrdiff_t probability_stride, double *normalisers, const int full) {
    const int lanes = full ? COLUMN_LANES : count;
    const float *x = logits + first;
    COLUMN_VECTOR largest = -__builtin_inff();
    for (ptrdiff_t row = 0; row < rows; row++) {
        COLUMN_VECTOR value = LOAD_COLUMNS(x + row * stride, lanes);
        largest = value > largest ? value : largest;
    }
    // Division by a positive temperature keeps the order: the largest
    // tempered logit is the largest logit tempered, to the bit.
    COLUMN_VECTOR divisor = temperature, shift = largest / divisor;
    COLUMN_VECTOR sum = 0, tempered_sum = 0;
    float *p = probabilities ? probabilities + first : 0;
    for (ptrdiff_t row = 0; row < rows; row++) {
        COLUMN_VECTOR value = LOAD_COLUMNS(x + row * stride, lanes);
        COLUMN_VECTOR plain = 0;
        if (normalisers || temperature == 1.0f) {
            plain = kernel_exp_lanes(value - largest);
            sum += plain;
        }
        if (p) {
            COLUMN_VECTOR tempered = temperature == 1.0f ? plain : kernel_exp_lanes(value / divisor - shift);
            tempered_sum += tempered;
            STORE_COLUMNS(p + row * probability_stride, tempered, lanes);
        }
    }
    if (p) {
        COLUMN_VECTOR scale = 1.0f / tempered_sum;
        for (ptrdiff_t row = 0; row < rows; row++) {
            float *out = p + row * probability_stride;
            STORE_COLUMNS(out, LOAD_COLUMNS(out, lanes) * scale, lanes);
        }
    }
    if (normalisers) {
        for (int lane = 0; lane < lanes; lane++) {
            normalisers[first + lane] = (double)largest[lane] + __builtin_log((double)sum[lane]);
        }
    }
}

/// One column, rows in lanes: the same figures as its lane of a chunk.
static void softmax_column(const float *x, ptrdiff_t rows, ptrdiff_t stride, float temperature,
                           float *p, ptrdiff_t probability_stride, double *normaliser) {
    float largest = -__builtin_inff();
    for (ptrdiff_t row = 0; row < rows; row++) largest = x[row * stride] > largest ? x[row * stride] : largest;
    float shift = largest / temperature;
    float sum = 0, tempered_sum = 0;
    for (ptrdiff_t row = 0; row < rows; row += COLUMN_LANES) {
        int count = rows - row < COLUMN_LANES ? (int)(rows - row) : COLUMN_LANES;
        // Lanes past the column's end repeat the largest logit (finite, never used).
        COLUMN_VECTOR value = largest;
        for (int lane = 0; lane < count; lane++) value[lane] = x[(row + lane) * stride];
        COLUMN_VECTOR plain = 0;
        if (normaliser || temperature == 1.0f) {
            plain = kernel_exp_lanes(value - largest);
            for (int lane = 0; lane < count; lane++) sum += plain[lane];
        }
        if (p) {
            COLUMN_VECTOR tempered = temperature == 1.0f ? plain : kernel_exp_lanes(value / temperature - shift);
            for (int lane = 0; lane < count; lane++) {
                tempered_sum += tempered[lane];
                p[(row + lane) * probability_stride] = tempered[lane];
            }
        }
    }
    if (p) {
        float scale = 1.0f / tempered_sum;
        for (ptrdiff_t row = 0; row < rows; row++) p[row * probability_stride] *= scale;
    }
    if (normaliser) *normaliser = (double)largest + __builtin_log((double)sum);
}

static void KERNEL(softmax_columns)(const float *logits, ptrdiff_t rows, ptrdiff_t stride, ptrdiff_t columns,
                                    float temperature, float *probabilities, ptrdiff_t probability_stride,
                                    double *normalisers) {
    if (columns == 1) {
        softmax_column(logits, rows, stride, temperature, probabilities, probability_stride, normalisers);
        return;
    }
    ptrdiff_t first = 0;
    for (; first + COLUMN_LANES <= columns; first += COLUMN_LANES) {
        softmax_chunk(logits, rows, stride, first, COLUMN_LANES, temperature, probabilities, probability_stride,
                      normalisers, 1);
    }
    if (first < columns) {
        softmax_chunk(logits, rows, stride, first, (int)(columns - first), temperature, probabilities,
                      probability_stride, normalisers, 0);
    }
}

/// Draws one row per column from `probabilities` (`rows` rows, row stride
/// `stride`): column j takes the first row whose running sum exceeds
/// `draws[j]`, or, when rounding left the sum short of it, its last row of
/// nonzero probability. Columns run in lanes, each summing in row order, so
/// a column draws what it would draw alone.
static void KERNEL(sample_columns)(const float *probabilities, ptrdiff_t rows, ptrdiff_t stride, ptrdiff_t columns,
                                   const float *draws, ptrdiff_t *chosen) {
    for (ptrdiff_t first = 0; first < columns; first += COLUMN_LANES) {
        int lanes = columns - first < COLUMN_LANES ? (int)(columns - first) : COLUMN_LANES;
        const float *p = probabilities + first;
        COLUMN_VECTOR draw = LOAD_COLUMNS(draws + first, lanes), cumulative = 0;
        unsigned pending = (1u << lanes) - 1;
        for (ptrdiff_t row = 0; row < rows && pending; row++) {
            cumulative += LOAD_COLUMNS(p + row * stride, lanes);
            unsigned hits = LESS_MASK(draw, cumulative) & pending;
            pending &= ~hits;
            for (; hits; hits &= hits - 1) chosen[first + __builtin_ctz(hits)] = row;
        }
        for (; pending; pending &= pending - 1) {
            int lane = __builtin_ctz(pending);
            ptrdiff_t row = rows - 1;
            while (row > 0 && p[row * stride + lane] == 0) row--;
            chosen[first + lane] = row;
        }
    }
}
