// A 16 x 16 transpose of 32-bit words in AVX-512 registers, and the packed
// products' write-back built on it, for the files compiled with AVX-512
// (the float and bfloat16 packed products, the bf16 gathers).

/// Transposes the 16 x 16 matrix of 32-bit words held one row a register:
/// interleaving words, then pairs of words, then 128-bit quarters twice.
static inline void transpose16(__m512i *r) {
    __m512i a[16], b[16], c[16];
    for (int i = 0; i < 16; i += 2) {
        a[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        a[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    // b[4g + j]: rows 4g..4g+3 of columns j, j+4, j+8, j+12 (one per quarter).
    for (int g = 0; g < 4; g++) {
        __m512i *in = a + 4 * g, *o = b + 4 * g;
        o[0] = _mm512_unpacklo_epi64(in[0], in[2]);
        o[1] = _mm512_unpackhi_epi64(in[0], in[2]);
        o[2] = _mm512_unpacklo_epi64(in[1], in[3]);
        o[3] = _mm512_unpackhi_epi64(in[1], in[3]);
    }
    // c[8h + 2j (+1)]: rows 8h..8h+7 of columns j, j+8 (and j+4, j+12).
    for (int h = 0; h < 2; h++) {
        for (int j = 0; j < 4; j++) {
            c[8 * h + 2 * j] = _mm512_shuffle_i32x4(b[8 * h + j], b[8 * h + 4 + j], 0x88);
            c[8 * h + 2 * j + 1] = _mm512_shuffle_i32x4(b[8 * h + j], b[8 * h + 4 + j], 0xdd);
        }
    }
    for (int j = 0; j < 4; j++) {
        r[j] = _mm512_shuffle_i32x4(c[2 * j], c[8 + 2 * j], 0x88);           // column j
        r[j + 8] = _mm512_shuffle_i32x4(c[2 * j], c[8 + 2 * j], 0xdd);       // column j + 8
        r[j + 4] = _mm512_shuffle_i32x4(c[2 * j + 1], c[8 + 2 * j + 1], 0x88);  // column j + 4
        r[j + 12] = _mm512_shuffle_i32x4(c[2 * j + 1], c[8 + 2 * j + 1], 0xdd); // column j + 12
    }
}

/// Writes (or with `accumulate` adds) a 16-row panel's sums, held one column
/// a register in `sums` (16 of them, the first `columns` used), to the first
/// `rows` rows of `c`: transposed, each row is one masked store rather than
/// `columns` scalar ones.
static inline void write_sums(const __m512 *sums, int rows, float *c, int ldc, int columns, int accumulate) {
    __m512i lanes[16];
    for (int j = 0; j < 16; j++) lanes[j] = _mm512_castps_si512(sums[j]);
    transpose16(lanes);
    __mmask16 mask = (__mmask16)((1u << columns) - 1);
    for (int r = 0; r < rows; r++) {
        float *out = c + (size_t)r * ldc;
        __m512 row = _mm512_castsi512_ps(lanes[r]);
        if (accumulate) row = _mm512_add_ps(row, _mm512_maskz_loadu_ps(mask, out));
        _mm512_mask_storeu_ps(out, mask, row);
    }
}
