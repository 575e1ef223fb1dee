// The parts of Winograd F(m×m, 3×3) that do not depend on m (see WinogradDriver.h): the tile grid
// and scratch, the forward pass by bands of tile rows (input transform per channel, the (m + 2)²
// products on the channel-vectorised micro-kernel, output transform and channel-major store), the
// weight gradient's chunks of tiles over several images, and the kernel transforms in both
// directions, G g Gᵀ and Gᵀ dU G, 16 kernels per vector.
#include "WinogradDriver.h"

#include "CEmoKernels.h"
#include "ConvolutionLayout.h"
#include "MicroKernels.h"

#include <string.h>

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)

/// Input channels rounded up to whole vectors: the row length of V and of the channels-last input.
static int padded_channels(int cin) { return (cin + 15) / 16 * 16; }

/// Whether the weight gradient's accumulator holds dUᵀ, [e][cout][cinp] with the input channels
/// in the vectors, or dU, [e][cinp][cout]: the wider side goes in the vectors (fewer broadcasts
/// per product).
static int input_channels_in_vectors(int cin, int cout) { return padded_channels(cin) > cout; }

static emo_winograd_grid make_grid(int m, int cin, int cout, int h, int w, int ph, int pw) {
    emo_winograd_grid g;
    g.elements = (m + 2) * (m + 2);
    g.ho = h + 2 * ph - 2;
    g.wo = w + 2 * pw - 2;
    g.th = (g.ho + m - 1) / m;
    g.tw = (g.wo + m - 1) / m;
    g.hp = m * g.th + 2;
    g.wp = m * g.tw + 2;
    // V and M of a band (elements · tiles · (cin + cout) floats) within about 256 KiB of L2.
    const long per_row = (long)g.elements * g.tw * (cin + cout) * (long)sizeof(float);
    g.band = (int)(262144 / per_row);
    if (g.band < 1) g.band = 1;
    if (g.band > g.th) g.band = g.th;
    return g;
}

size_t emo_winograd_scratch_bytes(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph, int pw) {
    const int m = a->m;
    const emo_winograd_grid g = make_grid(m, cin, cout, h, w, ph, pw);
    const ptrdiff_t tiles = (ptrdiff_t)g.band * g.tw;
    return emo_aligned_floats((ptrdiff_t)cin * g.hp * g.wp) + emo_aligned_floats(g.elements * cin * tiles) +
           emo_aligned_floats(g.elements * tiles * cout) + emo_aligned_floats((ptrdiff_t)m * g.wo * cout) +
           emo_aligned_floats((ptrdiff_t)(m + 2) * (g.wp + EMO_WINOGRAD_ROW_MARGIN)) + emo_aligned_pointers(cin) + 64;
}

void emo_winograd_image(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph, int pw,
                        const float *x, const float *u, const float *bias, const float *residual, int relu, float *y,
                        void *scratch) {
    const emo_winograd_grid g = make_grid(a->m, cin, cout, h, w, ph, pw);
    const int elements = g.elements;
    const ptrdiff_t band_tiles = (ptrdiff_t)g.band * g.tw, plane_in = (ptrdiff_t)g.hp * g.wp;
    const size_t s_floats = (size_t)(a->m + 2) * (size_t)(g.wp + EMO_WINOGRAD_ROW_MARGIN);
    char *cursor = scratch;
    float *padded = emo_take(&cursor, emo_aligned_floats(cin * plane_in));
    float *v = emo_take(&cursor, emo_aligned_floats(elements * cin * band_tiles));
    float *m = emo_take(&cursor, emo_aligned_floats(elements * band_tiles * cout));
    float *rows_out = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)a->m * g.wo * cout));
    float *s = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)s_floats));
    const float **rows = emo_take(&cursor, emo_aligned_pointers(cin));
    memset(s, 0, sizeof(float) * s_floats);
    emo_copy_padded_avx512(x, cin, h, w, ph, pw, g.hp, g.wp, padded);
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    for (int ty0 = 0; ty0 < g.th; ty0 += g.band) {
        const int ty1 = g.th - ty0 < g.band ? g.th : ty0 + g.band;
        const ptrdiff_t tiles = (ptrdiff_t)(ty1 - ty0) * g.tw;
        for (int c = 0; c < cin; c++) a->input(&g, cin, padded + c * plane_in, ty0, ty1, v + c * tiles, tiles, s);
        for (int e = 0; e < elements; e++) {
            for (int c = 0; c < cin; c++) rows[c] = v + ((ptrdiff_t)e * cin + c) * tiles;
            emo_cgemm_row_avx512(cout, (int)tiles, 1, 0, cin, rows, u + (ptrdiff_t)e * cin * cout, cout,
                                 m + (ptrdiff_t)e * tiles * cout, cout);
        }
        for (int ty = ty0; ty < ty1; ty++) {
            a->output(&g, cout, m, tiles, (ptrdiff_t)(ty - ty0) * g.tw, rows_out);
            for (int r = 0; r < a->m && a->m * ty + r < g.ho; r++) {
                const ptrdiff_t at = (ptrdiff_t)(a->m * ty + r) * g.wo;
                const emo_epilogue epilogue = {bias, residual ? residual + at : NULL, relu};
                emo_store_channels_avx512(cout, g.wo, 1, rows_out + (ptrdiff_t)r * g.wo * cout, y + at, plane_out,
                                          &epilogue);
            }
        }
    }
}

