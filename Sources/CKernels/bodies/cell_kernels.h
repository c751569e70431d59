// The recurrent cells' element-wise steps (LSTMStep, GRUStep and RNNStep in
// Swift hold the portable versions and the meaning of every argument).
// Included once per level; KERNEL(name) adds the level's suffix and
// VECTOR_LOOP asks for the level's vector width. Every column reads and
// writes only its own elements (in place included), so the loops are
// vectorised without alias checks.

// Each row function takes a flag that is constant at its call sites, so
// inlining leaves two loops (with and without the optional input) rather
// than a test per element.
#define OPTIONAL_SUM(base, extra, has_extra, c) ((has_extra) ? (base)[c] + (extra)[c] : (base)[c])

static inline __attribute__((always_inline)) void lstm_forward_row(
    float *i, float *f, float *o, float *g, const float *ri, const float *rf, const float *ro, const float *rg,
    int has_recurrent, const float *previous_cell, float *cell, float *hidden, float *cell_tanh, ptrdiff_t width) {
    VECTOR_LOOP
    for (ptrdiff_t c = 0; c < width; c++) {
        float input = kernel_sigmoid(OPTIONAL_SUM(i, ri, has_recurrent, c));
        float forget = kernel_sigmoid(OPTIONAL_SUM(f, rf, has_recurrent, c));
        float output = kernel_sigmoid(OPTIONAL_SUM(o, ro, has_recurrent, c));
        float candidate = kernel_tanh(OPTIONAL_SUM(g, rg, has_recurrent, c));
        float new_cell = forget * previous_cell[c] + input * candidate;
        float squashed = kernel_tanh(new_cell);
        i[c] = input; f[c] = forget; o[c] = output; g[c] = candidate;
        cell[c] = new_cell;
        cell_tanh[c] = squashed;
        hidden[c] = output * squashed;
    }
}

static void KERNEL(lstm_forward)(float *gates, ptrdiff_t gate_stride, const float *recurrent, ptrdiff_t rows,
                                 const float *previous_cell, float *cell, float *hidden, ptrdiff_t state_stride,
                                 float *cell_tanh, ptrdiff_t tanh_stride, ptrdiff_t width) {
    ptrdiff_t block = rows * gate_stride;
    for (ptrdiff_t row = 0; row < rows; row++) {
        float *i = gates + row * gate_stride;
        ptrdiff_t state = row * state_stride;
        if (recurrent) {
            // The recurrent product's gate blocks are `rows·width` long.
            const float *ri = recurrent + row * width, *rf = ri + rows * width;
            const float *ro = rf + rows * width, *rg = ro + rows * width;
            lstm_forward_row(i, i + block, i + 2 * block, i + 3 * block, ri, rf, ro, rg, 1, previous_cell + state,
                             cell + state, hidden + state, cell_tanh + row * tanh_stride, width);
        } else {
            lstm_forward_row(i, i + block, i + 2 * block, i + 3 * block, i, i, i, i, 0, previous_cell + state,
                             cell + state, hidden + state, cell_tanh + row * tanh_stride, width);
        }
    }
}

static inline __attribute__((always_inline)) void lstm_backward_row(
    const float *gates, float *gradients, ptrdiff_t block, const float *output_gradients, const float *hidden_next,
    int has_next, const float *previous_cell, const float *cell_tanh, const float *cell_gradients,
    float *previous_cell_gradients, int accumulates, ptrdiff_t width) {
    const float *ig = gates, *fg = gates + block, *og = gates + 2 * block, *gg = gates + 3 * block;
    VECTOR_LOOP
    for (ptrdiff_t c = 0; c < width; c++) {
        float input = ig[c], forget = fg[c], output = og[c], candidate = gg[c], squashed = cell_tanh[c];
        float d_hidden = OPTIONAL_SUM(output_gradients, hidden_next, has_next, c);
        float d_cell = cell_gradients[c] + d_hidden * output * (1 - squashed * squashed);
        gradients[c] = d_cell * candidate * input * (1 - input);
        gradients[block + c] = d_cell * previous_cell[c] * forget * (1 - forget);
        gradients[2 * block + c] = d_hidden * squashed * output * (1 - output);
        gradients[3 * block + c] = d_cell * input * (1 - candidate * candidate);
        float carried = d_cell * forget;
        previous_cell_gradients[c] = accumulates ? previous_cell_gradients[c] + carried : carried;
    }
}

