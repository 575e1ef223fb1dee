// Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions, channels in the vectors (AVX-512 only): the
// larger-tile sibling of Winograd.c's F(2×2, 3×3), for images big enough to fill its tiles.
//
// Each 6×6 input tile d (stride 4) becomes V = Bᵀ d B and each kernel g becomes U = G g Gᵀ; the 36
// elements e of the transformed tiles are 36 independent products M[e][tile][cout] =
// Σ_cin V[e][cin][tile] · U[e][cin][cout] on the channel-vectorised micro-kernel, and each output
// 4×4 block is Aᵀ M A. That is 36 products per 16 outputs instead of F(2×2, 3×3)'s 64 (and the
// direct 144), and the transformed tiles V and M are 1.8× smaller. The interpolation points are
// 0, ±1, ±2 (Lavin & Gray 2016): in float32 the outputs differ from the direct sums by a few units
// of 1e-6 relative, against about 1e-7 for F(2×2, 3×3). The weight gradient, at the end of this
// file, accumulates in the same transformed domain.
#include "CEmoKernels.h"
#include "ConvolutionLayout.h"
#include "MicroKernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

/// The tile grid of one image: Ho × Wo outputs in th × tw tiles of 4×4, read from a zero-padded
/// input of hp × wp = (4·th + 2) × (4·tw + 2).
typedef struct {
    int ho, wo, th, tw, hp, wp;
    int band;  // tile rows per band
} tile_grid;

enum {
    ELEMENTS = 36,   // transformed elements per tile
    ROW_MARGIN = 80  // floats after each row of the row-transformed buffer (vector reads past the end)
};

static tile_grid make_grid(int cin, int cout, int h, int w, int ph, int pw) {
    tile_grid g;
    g.ho = h + 2 * ph - 2;
    g.wo = w + 2 * pw - 2;
    g.th = (g.ho + 3) / 4;
    g.tw = (g.wo + 3) / 4;
    g.hp = 4 * g.th + 2;
    g.wp = 4 * g.tw + 2;
    // V and M of a band (36 · tiles · (cin + cout) floats) within about 256 KiB of L2.
    const long per_row = (long)ELEMENTS * g.tw * (cin + cout) * (long)sizeof(float);
    g.band = (int)(262144 / per_row);
    if (g.band < 1) g.band = 1;
    if (g.band > g.th) g.band = g.th;
    return g;
}

size_t emo_winograd4_scratch_bytes(int cin, int cout, int h, int w, int ph, int pw) {
    const tile_grid g = make_grid(cin, cout, h, w, ph, pw);
    const ptrdiff_t tiles = (ptrdiff_t)g.band * g.tw;
    return emo_aligned_floats((ptrdiff_t)cin * g.hp * g.wp) + emo_aligned_floats(ELEMENTS * cin * tiles) +
           emo_aligned_floats(ELEMENTS * tiles * cout) + emo_aligned_floats(4 * (ptrdiff_t)g.wo * cout) +
           emo_aligned_floats(6 * (ptrdiff_t)(g.wp + ROW_MARGIN)) + emo_aligned_pointers(cin) + 64;
}

