// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions, channels in the vectors (AVX-512 only).
//
// Each 4×4 input tile d (stride 2) becomes V = Bᵀ d B and each 3×3 kernel g becomes U = G g Gᵀ;
// the 16 elements e of the transformed tiles are then 16 independent products
// M[e][tile][cout] = Σ_cin V[e][cin][tile] · U[e][cin][cout], run on the channel-vectorised
// micro-kernel (emo_cgemm_row), and each output 2×2 block is Aᵀ M A. That is 16 products per 4
// outputs instead of 36: 2.25× fewer multiplications, for the price of the transforms (adds, and
// the even/odd split of input columns). Tiles are processed in bands of tile rows so that V and M
// stay in L2. The input gradient of a 3×3 stride-1 convolution is the same computation on dy with
// the kernels rotated by 180° and input and output channels swapped.
#include "CEmoKernels.h"
#include "ConvolutionLayout.h"
#include "MicroKernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

/// The tile grid of one image: Ho × Wo outputs in th × tw tiles of 2×2, read from a zero-padded
/// input of hp × wp = (2·th + 2) × (2·tw + 2).
typedef struct {
    int ho, wo, th, tw, hp, wp;
    int band;  // tile rows per band
} winograd_grid;

static winograd_grid make_grid(int cin, int cout, int h, int w, int ph, int pw) {
    winograd_grid g;
    g.ho = h + 2 * ph - 2;
    g.wo = w + 2 * pw - 2;
    g.th = (g.ho + 1) / 2;
    g.tw = (g.wo + 1) / 2;
    g.hp = 2 * g.th + 2;
    g.wp = 2 * g.tw + 2;
    // V and M of a band (16 · tiles · (cin + cout) floats) within about 256 KiB of L2.
    const long per_row = 16L * g.tw * (cin + cout) * (long)sizeof(float);
    g.band = (int)(262144 / per_row);
    if (g.band < 1) g.band = 1;
    if (g.band > g.th) g.band = g.th;
    return g;
}

enum { ROW_MARGIN = 48 };  // floats after each transformed input row (vector reads past the end)

size_t emo_winograd_scratch_bytes(int cin, int cout, int h, int w, int ph, int pw) {
    const winograd_grid g = make_grid(cin, cout, h, w, ph, pw);
    const ptrdiff_t tiles = (ptrdiff_t)g.band * g.tw;
    return emo_aligned_floats((ptrdiff_t)cin * g.hp * g.wp) + emo_aligned_floats(16 * cin * tiles) +
           emo_aligned_floats(16 * tiles * cout) + emo_aligned_floats(2 * (ptrdiff_t)g.wo * cout) +
           emo_aligned_floats(4 * (ptrdiff_t)(g.wp + ROW_MARGIN)) + emo_aligned_pointers(cin) + 64;
}

void emo_winograd_prepare(int cin, int cout, const float *weight, int rotate, float *u) {
    // weight [cout][cin][3][3]; U[e][cin][cout]. rotate: the kernel of the input gradient, whose
    // input channels are `cout` and output channels `cin`: U[e][co][ci] from g rotated by 180°.
    const int rows = rotate ? cout : cin, columns = rotate ? cin : cout;
    for (int co = 0; co < cout; co++) {
        for (int ci = 0; ci < cin; ci++) {
            const float *k = weight + ((ptrdiff_t)co * cin + ci) * 9;
            float g[9];
            for (int i = 0; i < 9; i++) g[i] = rotate ? k[8 - i] : k[i];
            float t[4][3];
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
                t[3][j] = g[6 + j];
            }
            const int row = rotate ? co : ci, column = rotate ? ci : co;
            for (int i = 0; i < 4; i++) {
                const float v[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]),
                                    t[i][2]};
                for (int j = 0; j < 4; j++) u[((ptrdiff_t)(4 * i + j) * rows + row) * columns + column] = v[j];
            }
        }
    }
}

