// Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions, channels in the vectors (AVX-512 only): the
// larger-tile sibling of Winograd.c's F(2×2, 3×3), for images big enough to fill its tiles.
//
// Each 6×6 input tile d (stride 4) becomes V = Bᵀ d B and each kernel g becomes U = G g Gᵀ; the 36
// elements e of the transformed tiles are 36 independent products M[e][tile][cout] =
// Σ_cin V[e][cin][tile] · U[e][cin][cout] on the channel-vectorised micro-kernel, and each output
// 4×4 block is Aᵀ M A. That is 36 products per 16 outputs instead of F(2×2, 3×3)'s 64 (and the
// direct 144), and the transformed tiles V and M are 1.8× smaller. The interpolation points are
// 0, ±1, ±2 (Lavin & Gray 2016): in float32 the outputs differ from the direct sums by a few units
// of 1e-6 relative, against about 1e-7 for F(2×2, 3×3). The passes themselves are
// WinogradDriver.c's; the weight gradient's transforms are at the end of this file.
#include "CEmoKernels.h"
#include "MicroKernels.h"
#include "WinogradDriver.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

/// Bᵀ on six values (one per row or column of a tile): rows of Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0;
/// 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].
static inline void input_transform(const __m512 d[6], __m512 out[6]) {
    const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f), two = _mm512_set1_ps(2.0f);
    const __m512 t1 = _mm512_fnmadd_ps(four, d[2], d[4]), t2 = _mm512_fnmadd_ps(four, d[1], d[3]);
    const __m512 t3 = _mm512_sub_ps(d[4], d[2]), t4 = _mm512_mul_ps(two, _mm512_sub_ps(d[3], d[1]));
    out[0] = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));
    out[1] = _mm512_add_ps(t1, t2);
    out[2] = _mm512_sub_ps(t1, t2);
    out[3] = _mm512_add_ps(t3, t4);
    out[4] = _mm512_sub_ps(t3, t4);
    out[5] = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));
}

/// Aᵀ on six values: rows of Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
static inline void output_transform(const __m512 m[6], __m512 out[4]) {
    const __m512 a = _mm512_add_ps(m[1], m[2]), b = _mm512_sub_ps(m[1], m[2]);
    const __m512 c = _mm512_add_ps(m[3], m[4]), d = _mm512_sub_ps(m[3], m[4]);
    out[0] = _mm512_add_ps(_mm512_add_ps(m[0], a), c);
    out[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d, b);
    out[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
    out[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d, b), m[5]);
}

/// V[e][c][t − first tile] for the tile rows [ty0, ty1) of one channel's padded plane: Bᵀ on the
/// six rows (whole rows at once, into s), then B on each tile's six columns, 16 tiles at a time:
/// columns 4t + j of tiles t…t+15 are lanes ≡ j mod 4 of 64 floats (two rounds of even/odd
/// splits), and columns 4t + 4, 4t + 5 those of j = 0, 1 moved by one tile.
static void transform_input(const emo_winograd_grid *g, int cin, const float *plane, int ty0, int ty1, float *v,
                            ptrdiff_t tiles, float *s) {
    const int stride = g->wp + EMO_WINOGRAD_ROW_MARGIN;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const ptrdiff_t e_stride = (ptrdiff_t)cin * tiles;
    for (int ty = ty0; ty < ty1; ty++) {
        const float *r = plane + (ptrdiff_t)(4 * ty) * g->wp;
        for (int j = 0; j < g->wp; j += 16) {
            const __mmask16 mask = emo_first_lanes(g->wp - j);
            __m512 d[6], o[6];
            for (int i = 0; i < 6; i++) d[i] = _mm512_maskz_loadu_ps(mask, r + (ptrdiff_t)i * g->wp + j);
            input_transform(d, o);
            for (int i = 0; i < 6; i++) _mm512_mask_storeu_ps(s + (ptrdiff_t)i * stride + j, mask, o[i]);
        }
        const ptrdiff_t at = (ptrdiff_t)(ty - ty0) * g->tw;
        for (int i = 0; i < 6; i++) {
            const float *row = s + (ptrdiff_t)i * stride;
            float *out = v + (ptrdiff_t)(6 * i) * e_stride + at;
            for (int t = 0; t < g->tw; t += 16) {
                const __mmask16 mask = emo_first_lanes(g->tw - t);
                const float *p = row + 4 * t;
                const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
                const __m512 c = _mm512_loadu_ps(p + 32), d = _mm512_loadu_ps(p + 48);
                const __m512 e1 = _mm512_permutex2var_ps(a, even, b), o1 = _mm512_permutex2var_ps(a, odd, b);
                const __m512 e2 = _mm512_permutex2var_ps(c, even, d), o2 = _mm512_permutex2var_ps(c, odd, d);
                __m512 col[6], w[6];
                col[0] = _mm512_permutex2var_ps(e1, even, e2);
                col[1] = _mm512_permutex2var_ps(o1, even, o2);
                col[2] = _mm512_permutex2var_ps(e1, odd, e2);
                col[3] = _mm512_permutex2var_ps(o1, odd, o2);
                col[4] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(p[64])),
                                                                 _mm512_castps_si512(col[0]), 1));
                col[5] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(p[65])),
                                                                 _mm512_castps_si512(col[1]), 1));
                input_transform(col, w);
                for (int k = 0; k < 6; k++) _mm512_mask_storeu_ps(out + k * e_stride + t, mask, w[k]);
            }
        }
    }
}