void emo_winograd4_prepare(int cin, int cout, const float *weight, int rotate, float *u) {
    // G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1].
    static const float G[6][3] = {{0.25f, 0, 0},
                                  {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                  {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                  {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                  {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                  {0, 0, 1}};
    emo_winograd_transform_kernels(6, G, cin, cout, weight, rotate, u);
}

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
static void transform_input(const tile_grid *g, int cin, const float *plane, int ty0, int ty1, float *v,
                            ptrdiff_t tiles, float *s) {
    const int stride = g->wp + ROW_MARGIN;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const ptrdiff_t e_stride = (ptrdiff_t)cin * tiles;
    for (int ty = ty0; ty < ty1; ty++) {
        const float *r = plane + (ptrdiff_t)(4 * ty) * g->wp;
        for (int j = 0; j < g->wp; j += 16) {
            const __mmask16 mask = g->wp - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (g->wp - j)) - 1);
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
                const int n = g->tw - t < 16 ? g->tw - t : 16;
                const __mmask16 mask = n == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
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
static void transform_output(const tile_grid *g, int cout, const float *m, ptrdiff_t tiles, ptrdiff_t first,
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

void emo_winograd4_image(int cin, int cout, int h, int w, int ph, int pw, const float *x, const float *u,
                         const float *bias, const float *residual, int relu, float *y, void *scratch) {
    const tile_grid g = make_grid(cin, cout, h, w, ph, pw);
    const ptrdiff_t band_tiles = (ptrdiff_t)g.band * g.tw, plane_in = (ptrdiff_t)g.hp * g.wp;
    char *cursor = scratch;
    float *padded = emo_take(&cursor, emo_aligned_floats(cin * plane_in));
    float *v = emo_take(&cursor, emo_aligned_floats(ELEMENTS * cin * band_tiles));
    float *m = emo_take(&cursor, emo_aligned_floats(ELEMENTS * band_tiles * cout));
    float *rows_out = emo_take(&cursor, emo_aligned_floats(4 * (ptrdiff_t)g.wo * cout));
    float *s = emo_take(&cursor, emo_aligned_floats(6 * (ptrdiff_t)(g.wp + ROW_MARGIN)));
    const float **rows = emo_take(&cursor, emo_aligned_pointers(cin));
    memset(s, 0, sizeof(float) * 6 * (size_t)(g.wp + ROW_MARGIN));
    emo_copy_padded_avx512(x, cin, h, w, ph, pw, g.hp, g.wp, padded);
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    for (int ty0 = 0; ty0 < g.th; ty0 += g.band) {
        const int ty1 = g.th - ty0 < g.band ? g.th : ty0 + g.band;
        const ptrdiff_t tiles = (ptrdiff_t)(ty1 - ty0) * g.tw;
        for (int c = 0; c < cin; c++) transform_input(&g, cin, padded + c * plane_in, ty0, ty1, v + c * tiles, tiles, s);
        for (int e = 0; e < ELEMENTS; e++) {
            for (int c = 0; c < cin; c++) rows[c] = v + ((ptrdiff_t)e * cin + c) * tiles;
            emo_cgemm_row_avx512(cout, (int)tiles, 1, 0, cin, rows, u + (ptrdiff_t)e * cin * cout, cout,
                                 m + (ptrdiff_t)e * tiles * cout, cout);
        }
        for (int ty = ty0; ty < ty1; ty++) {
            transform_output(&g, cout, m, tiles, (ptrdiff_t)(ty - ty0) * g.tw, rows_out);
            for (int r = 0; r < 4 && 4 * ty + r < g.ho; r++) {
                const ptrdiff_t at = (ptrdiff_t)(4 * ty + r) * g.wo;
                const emo_epilogue epilogue = {bias, residual ? residual + at : NULL, relu};
                emo_store_channels_avx512(cout, g.wo, 1, rows_out + (ptrdiff_t)r * g.wo * cout, y + at, plane_out,
                                          &epilogue);
            }
        }
    }
}

// MARK: weight gradient

// As for F(2×2, 3×3) (Winograd.c): dU[e] = Σ over tiles of V[e]ᵀ dM[e] with dM = A dy Aᵀ per 4×4
// block of dy, accumulated over every image in the transformed domain, and dg = Gᵀ dU G at the
// end; 36 products per tile and channel pair, for 16 outputs, against F(2×2)'s 16 for 4.

static int padded_channels(int cin) { return (cin + 15) / 16 * 16; }

size_t emo_winograd4_weight_accumulator_count(int cin, int cout) {
    return ELEMENTS * (size_t)padded_channels(cin) * cout;
}

size_t emo_winograd4_weight_scratch_bytes(int cin, int cout, int h, int w, int ph, int pw) {
    const tile_grid g = make_grid(cin, cout, h, w, ph, pw);
    const int cinp = padded_channels(cin), chunk = emo_winograd_weight_chunk_tiles(ELEMENTS, cinp, cout, g.tw);
    return emo_aligned_floats((ptrdiff_t)g.hp * g.wp * cinp) + emo_aligned_floats((ptrdiff_t)h * w * cinp) +
           emo_aligned_floats((ptrdiff_t)g.ho * g.wo * cout) + emo_aligned_floats(ELEMENTS * (ptrdiff_t)chunk * cinp) +
           emo_aligned_floats(ELEMENTS * (ptrdiff_t)chunk * cout) + 64;
}

/// V[e][t][cinp] = (Bᵀ d B)[e] for the tiles of tile row ty (t from `first`, `chunk` tiles per e),
/// 16 channels at a time from the channels-last input xt [hp][wp][cinp].
static void transform_input_row(const tile_grid *g, int cinp, const float *xt, int ty, float *v, ptrdiff_t first,
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
static void transform_gradient_row(const tile_grid *g, int cout, const float *dyt, int ty, float *dm,
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

void emo_winograd4_weight_images(int cin, int cout, int h, int w, int ph, int pw, int count, const float *x,
                                 const float *dy, float *acc, void *scratch) {
    const tile_grid g = make_grid(cin, cout, h, w, ph, pw);
    const int cinp = padded_channels(cin);
    const ptrdiff_t chunk = emo_winograd_weight_chunk_tiles(ELEMENTS, cinp, cout, g.tw);
    char *cursor = scratch;
    float *xt = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)g.hp * g.wp * cinp));
    float *pixels = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)h * w * cinp));
    float *dyt = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)g.ho * g.wo * cout));
    float *v = emo_take(&cursor, emo_aligned_floats(ELEMENTS * chunk * cinp));
    float *dm = emo_take(&cursor, emo_aligned_floats(ELEMENTS * chunk * cout));
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    const ptrdiff_t image_in = (ptrdiff_t)cin * h * w, image_out = cout * plane_out;
    ptrdiff_t filled = 0;
    for (int image = 0; image < count; image++) {
        emo_channels_last_padded_avx512(cin, h, w, ph, pw, g.hp, g.wp, x + image * image_in, pixels, xt);
        emo_pixel_major_avx512(cout, plane_out, dy + image * image_out, plane_out, cout, dyt);
        for (int ty = 0; ty < g.th; ty++) {
            if (filled + g.tw > chunk) {
                emo_winograd_accumulate(ELEMENTS, cin, cout, filled, chunk, v, dm, acc);
                filled = 0;
            }
            transform_input_row(&g, cinp, xt, ty, v, filled, chunk);
            transform_gradient_row(&g, cout, dyt, ty, dm, filled, chunk);
            filled += g.tw;
        }
    }
    if (filled > 0) emo_winograd_accumulate(ELEMENTS, cin, cout, filled, chunk, v, dm, acc);
}