/// V[e][c][t − first tile] for the tile rows [ty0, ty1) of channel c's padded plane.
static void transform_input(const winograd_grid *g, int cin, const float *plane, int ty0, int ty1, float *v,
                            ptrdiff_t tiles, float *s) {
    const int stride = g->wp + ROW_MARGIN;
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
                const int n = g->tw - t < 16 ? g->tw - t : 16;
                const __mmask16 mask = n == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
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

void emo_winograd_image(int cin, int cout, int h, int w, int ph, int pw, const float *x, const float *u,
                        const float *bias, const float *residual, int relu, float *y, void *scratch) {
    const winograd_grid g = make_grid(cin, cout, h, w, ph, pw);
    const ptrdiff_t band_tiles = (ptrdiff_t)g.band * g.tw, plane_in = (ptrdiff_t)g.hp * g.wp;
    char *cursor = scratch;
    float *padded = emo_take(&cursor, emo_aligned_floats(cin * plane_in));
    float *v = emo_take(&cursor, emo_aligned_floats(16 * cin * band_tiles));
    float *m = emo_take(&cursor, emo_aligned_floats(16 * band_tiles * cout));
    float *rows_out = emo_take(&cursor, emo_aligned_floats(2 * (ptrdiff_t)g.wo * cout));
    float *s = emo_take(&cursor, emo_aligned_floats(4 * (ptrdiff_t)(g.wp + ROW_MARGIN)));
    const float **rows = emo_take(&cursor, emo_aligned_pointers(cin));
    memset(s, 0, sizeof(float) * 4 * (size_t)(g.wp + ROW_MARGIN));
    emo_copy_padded(x, cin, h, w, ph, pw, g.hp, g.wp, padded);
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    for (int ty0 = 0; ty0 < g.th; ty0 += g.band) {
        const int ty1 = g.th - ty0 < g.band ? g.th : ty0 + g.band;
        const ptrdiff_t tiles = (ptrdiff_t)(ty1 - ty0) * g.tw;
        for (int c = 0; c < cin; c++) transform_input(&g, cin, padded + c * plane_in, ty0, ty1, v + c * tiles, tiles, s);
        for (int e = 0; e < 16; e++) {
            for (int c = 0; c < cin; c++) rows[c] = v + ((ptrdiff_t)e * cin + c) * tiles;
            emo_cgemm_row_avx512(cout, (int)tiles, 1, 0, cin, rows, u + (ptrdiff_t)e * cin * cout, cout,
                                 m + (ptrdiff_t)e * tiles * cout, cout);
        }
        // Aᵀ M A per tile, two output rows per tile row, then the channel-major store.
        for (int ty = ty0; ty < ty1; ty++) {
            for (int tx = 0; tx < g.tw; tx++) {
                const ptrdiff_t t = (ptrdiff_t)(ty - ty0) * g.tw + tx;
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
                    float *top = rows_out + (ptrdiff_t)ox * cout + co, *bottom = top + (ptrdiff_t)g.wo * cout;
                    _mm512_storeu_ps(top, _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]));
                    _mm512_storeu_ps(bottom, _mm512_add_ps(_mm512_add_ps(b[0], b[1]), b[2]));
                    if (ox + 1 < g.wo) {
                        _mm512_storeu_ps(top + cout, _mm512_sub_ps(_mm512_sub_ps(a[1], a[2]), a[3]));
                        _mm512_storeu_ps(bottom + cout, _mm512_sub_ps(_mm512_sub_ps(b[1], b[2]), b[3]));
                    }
                }
            }
            for (int i = 0; i < 2 && 2 * ty + i < g.ho; i++) {
                const ptrdiff_t at = (ptrdiff_t)(2 * ty + i) * g.wo;
                const emo_epilogue epilogue = {bias, residual ? residual + at : NULL, relu};
                emo_store_channels_avx512(cout, g.wo, 1, rows_out + (ptrdiff_t)i * g.wo * cout, y + at, plane_out,
                                          &epilogue);
            }
        }
    }
}

#pragma clang attribute pop
#endif