// MARK: weight gradient

/// Tiles per chunk: V and dM of a chunk (elements · tiles · (cinp + cout) floats) within about
/// 1 MiB, and at least one tile row.
static int chunk_tiles(const emo_winograd_grid *g, int cinp, int cout) {
    const long per_tile = (long)g->elements * (cinp + cout) * (long)sizeof(float);
    const int tiles = (int)((1L << 20) / per_tile);
    return tiles < g->tw ? g->tw : tiles;
}

size_t emo_winograd_weight_accumulator_count(const emo_winograd_algorithm *a, int cin, int cout) {
    return (size_t)(a->m + 2) * (a->m + 2) * (size_t)padded_channels(cin) * cout;
}

size_t emo_winograd_weight_scratch_bytes(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph,
                                         int pw) {
    const emo_winograd_grid g = make_grid(a->m, cin, cout, h, w, ph, pw);
    const int cinp = padded_channels(cin), chunk = chunk_tiles(&g, cinp, cout);
    return emo_aligned_floats((ptrdiff_t)g.hp * g.wp * cinp) + emo_aligned_floats((ptrdiff_t)h * w * cinp) +
           emo_aligned_floats((ptrdiff_t)g.ho * g.wo * cout) + emo_aligned_floats(g.elements * (ptrdiff_t)chunk * cinp) +
           emo_aligned_floats(g.elements * (ptrdiff_t)chunk * cout) + 64;
}

/// dU[e] += Σ_t V[e][t]ᵀ dM[e][t] over the `tiles` tiles of a chunk (or dUᵀ: see
/// input_channels_in_vectors).
static void accumulate(int elements, int cin, int cout, ptrdiff_t tiles, ptrdiff_t chunk, const float *v,
                       const float *dm, float *acc) {
    const int cinp = padded_channels(cin), by_input = input_channels_in_vectors(cin, cout);
    for (int e = 0; e < elements; e++) {
        const float *ve = v + (ptrdiff_t)e * chunk * cinp, *dme = dm + (ptrdiff_t)e * chunk * cout;
        float *acce = acc + (ptrdiff_t)e * cinp * cout;
        if (by_input) emo_rank_update_avx512(cout, cinp, (int)tiles, dme, cout, ve, cinp, acce, cinp);
        else emo_rank_update_avx512(cin, cout, (int)tiles, ve, cinp, dme, cout, acce, cout);
    }
}

