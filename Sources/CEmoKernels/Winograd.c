// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions, channels in the vectors (AVX-512 only).
//
// Each 4×4 input tile d (stride 2) becomes V = Bᵀ d B and each 3×3 kernel g becomes U = G g Gᵀ;
// the 16 elements e of the transformed tiles are then 16 independent products
// M[e][tile][cout] = Σ_cin V[e][cin][tile] · U[e][cin][cout], run on the channel-vectorised
// micro-kernel (emo_cgemm_row), and each output 2×2 block is Aᵀ M A. That is 16 products per 4
// outputs instead of 36: 2.25× fewer multiplications, for the price of the transforms (adds, and
// the even/odd split of input columns). Tiles are processed in bands of tile rows so that V and M
// stay in L2. The input gradient of a 3×3 stride-1 convolution is the same computation on dy with
// the kernels rotated by 180° and input and output channels swapped. The weight gradient is at the
// end of this file.
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

void emo_winograd_transform_kernels(int n, const float (*G)[3], int cin, int cout, const float *weight, int rotate,
                                    float *u) {
    // weight [cout][cin][3][3]; U[e][cin][cout] = (G g Gᵀ)[e], e = n·i + j, or with rotate the
    // input gradient's kernel, whose input channels are `cout` and output channels `cin`:
    // U[e][co][ci] from g rotated by 180°. 16 kernels at a time, one per lane: their 9 taps
    // gathered, G g Gᵀ by vector FMAs, each element stored as one vector of a row of its block.
    // (Scalar, in double, F(4×4, 3×3)'s took 1.2 ms for 128 → 128 channels.)
    const int rows = rotate ? cout : cin, columns = rotate ? cin : cout;
    const ptrdiff_t block = (ptrdiff_t)rows * columns;
    // Lane c's kernel is 9·(c·apart) floats on from the first: the next output channel (cin
    // kernels on) or, rotated, the next input channel.
    const int apart = rotate ? 1 : cin;
    const __m512i lanes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32(9 * apart));
    for (int row = 0; row < rows; row++) {
        for (int c0 = 0; c0 < columns; c0 += 16) {
            const int count = columns - c0 < 16 ? columns - c0 : 16;
            const __mmask16 mask = count == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
            const float *first = rotate ? weight + ((ptrdiff_t)row * cin + c0) * 9 : weight + ((ptrdiff_t)c0 * cin + row) * 9;
            __m512 g[9];
            for (int t = 0; t < 9; t++)
                g[rotate ? 8 - t : t] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, lanes, first + t, 4);
            __m512 gg[6][3];  // G g
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 3; j++)
                    gg[i][j] = _mm512_fmadd_ps(
                        _mm512_set1_ps(G[i][0]), g[j],
                        _mm512_fmadd_ps(_mm512_set1_ps(G[i][1]), g[3 + j], _mm512_mul_ps(_mm512_set1_ps(G[i][2]), g[6 + j])));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const __m512 value = _mm512_fmadd_ps(
                        gg[i][0], _mm512_set1_ps(G[j][0]),
                        _mm512_fmadd_ps(gg[i][1], _mm512_set1_ps(G[j][1]), _mm512_mul_ps(gg[i][2], _mm512_set1_ps(G[j][2]))));
                    _mm512_mask_storeu_ps(u + (n * i + j) * block + (ptrdiff_t)row * columns + c0, mask, value);
                }
        }
    }
}