static void KERNEL(lstm_backward)(const float *gates, float *gate_gradients, ptrdiff_t gate_stride, ptrdiff_t rows,
                                  const float *output_gradients, const float *previous_cell, ptrdiff_t state_stride,
                                  const float *cell_tanh, ptrdiff_t tanh_stride, const float *hidden_next,
                                  const float *cell_gradients, float *previous_cell_gradients, int accumulates,
                                  ptrdiff_t width) {
    ptrdiff_t block = rows * gate_stride;
    for (ptrdiff_t row = 0; row < rows; row++) {
        ptrdiff_t gate = row * gate_stride, state = row * state_stride, carry = row * width;
        const float *next = hidden_next ? hidden_next + carry : output_gradients;
        if (hidden_next) {
            lstm_backward_row(gates + gate, gate_gradients + gate, block, output_gradients + state, next, 1,
                              previous_cell + state, cell_tanh + row * tanh_stride, cell_gradients + carry,
                              previous_cell_gradients + carry, accumulates, width);
        } else {
            lstm_backward_row(gates + gate, gate_gradients + gate, block, output_gradients + state, next, 0,
                              previous_cell + state, cell_tanh + row * tanh_stride, cell_gradients + carry,
                              previous_cell_gradients + carry, accumulates, width);
        }
    }
}

static inline __attribute__((always_inline)) void gru_gates_row(
    float *reset, float *update, const float *rr, const float *rz, int has_recurrent, const float *previous,
    float *reset_hidden, ptrdiff_t width) {
    VECTOR_LOOP
    for (ptrdiff_t c = 0; c < width; c++) {
        float r = kernel_sigmoid(OPTIONAL_SUM(reset, rr, has_recurrent, c));
        float z = kernel_sigmoid(OPTIONAL_SUM(update, rz, has_recurrent, c));
        reset[c] = r;
        update[c] = z;
        reset_hidden[c] = r * previous[c];
    }
}

static void KERNEL(gru_gates)(float *gates, ptrdiff_t gate_stride, const float *recurrent, ptrdiff_t rows,
                              const float *previous, ptrdiff_t state_stride, float *reset_hidden,
                              ptrdiff_t reset_stride, ptrdiff_t width) {
    ptrdiff_t block = rows * gate_stride;
    for (ptrdiff_t row = 0; row < rows; row++) {
        float *r = gates + row * gate_stride;
        const float *p = previous + row * state_stride;
        float *out = reset_hidden + row * reset_stride;
        if (recurrent) {
            const float *rr = recurrent + row * width;
            gru_gates_row(r, r + block, rr, rr + rows * width, 1, p, out, width);
        } else {
            gru_gates_row(r, r + block, r, r, 0, p, out, width);
        }
    }
}

static inline __attribute__((always_inline)) void gru_output_row(
    const float *update, float *candidate, const float *recurrent, int has_recurrent, const float *previous,
    float *hidden, ptrdiff_t width) {
    VECTOR_LOOP
    for (ptrdiff_t c = 0; c < width; c++) {
        float n = kernel_tanh(OPTIONAL_SUM(candidate, recurrent, has_recurrent, c));
        float z = update[c];
        candidate[c] = n;
        hidden[c] = (1 - z) * previous[c] + z * n;
    }
}

static void KERNEL(gru_output)(float *gates, ptrdiff_t gate_stride, const float *recurrent, ptrdiff_t rows,
                               const float *previous, float *hidden, ptrdiff_t state_stride, ptrdiff_t width) {
    ptrdiff_t block = rows * gate_stride;
    for (ptrdiff_t row = 0; row < rows; row++) {
        float *z = gates + row * gate_stride + block;
        ptrdiff_t state = row * state_stride;
        if (recurrent) {
            gru_output_row(z, z + block, recurrent + row * width, 1, previous + state, hidden + state, width);
        } else {
            gru_output_row(z, z + block, z, 0, previous + state, hidden + state, width);
        }
    }
}