/// Aᵀ M A for the tiles of tile row ty (the band's tiles from `first`) into four channels-last
/// output rows rows_out [4][Wo][cout].
static void transform_output(const emo_winograd_grid *g, int cout, const float *m, ptrdiff_t tiles, ptrdiff_t first,
                             float *rows_out) {
    const ptrdiff_t e_stride = tiles * cout, row = (ptrdiff_t)g->wo * cout;
    for (int tx = 0; tx < g->tw; tx++) {
        const float *mt = m + (first + tx) * cout;
        const int ox = 4 * tx, columns = g->wo - ox < 4 ? g->wo - ox : 4;
        for (int co = 0; co < cout; co += 16) {
            __m512 t[4][6];  // Aᵀ M: four rows of six columns
            for (int j = 0; j < 6; j++) {
                __m512 column[6], out[4];
                for (int i = 0; i < 6; i++) column[i] = _mm512_loadu_ps(mt + (6 * i + j) * e_stride + co);
                output_transform(column, out);
                for (int r = 0; r < 4; r++) t[r][j] = out[r];
            }
            for (int r = 0; r < 4; r++) {
                __m512 out[4];
                output_transform(t[r], out);
                float *o = rows_out + r * row + (ptrdiff_t)ox * cout + co;
                for (int k = 0; k < columns; k++) _mm512_storeu_ps(o + (ptrdiff_t)k * cout, out[k]);
            }
        }
    }
}

// MARK: weight gradient

// As for F(2×2, 3×3) (Winograd.c): dU[e] = Σ over tiles of V[e]ᵀ dM[e] with dM = A dy Aᵀ per 4×4
// block of dy, accumulated over every image in the transformed domain, and dg = Gᵀ dU G at the
// end; 36 products per tile and channel pair, for 16 outputs, against F(2×2)'s 16 for 4.

/// V[e][t][cinp] = (Bᵀ d B)[e] for the tiles of tile row ty (t from `first`, `chunk` tiles per e),
/// 16 channels at a time from the channels-last input xt [hp][wp][cinp].
static void transform_input_row(const emo_winograd_grid *g, int cinp, const float *xt, int ty, float *v, ptrdiff_t first,
                                ptrdiff_t chunk) {
    const ptrdiff_t row = (ptrdiff_t)g->wp * cinp, e_stride = chunk * cinp;
    for (int tx = 0; tx < g->tw; tx++) {
        const float *patch = xt + (ptrdiff_t)(4 * ty) * row + (ptrdiff_t)(4 * tx) * cinp;
        float *out = v + (first + tx) * cinp;
        for (int c = 0; c < cinp; c += 16) {
            __m512 t[6][6];  // Bᵀ d, column by column
            for (int j = 0; j < 6; j++) {
                __m512 d[6], column[6];
                for (int i = 0; i < 6; i++) d[i] = _mm512_loadu_ps(patch + i * row + (ptrdiff_t)j * cinp + c);
                input_transform(d, column);
                for (int i = 0; i < 6; i++) t[i][j] = column[i];
            }
            for (int i = 0; i < 6; i++) {
                __m512 o[6];
                input_transform(t[i], o);
                for (int k = 0; k < 6; k++) _mm512_storeu_ps(out + (ptrdiff_t)(6 * i + k) * e_stride + c, o[k]);
            }
        }
    }
}