void emo_winograd_prepare(int cin, int cout, const float *weight, int rotate, float *u) {
    // G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
    static const float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
    emo_winograd_transform_kernels(4, G, cin, cout, weight, rotate, u);
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
    emo_copy_padded_avx512(x, cin, h, w, ph, pw, g.hp, g.wp, padded);
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

// MARK: weight gradient

// The weight gradient of y = Aᵀ [U ⊙ V] A per tile, U = G g Gᵀ: with dM = A dy Aᵀ per 2×2 block of
// dy, dU[e][cin][cout] = Σ_tiles V[e][t][cin] · dM[e][t][cout], and dg = Gᵀ dU G once at the end.
// dU is accumulated in the transformed domain over every image (16 rank updates of K = tiles,
// emo_rank_update_avx512): 16 products per tile and channel pair instead of the direct weight
// gradient's 9 taps × 4 pixels = 36. Both transforms run channels last, 16 channels per vector (x
// and dy are transposed once per image), and tiles of several images go into one chunk, so that
// small images (4×10: 10 tiles) still give long sums between the accumulator's loads and stores.

/// Tiles per chunk: V and dM of a chunk (elements · tiles · (cinp + cout) floats) within about
/// 1 MiB, and at least one tile row of tw tiles.
int emo_winograd_weight_chunk_tiles(int elements, int cinp, int cout, int tw) {
    const long per_tile = (long)elements * (cinp + cout) * (long)sizeof(float);
    const int tiles = (int)((1L << 20) / per_tile);
    return tiles < tw ? tw : tiles;
}

/// Input channels rounded up to whole vectors: the row length of V and of the channels-last input.
static int padded_channels(int cin) { return (cin + 15) / 16 * 16; }

/// Whether the accumulator holds dUᵀ, [e][cout][cinp] with the input channels in the vectors, or
/// dU, [e][cinp][cout]: the wider side goes in the vectors (fewer broadcasts per product).
static int input_channels_in_vectors(int cin, int cout) { return padded_channels(cin) > cout; }

size_t emo_winograd_weight_accumulator_count(int cin, int cout) { return 16 * (size_t)padded_channels(cin) * cout; }

size_t emo_winograd_weight_scratch_bytes(int cin, int cout, int h, int w, int ph, int pw) {
    const winograd_grid g = make_grid(cin, cout, h, w, ph, pw);
    const int cinp = padded_channels(cin), chunk = emo_winograd_weight_chunk_tiles(16, cinp, cout, g.tw);
    return emo_aligned_floats((ptrdiff_t)g.hp * g.wp * cinp) + emo_aligned_floats((ptrdiff_t)h * w * cinp) +
           emo_aligned_floats((ptrdiff_t)g.ho * g.wo * cout) + emo_aligned_floats(16 * (ptrdiff_t)chunk * cinp) +
           emo_aligned_floats(16 * (ptrdiff_t)chunk * cout) + 64;
}

/// V[e][t][cinp] = (Bᵀ d B)[e] for the tiles of tile row ty (t from `first`, `chunk` tiles per e),
/// 16 channels at a time from the channels-last input.
static void transform_input_row(const winograd_grid *g, int cinp, const float *xt, int ty, float *v, ptrdiff_t first,
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
static void transform_gradient_row(const winograd_grid *g, int cout, const float *dyt, int ty, float *dm,
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

void emo_winograd_accumulate(int elements, int cin, int cout, ptrdiff_t tiles, ptrdiff_t chunk, const float *v,
                             const float *dm, float *acc) {
    const int cinp = padded_channels(cin), by_input = input_channels_in_vectors(cin, cout);
    for (int e = 0; e < elements; e++) {
        const float *ve = v + (ptrdiff_t)e * chunk * cinp, *dme = dm + (ptrdiff_t)e * chunk * cout;
        float *acce = acc + (ptrdiff_t)e * cinp * cout;
        if (by_input) emo_rank_update_avx512(cout, cinp, (int)tiles, dme, cout, ve, cinp, acce, cinp);
        else emo_rank_update_avx512(cin, cout, (int)tiles, ve, cinp, dme, cout, acce, cout);
    }
}

void emo_winograd_weight_images(int cin, int cout, int h, int w, int ph, int pw, int count, const float *x,
                                const float *dy, float *acc, void *scratch) {
    const winograd_grid g = make_grid(cin, cout, h, w, ph, pw);
    const int cinp = padded_channels(cin);
    const ptrdiff_t chunk = emo_winograd_weight_chunk_tiles(16, cinp, cout, g.tw);
    char *cursor = scratch;
    float *xt = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)g.hp * g.wp * cinp));
    float *pixels = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)h * w * cinp));
    float *dyt = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)g.ho * g.wo * cout));
    float *v = emo_take(&cursor, emo_aligned_floats(16 * chunk * cinp));
    float *dm = emo_take(&cursor, emo_aligned_floats(16 * chunk * cout));
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    const ptrdiff_t image_in = (ptrdiff_t)cin * h * w, image_out = cout * plane_out;
    ptrdiff_t filled = 0;
    for (int image = 0; image < count; image++) {
        emo_channels_last_padded_avx512(cin, h, w, ph, pw, g.hp, g.wp, x + image * image_in, pixels, xt);
        emo_pixel_major_avx512(cout, plane_out, dy + image * image_out, plane_out, cout, dyt);
        for (int ty = 0; ty < g.th; ty++) {
            if (filled + g.tw > chunk) {
                emo_winograd_accumulate(16, cin, cout, filled, chunk, v, dm, acc);
                filled = 0;
            }
            transform_input_row(&g, cinp, xt, ty, v, filled, chunk);
            transform_gradient_row(&g, cout, dyt, ty, dm, filled, chunk);
            filled += g.tw;
        }
    }
    if (filled > 0) emo_winograd_accumulate(16, cin, cout, filled, chunk, v, dm, acc);
}

void emo_winograd_finish_weight(int cin, int cout, const float *acc, float *dw) {
    // dg = Gᵀ dU G with Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1], on dU's rows, then on its columns.
    // The accumulator's 16 blocks are read 16 columns at a time into a small buffer (see
    // emo_winograd_prepare).
    const int cinp = padded_channels(cin), by_input = input_channels_in_vectors(cin, cout);
    const int rows = by_input ? cout : cin, columns = by_input ? cin : cout, pitch = by_input ? cinp : cout;
    const ptrdiff_t block = (ptrdiff_t)cinp * cout;
    float buffer[16][16];
    for (int row = 0; row < rows; row++) {
        for (int c0 = 0; c0 < columns; c0 += 16) {
            const int n = columns - c0 < 16 ? columns - c0 : 16;
            for (int e = 0; e < 16; e++)
                memcpy(buffer[e], acc + e * block + (ptrdiff_t)row * pitch + c0, sizeof(float) * (size_t)n);
            for (int c = 0; c < n; c++) {
                const int co = by_input ? row : c0 + c, ci = by_input ? c0 + c : row;
                float t[3][4];
                for (int j = 0; j < 4; j++) {
                    t[0][j] = buffer[j][c] + 0.5f * (buffer[4 + j][c] + buffer[8 + j][c]);
                    t[1][j] = 0.5f * (buffer[4 + j][c] - buffer[8 + j][c]);
                    t[2][j] = 0.5f * (buffer[4 + j][c] + buffer[8 + j][c]) + buffer[12 + j][c];
                }
                float *k = dw + ((ptrdiff_t)co * cin + ci) * 9;
                for (int r = 0; r < 3; r++) {
                    k[3 * r] = t[r][0] + 0.5f * (t[r][1] + t[r][2]);
                    k[3 * r + 1] = 0.5f * (t[r][1] - t[r][2]);
                    k[3 * r + 2] = 0.5f * (t[r][1] + t[r][2]) + t[r][3];
                }
            }
        }
    }
}

#pragma clang attribute pop
#endif