static inline __attribute__((always_inline)) void gru_backward_output_row(
    const float *update, const float *candidate, float *update_gradients, float *candidate_gradients,
    const float *output_gradients, const float *hidden_next, int has_next, const float *previous,
    float *previous_gradients, int accumulates, ptrdiff_t width) {
    VECTOR_LOOP
    for (ptrdiff_t c = 0; c < width; c++) {
        float d_hidden = OPTIONAL_SUM(output_gradients, hidden_next, has_next, c);
        float z = update[c], n = candidate[c];
        float difference = n - previous[c];
        update_gradients[c] = d_hidden * difference * z * (1 - z);
        candidate_gradients[c] = d_hidden * z * (1 - n * n);
        float direct = d_hidden * (1 - z);
        previous_gradients[c] = accumulates ? previous_gradients[c] + direct : direct;
    }
}

static void KERNEL(gru_backward_output)(const float *gates, float *gate_gradients, ptrdiff_t gate_stride,
                                        ptrdiff_t rows, const float *output_gradients, const float *previous,
                                        ptrdiff_t state_stride, const float *hidden_next, float *previous_gradients,
                                        int accumulates, ptrdiff_t width) {
    ptrdiff_t block = rows * gate_stride;
    for (ptrdiff_t row = 0; row < rows; row++) {
        ptrdiff_t gate = row * gate_stride + block, state = row * state_stride, carry = row * width;
        if (hidden_next) {
            gru_backward_output_row(gates + gate, gates + gate + block, gate_gradients + gate,
                                    gate_gradients + gate + block, output_gradients + state, hidden_next + carry, 1,
                                    previous + state, previous_gradients + carry, accumulates, width);
        } else {
            gru_backward_output_row(gates + gate, gates + gate + block, gate_gradients + gate,
                                    gate_gradients + gate + block, output_gradients + state, output_gradients, 0,
                                    previous + state, previous_gradients + carry, accumulates, width);
        }
    }
}

static void KERNEL(gru_backward_reset)(const float *gates, float *gate_gradients, ptrdiff_t gate_stride,
                                       ptrdiff_t rows, const float *previous, ptrdiff_t state_stride,
                                       const float *reset_gradients, float *previous_gradients, ptrdiff_t width) {
    for (ptrdiff_t row = 0; row < rows; row++) {
        ptrdiff_t gate = row * gate_stride, carry = row * width;
        const float *reset = gates + gate, *p = previous + row * state_stride, *g = reset_gradients + carry;
        float *out = gate_gradients + gate, *carried = previous_gradients + carry;
        VECTOR_LOOP
        for (ptrdiff_t c = 0; c < width; c++) {
            float r = reset[c], gradient = g[c];
            out[c] = gradient * p[c] * r * (1 - r);
            carried[c] += gradient * r;
        }
    }
}

static void KERNEL(rnn_forward)(float *preactivations, ptrdiff_t gate_stride, const float *recurrent, ptrdiff_t rows,
                                float *hidden, ptrdiff_t state_stride, ptrdiff_t width) {
    for (ptrdiff_t row = 0; row < rows; row++) {
        const float *x = preactivations + row * gate_stride;
        float *h = hidden + row * state_stride;
        if (recurrent) {
            const float *r = recurrent + row * width;
            VECTOR_LOOP
            for (ptrdiff_t c = 0; c < width; c++) {
                float value = x[c] + r[c];
                h[c] = value < 0 ? 0 : value;
            }
        } else {
            VECTOR_LOOP
            for (ptrdiff_t c = 0; c < width; c++) h[c] = x[c] < 0 ? 0 : x[c];
        }
    }
}

static void KERNEL(rnn_backward)(float *gate_gradients, ptrdiff_t gate_stride, ptrdiff_t rows, const float *hidden,
                                 const float *output_gradients, ptrdiff_t state_stride, const float *hidden_next,
                                 ptrdiff_t width) {
    for (ptrdiff_t row = 0; row < rows; row++) {
        float *d = gate_gradients + row * gate_stride;
        const float *h = hidden + row * state_stride, *g = output_gradients + row * state_stride;
        if (hidden_next) {
            const float *next = hidden_next + row * width;
            VECTOR_LOOP
            for (ptrdiff_t c = 0; c < width; c++) d[c] = h[c] <= 0 ? 0 : g[c] + next[c];
        } else {
            VECTOR_LOOP
            for (ptrdiff_t c = 0; c < width; c++) d[c] = h[c] <= 0 ? 0 : g[c];
        }
    }
}

#undef OPTIONAL_SUM