void emo_winograd_weight_images(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph, int pw,
                                int count, const float *x, const float *dy, float *acc, void *scratch) {
    const emo_winograd_grid g = make_grid(a->m, cin, cout, h, w, ph, pw);
    const int cinp = padded_channels(cin);
    const ptrdiff_t chunk = chunk_tiles(&g, cinp, cout);
    char *cursor = scratch;
    float *xt = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)g.hp * g.wp * cinp));
    float *pixels = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)h * w * cinp));
    float *dyt = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)g.ho * g.wo * cout));
    float *v = emo_take(&cursor, emo_aligned_floats(g.elements * chunk * cinp));
    float *dm = emo_take(&cursor, emo_aligned_floats(g.elements * chunk * cout));
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    const ptrdiff_t image_in = (ptrdiff_t)cin * h * w, image_out = cout * plane_out;
    ptrdiff_t filled = 0;
    for (int image = 0; image < count; image++) {
        emo_channels_last_padded_avx512(cin, h, w, ph, pw, g.hp, g.wp, x + image * image_in, pixels, xt);
        emo_pixel_major_avx512(cout, plane_out, dy + image * image_out, plane_out, cout, dyt);
        for (int ty = 0; ty < g.th; ty++) {
            if (filled + g.tw > chunk) {
                accumulate(g.elements, cin, cout, filled, chunk, v, dm, acc);
                filled = 0;
            }
            a->input_row(&g, cinp, xt, ty, v, filled, chunk);
            a->gradient_row(&g, cout, dyt, ty, dm, filled, chunk);
            filled += g.tw;
        }
    }
    if (filled > 0) accumulate(g.elements, cin, cout, filled, chunk, v, dm, acc);
}

// MARK: kernel transforms

/// Lane c's kernel in weight [cout][cin][3][3] is 9·c·apart floats on from lane 0's.
static __m512i kernel_lanes(int apart) {
    return _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                              _mm512_set1_epi32(9 * apart));
}

size_t emo_winograd_kernels_count(const emo_winograd_algorithm *a, int cin, int cout) {
    return (size_t)(a->m + 2) * (a->m + 2) * (size_t)cin * cout;
}

void emo_winograd_prepare(const emo_winograd_algorithm *a, int cin, int cout, const float *weight, int rotate,
                          float *u) {
    const int n = a->m + 2;
    const float (*G)[3] = a->G;
    // 16 kernels at a time, one per lane: their 9 taps gathered, G g Gᵀ by vector FMAs, each
    // element stored as one vector of a row of its block. (Scalar, in double, F(4×4, 3×3)'s took
    // 1.2 ms for 128 → 128 channels.) Rows are the input channels (rotated: the output channels).
    const int rows = rotate ? cout : cin, columns = rotate ? cin : cout;
    const ptrdiff_t block = (ptrdiff_t)rows * columns;
    const __m512i lanes = kernel_lanes(rotate ? 1 : cin);
    for (int row = 0; row < rows; row++) {
        for (int c0 = 0; c0 < columns; c0 += 16) {
            const __mmask16 mask = emo_first_lanes(columns - c0);
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

void emo_winograd_finish_weight(const emo_winograd_algorithm *a, int cin, int cout, const float *acc, float *dw) {
    const int n = a->m + 2;
    const float (*G)[3] = a->G;
    // dg = Gᵀ dU G, 16 kernels at a time, one per lane: a row of 16 accumulator columns per
    // element, the 9 taps scattered into dw.
    const int cinp = padded_channels(cin), by_input = input_channels_in_vectors(cin, cout);
    const int rows = by_input ? cout : cin, columns = by_input ? cin : cout, pitch = by_input ? cinp : cout;
    const ptrdiff_t block = (ptrdiff_t)cinp * cout;
    const __m512i lanes = kernel_lanes(by_input ? 1 : cin);
    for (int row = 0; row < rows; row++) {
        for (int c0 = 0; c0 < columns; c0 += 16) {
            const __mmask16 mask = emo_first_lanes(columns - c0);
            __m512 t[3][6];  // Gᵀ dU
            for (int r = 0; r < 3; r++)
                for (int j = 0; j < n; j++) t[r][j] = _mm512_setzero_ps();
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const __m512 du = _mm512_maskz_loadu_ps(mask, acc + (n * i + j) * block + (ptrdiff_t)row * pitch + c0);
                    for (int r = 0; r < 3; r++)
                        if (G[i][r] != 0) t[r][j] = _mm512_fmadd_ps(_mm512_set1_ps(G[i][r]), du, t[r][j]);
                }
            float *first = by_input ? dw + ((ptrdiff_t)row * cin + c0) * 9 : dw + ((ptrdiff_t)c0 * cin + row) * 9;
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++) {
                    __m512 sum = _mm512_setzero_ps();
                    for (int j = 0; j < n; j++)
                        if (G[j][c] != 0) sum = _mm512_fmadd_ps(t[r][j], _mm512_set1_ps(G[j][c]), sum);
                    _mm512_mask_i32scatter_ps(first + 3 * r + c, mask, lanes, sum, 4);
                }
        }
    }
}

#pragma clang attribute pop
#endif