void emo_winograd4_finish_weight(int cin, int cout, const float *acc, float *dw) {
    // dg = Gᵀ dU G (G as in emo_winograd4_prepare), 16 kernels at a time, one per lane: a row of
    // 16 accumulator columns per element, the 9 taps scattered into dw [cout][cin][3][3].
    static const float G[6][3] = {{0.25f, 0, 0},
                                  {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                  {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                  {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                  {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                  {0, 0, 1}};
    const int cinp = padded_channels(cin), by_input = cinp > cout;
    const int rows = by_input ? cout : cin, columns = by_input ? cin : cout, pitch = by_input ? cinp : cout;
    const ptrdiff_t block = (ptrdiff_t)cinp * cout;
    // Lane c's kernel is 9·(c·apart) floats on: the next input channel, or the next output channel.
    const int apart = by_input ? 1 : cin;
    const __m512i lanes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32(9 * apart));
    for (int row = 0; row < rows; row++) {
        for (int c0 = 0; c0 < columns; c0 += 16) {
            const int n = columns - c0 < 16 ? columns - c0 : 16;
            const __mmask16 mask = n == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
            __m512 t[3][6];  // Gᵀ dU
            for (int a = 0; a < 3; a++)
                for (int j = 0; j < 6; j++) t[a][j] = _mm512_setzero_ps();
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++) {
                    const __m512 u = _mm512_maskz_loadu_ps(mask, acc + (6 * i + j) * block + (ptrdiff_t)row * pitch + c0);
                    for (int a = 0; a < 3; a++)
                        if (G[i][a] != 0) t[a][j] = _mm512_fmadd_ps(_mm512_set1_ps(G[i][a]), u, t[a][j]);
                }
            float *first = by_input ? dw + ((ptrdiff_t)row * cin + c0) * 9 : dw + ((ptrdiff_t)c0 * cin + row) * 9;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    __m512 sum = _mm512_setzero_ps();
                    for (int j = 0; j < 6; j++)
                        if (G[j][b] != 0) sum = _mm512_fmadd_ps(t[a][j], _mm512_set1_ps(G[j][b]), sum);
                    _mm512_mask_i32scatter_ps(first + 3 * a + b, mask, lanes, sum, 4);
                }
        }
    }
}

#pragma clang attribute pop
#endif
