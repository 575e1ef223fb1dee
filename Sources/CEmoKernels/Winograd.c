// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions, channels in the vectors (AVX-512 only).
//
// Each 4×4 input tile d (stride 2) becomes V = Bᵀ d B and each 3×3 kernel g becomes U = G g Gᵀ;
// the 16 elements e of the transformed tiles are then 16 independent products
// M[e][tile][cout] = Σ_cin V[e][cin][tile] · U[e][cin][cout], run on the channel-vectorised
// micro-kernel (emo_cgemm_row), and each output 2×2 block is Aᵀ M A. That is 16 products per 4
// outputs instead of 36: 2.25× fewer multiplications, for the price of the transforms (adds, and
// the even/odd split of input columns). Tiles are processed in bands of tile rows so that V and M
// stay in L2 (WinogradDriver.c). The input gradient of a 3×3 stride-1 convolution is the same
// computation on dy with the kernels rotated by 180° and input and output channels swapped. The
// weight gradient's transforms are at the end of this file.
#include "CEmoKernels.h"
#include "MicroKernels.h"
#include "WinogradDriver.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

/// V[e][c][t − first tile] for the tile rows [ty0, ty1) of channel c's padded plane.
static void transform_input(const emo_winograd_grid *g, int cin, const float *plane, int ty0, int ty1, float *v,
                            ptrdiff_t tiles, float *s) {
    const int stride = g->wp + EMO_WINOGRAD_ROW_MARGIN;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int ty = ty0; ty < ty1; ty++) {
        const float *r0 = plane + (ptrdiff_t)(2 * ty) * g->wp, *r1 = r0 + g->wp, *r2 = r1 + g->wp, *r3 = r2 + g->wp;
        // Bᵀ on the four rows (whole rows at once), then B on each tile's four columns.
        float *s0 = s, *s1 = s + stride, *s2 = s + 2 * stride, *s3 = s + 3 * stride;
        for (int j = 0; j < g->wp; j++) {
            s0[j] = r0[j] - r2[j];
            s1[j] = r1[j] + r2[j];
            s2[j] = r2[j] - r1[j];
            s3[j] = r1[j] - r3[j];
        }
        const ptrdiff_t at = (ptrdiff_t)(ty - ty0) * g->tw;
        for (int i = 0; i < 4; i++) {
            const float *row = s + i * stride;
            float *v0 = v + (4 * i) * cin * tiles + at, *v1 = v0 + cin * tiles, *v2 = v1 + cin * tiles,
                  *v3 = v2 + cin * tiles;
            for (int t = 0; t < g->tw; t += 16) {
                const __mmask16 mask = emo_first_lanes(g->tw - t);
                // Columns 2t, 2t+1, 2t+2, 2t+3 of tiles t…t+15: the even/odd lanes of 32 floats.
                const __m512 a = _mm512_loadu_ps(row + 2 * t), b = _mm512_loadu_ps(row + 2 * t + 16);
                const __m512 a2 = _mm512_loadu_ps(row + 2 * t + 2), b2 = _mm512_loadu_ps(row + 2 * t + 18);
                const __m512 c0 = _mm512_permutex2var_ps(a, even, b), c1 = _mm512_permutex2var_ps(a, odd, b);
                const __m512 c2 = _mm512_permutex2var_ps(a2, even, b2), c3 = _mm512_permutex2var_ps(a2, odd, b2);
                _mm512_mask_storeu_ps(v0 + t, mask, _mm512_sub_ps(c0, c2));
                _mm512_mask_storeu_ps(v1 + t, mask, _mm512_add_ps(c1, c2));
                _mm512_mask_storeu_ps(v2 + t, mask, _mm512_sub_ps(c2, c1));
                _mm512_mask_storeu_ps(v3 + t, mask, _mm512_sub_ps(c1, c3));
            }
        }
    }
}

/// Aᵀ M A for the tiles of tile row ty (the band's tiles from `first`) into two channels-last output
/// rows rows_out [2][Wo][cout]: Aᵀ = [1 1 1 0; 0 1 −1 −1] on each axis.
static void transform_output(const emo_winograd_grid *g, int cout, const float *m, ptrdiff_t tiles, ptrdiff_t first,
                             float *rows_out) {
    for (int tx = 0; tx < g->tw; tx++) {
        const ptrdiff_t t = first + tx;
        const int ox = 2 * tx;
        for (int co = 0; co < cout; co += 16) {
            __m512 a[4], b[4];
            for (int j = 0; j < 4; j++) {
                const __m512 m0 = _mm512_loadu_ps(m + ((ptrdiff_t)j * tiles + t) * cout + co);
                const __m512 m1 = _mm512_loadu_ps(m + ((ptrdiff_t)(4 + j) * tiles + t) * cout + co);
                const __m512 m2 = _mm512_loadu_ps(m + ((ptrdiff_t)(8 + j) * tiles + t) * cout + co);
                const __m512 m3 = _mm512_loadu_ps(m + ((ptrdiff_t)(12 + j) * tiles + t) * cout + co);
                a[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
                b[j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
            }
            float *top = rows_out + (ptrdiff_t)ox * cout + co, *bottom = top + (ptrdiff_t)g->wo * cout;
            _mm512_storeu_ps(top, _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]));
            _mm512_storeu_ps(bottom, _mm512_add_ps(_mm512_add_ps(b[0], b[1]), b[2]));
            if (ox + 1 < g->wo) {
                _mm512_storeu_ps(top + cout, _mm512_sub_ps(_mm512_sub_ps(a[1], a[2]), a[3]));
                _mm512_storeu_ps(bottom + cout, _mm512_sub_ps(_mm512_sub_ps(b[1], b[2]), b[3]));
            }
        }
    }
}