/// A on four values: (a₀, a₀ + a₁ + a₂ + a₃, a₀ − a₁ + a₂ − a₃, a₀ + 2a₁ + 4a₂ + 8a₃,
/// a₀ − 2a₁ + 4a₂ − 8a₃, a₃), the transpose of output_transform.
static inline void gradient_transform(const __m512 a[4], __m512 out[6]) {
    const __m512 even = _mm512_add_ps(a[0], a[2]), odd = _mm512_add_ps(a[1], a[3]);
    const __m512 even4 = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), a[2], a[0]);
    const __m512 odd8 = _mm512_fmadd_ps(_mm512_set1_ps(8.0f), a[3], _mm512_add_ps(a[1], a[1]));
    out[0] = a[0];
    out[1] = _mm512_add_ps(even, odd);
    out[2] = _mm512_sub_ps(even, odd);
    out[3] = _mm512_add_ps(even4, odd8);
    out[4] = _mm512_sub_ps(even4, odd8);
    out[5] = a[3];
}

/// dM[e][t][cout] = (A dy Aᵀ)[e] for the tiles of tile row ty (t from `first`, `chunk` tiles per
/// e), from dyᵀ [Ho·Wo][cout]; rows and columns past the image are zero.
static void transform_gradient_row(const emo_winograd_grid *g, int cout, const float *dyt, int ty, float *dm,
                                   ptrdiff_t first, ptrdiff_t chunk) {
    const __m512 zero = _mm512_setzero_ps();
    const ptrdiff_t e_stride = chunk * cout, row = (ptrdiff_t)g->wo * cout;
    const int rows = g->ho - 4 * ty < 4 ? g->ho - 4 * ty : 4;
    const float *top = dyt + (ptrdiff_t)(4 * ty) * row;
    for (int tx = 0; tx < g->tw; tx++) {
        const int columns = g->wo - 4 * tx < 4 ? g->wo - 4 * tx : 4;
        const float *block = top + (ptrdiff_t)(4 * tx) * cout;
        float *out = dm + (first + tx) * cout;
        for (int co = 0; co < cout; co += 16) {
            __m512 q[6][4];  // A dy, column by column
            for (int j = 0; j < 4; j++) {
                __m512 a[4], column[6];
                for (int i = 0; i < 4; i++)
                    a[i] = i < rows && j < columns ? _mm512_loadu_ps(block + i * row + (ptrdiff_t)j * cout + co) : zero;
                gradient_transform(a, column);
                for (int i = 0; i < 6; i++) q[i][j] = column[i];
            }
            for (int i = 0; i < 6; i++) {
                __m512 o[6];
                gradient_transform(q[i], o);
                for (int k = 0; k < 6; k++) _mm512_storeu_ps(out + (ptrdiff_t)(6 * i + k) * e_stride + co, o[k]);
            }
        }
    }
}

/// G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1].
static const float G[6][3] = {{0.25f, 0, 0},
                              {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                              {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                              {1.0f / 24, 1.0f / 12, 1.0f / 6},
                              {1.0f / 24, -1.0f / 12, 1.0f / 6},
                              {0, 0, 1}};

const emo_winograd_algorithm emo_winograd_f4x4 = {4, G, transform_input, transform_output, transform_input_row,
                                                  transform_gradient_row};

#pragma clang attribute pop
#endif