// MARK: weight gradient

// The weight gradient of y = Aᵀ [U ⊙ V] A per tile, U = G g Gᵀ: with dM = A dy Aᵀ per 2×2 block of
// dy, dU[e][cin][cout] = Σ_tiles V[e][t][cin] · dM[e][t][cout], and dg = Gᵀ dU G once at the end.
// dU is accumulated in the transformed domain over every image (16 rank updates of K = tiles,
// emo_rank_update_avx512, in WinogradDriver.c): 16 products per tile and channel pair instead of the direct weight
// gradient's 9 taps × 4 pixels = 36. Both transforms run channels last, 16 channels per vector (x
// and dy are transposed once per image), and tiles of several images go into one chunk, so that
// small images (4×10: 10 tiles) still give long sums between the accumulator's loads and stores.

/// V[e][t][cinp] = (Bᵀ d B)[e] for the tiles of tile row ty (t from `first`, `chunk` tiles per e),
/// 16 channels at a time from the channels-last input.
static void transform_input_row(const emo_winograd_grid *g, int cinp, const float *xt, int ty, float *v, ptrdiff_t first,
                                ptrdiff_t chunk) {
    const ptrdiff_t row = (ptrdiff_t)g->wp * cinp, e_stride = chunk * cinp;
    for (int tx = 0; tx < g->tw; tx++) {
        const float *patch = xt + (ptrdiff_t)(2 * ty) * row + (ptrdiff_t)(2 * tx) * cinp;
        float *out = v + (first + tx) * cinp;
        for (int c = 0; c < cinp; c += 16) {
            __m512 d[4][4], t[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) d[i][j] = _mm512_loadu_ps(patch + i * row + (ptrdiff_t)j * cinp + c);
            // Bᵀ d: rows d₀ − d₂, d₁ + d₂, d₂ − d₁, d₁ − d₃; then the same on each row's columns.
            for (int j = 0; j < 4; j++) {
                t[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
                t[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
                t[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
                t[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
            }
            for (int i = 0; i < 4; i++) {
                float *o = out + (ptrdiff_t)(4 * i) * e_stride + c;
                _mm512_storeu_ps(o, _mm512_sub_ps(t[i][0], t[i][2]));
                _mm512_storeu_ps(o + e_stride, _mm512_add_ps(t[i][1], t[i][2]));
                _mm512_storeu_ps(o + 2 * e_stride, _mm512_sub_ps(t[i][2], t[i][1]));
                _mm512_storeu_ps(o + 3 * e_stride, _mm512_sub_ps(t[i][1], t[i][3]));
            }
        }
    }
}

/// dM[e][t][cout] = (A dy Aᵀ)[e] for the tiles of tile row ty (t from `first`, `chunk` tiles per
/// e), from dyᵀ [Ho·Wo][cout]; blocks past the image's last row or column are zero there.
static void transform_gradient_row(const emo_winograd_grid *g, int cout, const float *dyt, int ty, float *dm,
                                   ptrdiff_t first, ptrdiff_t chunk) {
    const __m512 zero = _mm512_setzero_ps();
    const float *top = dyt + (ptrdiff_t)(2 * ty) * g->wo * cout;
    const float *bottom = 2 * ty + 1 < g->ho ? top + (ptrdiff_t)g->wo * cout : NULL;
    const ptrdiff_t e_stride = chunk * cout;
    for (int tx = 0; tx < g->tw; tx++) {
        const ptrdiff_t at = (ptrdiff_t)(2 * tx) * cout;
        const int second = 2 * tx + 1 < g->wo;
        float *out = dm + (first + tx) * cout;
        for (int co = 0; co < cout; co += 16) {
            const __m512 a0 = _mm512_loadu_ps(top + at + co);
            const __m512 a1 = second ? _mm512_loadu_ps(top + at + cout + co) : zero;
            const __m512 b0 = bottom ? _mm512_loadu_ps(bottom + at + co) : zero;
            const __m512 b1 = bottom && second ? _mm512_loadu_ps(bottom + at + cout + co) : zero;
            // A dy: rows dy₀, dy₀ + dy₁, dy₀ − dy₁, −dy₁; then the same on each row's two columns.
            const __m512 q[4][2] = {{a0, a1},
                                    {_mm512_add_ps(a0, b0), _mm512_add_ps(a1, b1)},
                                    {_mm512_sub_ps(a0, b0), _mm512_sub_ps(a1, b1)},
                                    {_mm512_sub_ps(zero, b0), _mm512_sub_ps(zero, b1)}};
            for (int i = 0; i < 4; i++) {
                float *o = out + (ptrdiff_t)(4 * i) * e_stride + co;
                _mm512_storeu_ps(o, q[i][0]);
                _mm512_storeu_ps(o + e_stride, _mm512_add_ps(q[i][0], q[i][1]));
                _mm512_storeu_ps(o + 2 * e_stride, _mm512_sub_ps(q[i][0], q[i][1]));
                _mm512_storeu_ps(o + 3 * e_stride, _mm512_sub_ps(zero, q[i][1]));
            }
        }
    }
}

/// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
static const float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};

const emo_winograd_algorithm emo_winograd_f2x2 = {2, G, transform_input, transform_output, transform_input_row,
                                                  transform_gradient_row};

#pragma clang attribute pop
#endif
