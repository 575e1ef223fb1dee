// AVX-512 micro-kernels, compiled for that target per function and chosen at run time
// (see DirectConvolution.c), so the package builds without -march flags.
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "MicroKernels.h"

#define AVX512 __attribute__((target("avx512f")))
#define ALWAYS_INLINE static inline __attribute__((always_inline))
// SwiftPM builds C at -O2, which leaves loops over 24 accumulators rolled (and the accumulators in
// memory: 47 instead of 100 GFLOP/s); the tiles unroll their register loops explicitly.
#define UNROLL _Pragma("clang loop unroll(full)")

enum { CGEMM_MAX_PIXELS = 24, CGEMM_MAX_VECTORS = 4 };
enum { IGEMM_MR = 8, IGEMM_NV = 3, OUTER_NV = 3 };

/// One tile of the indirect product: mr output rows × nv vectors of 16 pixels, read at q0 of each
/// input row and written at o0 of each output row, through the epilogue (bias, residual, ReLU);
/// the last vector is loaded and stored under `last`. mr and nv are constants after inlining.
AVX512 ALWAYS_INLINE void igemm_tile(const int mr, const int nv, int K, const float *const *rows, ptrdiff_t q0,
                                     __mmask16 last, const float *wt, int ldw, float *out, ptrdiff_t o0, ptrdiff_t ldo,
                                     const float *bias, const float *residual, int relu) {
    __m512 acc[IGEMM_MR][IGEMM_NV];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *r = rows[k] + q0;
        __m512 x[IGEMM_NV];
        for (int v = 0; v < nv; v++)
            x[v] = v == nv - 1 ? _mm512_maskz_loadu_ps(last, r + 16 * v) : _mm512_loadu_ps(r + 16 * v);
        const float *w = wt + (ptrdiff_t)k * ldw;
        for (int i = 0; i < mr; i++) {
            const __m512 wi = _mm512_set1_ps(w[i]);
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(wi, x[v], acc[i][v]);
        }
    }
    if (bias) {
        for (int i = 0; i < mr; i++) {
            const __m512 b = _mm512_set1_ps(bias[i]);
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_add_ps(acc[i][v], b);
        }
    }
    if (residual) {
        for (int i = 0; i < mr; i++) {
            const float *r = residual + i * ldo + o0;
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_add_ps(acc[i][v], v == nv - 1 ? _mm512_maskz_loadu_ps(last, r + 16 * v)
                                                                 : _mm512_loadu_ps(r + 16 * v));
        }
    }
    if (relu) {
        const __m512 zero = _mm512_setzero_ps();
        for (int i = 0; i < mr; i++)
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_max_ps(acc[i][v], zero);
    }
    for (int i = 0; i < mr; i++) {
        float *o = out + i * ldo + o0;
        for (int v = 0; v < nv; v++) {
            if (v == nv - 1) _mm512_mask_storeu_ps(o + 16 * v, last, acc[i][v]);
            else _mm512_storeu_ps(o + 16 * v, acc[i][v]);
        }
    }
}

#define IGEMM_CASE(MR, NV)                                                                               \
    igemm_tile(MR, NV, K, rows, q0, last, wt + m0, ldw, out + m0 * ldo, o0, ldo, bias ? bias + m0 : NULL,   \
               residual ? residual + m0 * ldo : NULL, relu)
#define IGEMM_ROWS(NV)                                                                                   \
    switch (mr) {                                                                                        \
    case 8: IGEMM_CASE(8, NV); break;                                                                    \
    case 7: IGEMM_CASE(7, NV); break;                                                                    \
    case 6: IGEMM_CASE(6, NV); break;                                                                    \
    case 5: IGEMM_CASE(5, NV); break;                                                                    \
    case 4: IGEMM_CASE(4, NV); break;                                                                    \
    case 3: IGEMM_CASE(3, NV); break;                                                                    \
    case 2: IGEMM_CASE(2, NV); break;                                                                    \
    default: IGEMM_CASE(1, NV); break;                                                                   \
    }

/// The indirect product over `count` pixels read from `in0` of every input row and written from
/// `out0` of every output row, through the epilogue.
AVX512 static void igemm_span(int M, ptrdiff_t in0, ptrdiff_t out0, int count, int K, const float *const *rows,
                              const float *wt, int ldw, float *out, ptrdiff_t ldo, const float *bias,
                              const float *residual, int relu) {
    // Pixels outer, channels inner: one tile of every input row stays in L1 while all output
    // channels consume it.
    for (ptrdiff_t j = 0; j < count; j += 16 * IGEMM_NV) {
        const ptrdiff_t remaining = count - j;
        const int nv = remaining >= 16 * IGEMM_NV ? IGEMM_NV : (int)((remaining + 15) / 16);
        const int tail = (int)(remaining - 16 * (nv - 1));
        const __mmask16 last = tail >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << tail) - 1);
        const ptrdiff_t q0 = in0 + j, o0 = out0 + j;
        for (int m0 = 0; m0 < M; m0 += IGEMM_MR) {
            const int mr = M - m0 < IGEMM_MR ? M - m0 : IGEMM_MR;
            switch (nv) {
            case 3: IGEMM_ROWS(3); break;
            case 2: IGEMM_ROWS(2); break;
            default: IGEMM_ROWS(1); break;
            }
        }
    }
}

AVX512 void emo_igemm_avx512(int M, int Q, int K, const float *const *rows, const float *wt, int ldw, float *out,
                             ptrdiff_t ldo) {
    igemm_span(M, 0, 0, Q, K, rows, wt, ldw, out, ldo, NULL, NULL, 0);
}

AVX512 void emo_igemm_rows_avx512(int M, int nrows, int width, ptrdiff_t pitch, int K, const float *const *rows,
                                  const float *wt, int ldw, float *out, ptrdiff_t ldo, const emo_epilogue *epilogue) {
    for (int r = 0; r < nrows; r++)
        igemm_span(M, r * pitch, (ptrdiff_t)r * width, width, K, rows, wt, ldw, out, ldo, epilogue->bias,
                   epilogue->residual, epilogue->relu);
}

/// One tile of the outer-product accumulation: kb rows × nv vectors of 16 channels, over the
/// columns [j0, j1) of the output rows [r0, r1) of `images` images (the next image's rows
/// `rows_image` floats on, its dyᵀ `dyt_image`), loaded from and stored back to the accumulator
/// once. kb, nv and step are constants after inlining (step 0: the runtime `any_step`); the pixel
/// loop has one counter besides the dyᵀ pointer, so the 8 row pointers stay in registers.
AVX512 ALWAYS_INLINE void outer_tile(const int kb, const int nv, const int step, int any_step, int images,
                                     ptrdiff_t rows_image, ptrdiff_t dyt_image, const float *const *rows, int r0,
                                     int r1, int j0, int j1, int width, ptrdiff_t pitch, const float *dyt, int N,
                                     float *acc) {
    __m512 sum[EMO_OUTER_TILE_ROWS][OUTER_NV];
    UNROLL
    for (int i = 0; i < kb; i++) {
        UNROLL
        for (int v = 0; v < nv; v++) sum[i][v] = _mm512_loadu_ps(acc + (ptrdiff_t)i * N + 16 * v);
    }
    const int columns = step ? step : any_step;
    const int count = j1 - j0;
    for (int image = 0; image < images; image++) {
        for (int row = r0; row < r1; row++) {
            const ptrdiff_t at = image * rows_image + row * pitch + (ptrdiff_t)j0 * columns;
            const float *r[EMO_OUTER_TILE_ROWS];
            UNROLL
            for (int i = 0; i < kb; i++) r[i] = emo_offset(rows[i], at);
            const float *d = dyt + image * dyt_image + ((ptrdiff_t)row * width + j0) * N;
            for (int j = 0; j < count; j++, d += N) {
                __m512 dv[OUTER_NV];
                UNROLL
                for (int v = 0; v < nv; v++) dv[v] = _mm512_loadu_ps(d + 16 * v);
                UNROLL
                for (int i = 0; i < kb; i++) {
                    const __m512 xi = _mm512_set1_ps(r[i][(ptrdiff_t)j * columns]);
                    UNROLL
                    for (int v = 0; v < nv; v++) sum[i][v] = _mm512_fmadd_ps(xi, dv[v], sum[i][v]);
                }
            }
        }
    }
    UNROLL
    for (int i = 0; i < kb; i++) {
        UNROLL
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(acc + (ptrdiff_t)i * N + 16 * v, sum[i][v]);
    }
}

#define OUTER_TILE(NV, STEP)                                                                           \
    outer_tile(EMO_OUTER_TILE_ROWS, NV, STEP, step, images, rows_image, dyt_image, rows + k0, tr0, tr1, tj0, tj1, \
               width, pitch, dyt + n0, N, a)
#define OUTER_TILES(STEP)                                                                              \
    switch (nv) {                                                                                      \
    case 3: OUTER_TILE(3, STEP); break;                                                                \
    case 2: OUTER_TILE(2, STEP); break;                                                                \
    default: OUTER_TILE(1, STEP); break;                                                               \
    }

AVX512 void emo_outer_avx512(int K, int N, int images, ptrdiff_t rows_image, ptrdiff_t dyt_image, int nrows,
                             int width, ptrdiff_t pitch, int step, const float *const *rows, const float *dyt,
                             const int *bounds, float *acc) {
    // K is a whole number of tiles of EMO_OUTER_TILE_ROWS rows (emo_padded_k, ConvolutionLayout.h).
    const int vectors = N / 16;
    const int nv = vectors % 3 == 0 ? 3 : vectors % 2 == 0 ? 2 : 1;
    const int kb = EMO_OUTER_TILE_ROWS;
    // One image: pixels in chunks of about 256 (whole output rows, or pieces of one long row), so
    // that the chunk of dyᵀ and of the input rows stays in L1/L2 while every tile sweeps it.
    // Several (small) images: each tile sweeps them all, its accumulators in registers throughout.
    enum { CHUNK = 256 };
    const int rows_per_chunk = images > 1 || width >= CHUNK ? (images > 1 ? nrows : 1) : CHUNK / width;
    const int columns_per_chunk = images > 1 ? width : CHUNK;
    for (int r0 = 0; r0 < nrows; r0 += rows_per_chunk) {
        const int r1 = nrows - r0 < rows_per_chunk ? nrows : r0 + rows_per_chunk;
        for (int j0 = 0; j0 < width; j0 += columns_per_chunk) {
            const int j1 = width - j0 < columns_per_chunk ? width : j0 + columns_per_chunk;
            for (int n0 = 0; n0 < N; n0 += 16 * nv) {
                for (int k0 = 0; k0 < K; k0 += kb) {
                    // The chunk's pixels within the tile's bounds.
                    const int *b = bounds ? bounds + 4 * (k0 / kb) : NULL;
                    const int tr0 = b && b[0] > r0 ? b[0] : r0, tr1 = b && b[1] < r1 ? b[1] : r1;
                    const int tj0 = b && b[2] > j0 ? b[2] : j0, tj1 = b && b[3] < j1 ? b[3] : j1;
                    if (tr0 >= tr1 || tj0 >= tj1) continue;
                    float *a = acc + (ptrdiff_t)k0 * N + n0;
                    if (step == 1) {
                        OUTER_TILES(1)
                    } else if (step == 2) {
                        OUTER_TILES(2)
                    } else {
                        OUTER_TILES(0)
                    }
                }
            }
        }
    }
}

// MARK: channel-vectorised product (output channels in the vectors)

/// One tile of emo_cgemm: np output pixels × nb vectors of 16 output channels; acc[p][v] holds
/// channels 16v…16v+15 of pixel p, whose input is rows[k][q0 + p·step] for k in the segments
/// [bounds[2i], bounds[2i + 1]). Stored at out[p·ldo + 16v]. np, nb and step are constants after
/// inlining (step 0: the runtime `any_step`).
AVX512 ALWAYS_INLINE void cgemm_tile(const int np, const int nb, const int step, ptrdiff_t any_step, int segments,
                                     const int *bounds, const float *const *rows, ptrdiff_t q0, const float *wt,
                                     int ldw, float *out, ptrdiff_t ldo) {
    __m512 acc[CGEMM_MAX_PIXELS][CGEMM_MAX_VECTORS];
    UNROLL
    for (int p = 0; p < np; p++) {
        UNROLL
        for (int v = 0; v < nb; v++) acc[p][v] = _mm512_setzero_ps();
    }
    const ptrdiff_t columns = step ? step : any_step;
    for (int segment = 0; segment < segments; segment++) {
        const int end = bounds[2 * segment + 1];
        for (int k = bounds[2 * segment]; k < end; k++) {
            const float *r = emo_offset(rows[k], q0);
            const float *w = wt + (ptrdiff_t)k * ldw;
            __m512 wv[CGEMM_MAX_VECTORS];
            UNROLL
            for (int v = 0; v < nb; v++) wv[v] = _mm512_loadu_ps(w + 16 * v);
            UNROLL
            for (int p = 0; p < np; p++) {
                const __m512 xp = _mm512_set1_ps(r[p * columns]);
                UNROLL
                for (int v = 0; v < nb; v++) acc[p][v] = _mm512_fmadd_ps(xp, wv[v], acc[p][v]);
            }
        }
    }
    UNROLL
    for (int p = 0; p < np; p++) {
        UNROLL
        for (int v = 0; v < nb; v++) _mm512_storeu_ps(out + (ptrdiff_t)p * ldo + 16 * v, acc[p][v]);
    }
}

#define CGEMM_TILE(P) cgemm_tile(P, TILE_VECTORS, TILE_STEP, step, segments, bounds, rows, q0, w, ldw, o, ldo)
#define CGEMM_CASE(P) case P: CGEMM_TILE(P); break;

/// The pixels of one block of NB channel vectors, in tiles of at most PMAX pixels of near-equal
/// size (8 pixels as 4 + 4, not 6 + 2). The pixel counts of the switch cover 1…PMAX.
#define CGEMM_BLOCK(NB, STEP, PMAX, ...)                                                             \
    AVX512 static void cgemm_##NB##_##STEP(int width, ptrdiff_t step, ptrdiff_t in0, int segments,  \
                                           const int *bounds, const float *const *rows,             \
                                           const float *w, int ldw, float *out, ptrdiff_t ldo) {    \
        enum { TILE_VECTORS = NB, TILE_STEP = STEP };                                                \
        const int tiles = (width + PMAX - 1) / PMAX;                                                 \
        for (int t = 0, j = 0; t < tiles; t++) {                                                     \
            const int np = width / tiles + (t < width % tiles);                                      \
            const ptrdiff_t q0 = in0 + (ptrdiff_t)j * step;                                          \
            float *o = out + (ptrdiff_t)j * ldo;                                                     \
            switch (np) {                                                                            \
                __VA_ARGS__                                                                          \
            default: CGEMM_TILE(1); break;                                                           \
            }                                                                                        \
            j += np;                                                                                 \
        }                                                                                            \
    }

/// The switch cases of a tile of 24 accumulators with 4, 3, 2 or 1 vectors: one per width (pixels
/// or rows) from the tile's 6, 8, 12 or 24 down to 2 (width 1 is the default case). CASE(n) is the
/// case for width n; shared by emo_cgemm and emo_rank_update.
#define TILE_CASES_4(CASE) CASE(6) CASE(5) CASE(4) CASE(3) CASE(2)
#define TILE_CASES_3(CASE) CASE(8) CASE(7) TILE_CASES_4(CASE)
#define TILE_CASES_2(CASE) CASE(12) CASE(11) CASE(10) CASE(9) TILE_CASES_3(CASE)
#define TILE_CASES_1(CASE)                                                                           \
    CASE(24) CASE(23) CASE(22) CASE(21) CASE(20) CASE(19) CASE(18) CASE(17) CASE(16) CASE(15)       \
    CASE(14) CASE(13) TILE_CASES_2(CASE)

// Tiles of 24 accumulators: 4 vectors × 6 pixels, 3 × 8, 2 × 12, 1 × 24; column step 1, 2 or any
// (0: the edge columns of emo_conv_forward_image, one pixel per output row).
#define CGEMM_BLOCKS(STEP)                                                                           \
    CGEMM_BLOCK(4, STEP, 6, TILE_CASES_4(CGEMM_CASE))                                                 \
    CGEMM_BLOCK(3, STEP, 8, TILE_CASES_3(CGEMM_CASE))                                                 \
    CGEMM_BLOCK(2, STEP, 12, TILE_CASES_2(CGEMM_CASE))                                                \
    CGEMM_BLOCK(1, STEP, 24, TILE_CASES_1(CGEMM_CASE))
CGEMM_BLOCKS(1)
CGEMM_BLOCKS(2)
CGEMM_BLOCKS(0)

#define CGEMM_DISPATCH(STEP)                                                                         \
    switch (nb) {                                                                                    \
    case 4: cgemm_4_##STEP(width, step, in0, segments, bounds, rows, w, ldw, o, ldo); break;          \
    case 3: cgemm_3_##STEP(width, step, in0, segments, bounds, rows, w, ldw, o, ldo); break;          \
    case 2: cgemm_2_##STEP(width, step, in0, segments, bounds, rows, w, ldw, o, ldo); break;          \
    default: cgemm_1_##STEP(width, step, in0, segments, bounds, rows, w, ldw, o, ldo); break;         \
    }

AVX512 void emo_cgemm_avx512(int M, int width, ptrdiff_t step, ptrdiff_t in0, int segments, const int *bounds,
                             const float *const *rows, const float *wt, int ldw, float *out, ptrdiff_t ldo) {
    const int vectors = M / 16;
    const int nb = vectors % 4 == 0 ? 4 : vectors % 3 == 0 ? 3 : vectors % 2 == 0 ? 2 : 1;
    for (int m0 = 0; m0 < M; m0 += 16 * nb) {
        const float *w = wt + m0;
        float *o = out + m0;
        if (step == 1) {
            CGEMM_DISPATCH(1)
        } else if (step == 2) {
            CGEMM_DISPATCH(2)
        } else {
            CGEMM_DISPATCH(0)
        }
    }
}

AVX512 void emo_cgemm_row_avx512(int M, int width, int step, ptrdiff_t in0, int K, const float *const *rows,
                                 const float *wt, int ldw, float *out, ptrdiff_t ldo) {
    const int bounds[2] = {0, K};
    emo_cgemm_avx512(M, width, step, in0, 1, bounds, rows, wt, ldw, out, ldo);
}

// MARK: rank update (C += Aᵀ B)

enum { RANK_MAX_ROWS = 24, RANK_MAX_VECTORS = 4, RANK_STEPS = 96 };

/// One tile of emo_rank_update: mr rows × nv vectors of C, loaded, updated over `count` steps and
/// stored back. Row i of a step is one broadcast at a[i], so the tile needs a single A pointer.
AVX512 ALWAYS_INLINE void rank_tile(const int mr, const int nv, int count, const float *a, ptrdiff_t lda,
                                    const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc) {
    __m512 acc[RANK_MAX_ROWS][RANK_MAX_VECTORS];
    UNROLL
    for (int i = 0; i < mr; i++) {
        UNROLL
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_loadu_ps(c + (ptrdiff_t)i * ldc + 16 * v);
    }
    for (int t = 0; t < count; t++, a += lda, b += ldb) {
        __m512 bv[RANK_MAX_VECTORS];
        UNROLL
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
        UNROLL
        for (int i = 0; i < mr; i++) {
            const __m512 ai = _mm512_set1_ps(a[i]);
            UNROLL
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    UNROLL
    for (int i = 0; i < mr; i++) {
        UNROLL
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(c + (ptrdiff_t)i * ldc + 16 * v, acc[i][v]);
    }
}

#define RANK_TILE(R) rank_tile(R, TILE_VECTORS, count, a + m0, lda, b, ldb, c + (ptrdiff_t)m0 * ldc, ldc)
#define RANK_CASE(R) case R: RANK_TILE(R); break;

/// The rows of one block of NB vectors of C, in tiles of RMAX rows and a remainder tile.
#define RANK_BLOCK(NB, RMAX, ...)                                                                    \
    AVX512 static void rank_block_##NB(int M, int count, const float *a, ptrdiff_t lda, const float *b,  \
                                      ptrdiff_t ldb, float *c, ptrdiff_t ldc) {                      \
        enum { TILE_VECTORS = NB };                                                                  \
        for (int m0 = 0; m0 < M; m0 += RMAX) {                                                       \
            switch (M - m0 < RMAX ? M - m0 : RMAX) {                                                 \
                __VA_ARGS__                                                                          \
            default: RANK_TILE(1); break;                                                            \
            }                                                                                        \
        }                                                                                            \
    }

// Tiles of 24 accumulators: 4 vectors × 6 rows, 3 × 8, 2 × 12, 1 × 24.
RANK_BLOCK(4, 6, TILE_CASES_4(RANK_CASE))
RANK_BLOCK(3, 8, TILE_CASES_3(RANK_CASE))
RANK_BLOCK(2, 12, TILE_CASES_2(RANK_CASE))
RANK_BLOCK(1, 24, TILE_CASES_1(RANK_CASE))

AVX512 void emo_rank_update_avx512(int M, int N, int T, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                                   float *c, ptrdiff_t ldc) {
    const int vectors = N / 16;
    const int nb = vectors % 4 == 0 ? 4 : vectors % 3 == 0 ? 3 : vectors % 2 == 0 ? 2 : 1;
    // Steps in blocks, so that the block of B (steps × 16·nb floats) stays in L1 while every row
    // tile sweeps it.
    for (int t0 = 0; t0 < T; t0 += RANK_STEPS) {
        const int count = T - t0 < RANK_STEPS ? T - t0 : RANK_STEPS;
        const float *at = a + (ptrdiff_t)t0 * lda, *bt = b + (ptrdiff_t)t0 * ldb;
        for (int n0 = 0; n0 < N; n0 += 16 * nb) {
            switch (nb) {
            case 4: rank_block_4(M, count, at, lda, bt + n0, ldb, c + n0, ldc); break;
            case 3: rank_block_3(M, count, at, lda, bt + n0, ldb, c + n0, ldc); break;
            case 2: rank_block_2(M, count, at, lda, bt + n0, ldb, c + n0, ldc); break;
            default: rank_block_1(M, count, at, lda, bt + n0, ldb, c + n0, ldc); break;
            }
        }
    }
}

/// Transposes 16 vectors in place: r[i][j] ↔ r[j][i].
AVX512 ALWAYS_INLINE void transpose16(__m512 r[16]) {
    __m512 a[16], b[16];
    UNROLL
    for (int i = 0; i < 8; i++) {
        a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    UNROLL
    for (int i = 0; i < 4; i++) {
        const __m512d a0 = _mm512_castps_pd(a[4 * i]), a1 = _mm512_castps_pd(a[4 * i + 1]);
        const __m512d a2 = _mm512_castps_pd(a[4 * i + 2]), a3 = _mm512_castps_pd(a[4 * i + 3]);
        b[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        b[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        b[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        b[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    // b[4i + j], 128-bit lane L: column 4L + j of rows 4i…4i+3.
    UNROLL
    for (int j = 0; j < 4; j++) {
        const __m512 c1 = _mm512_shuffle_f32x4(b[j], b[4 + j], 0x44), c2 = _mm512_shuffle_f32x4(b[j], b[4 + j], 0xEE);
        const __m512 d1 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0x44);
        const __m512 d2 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0xEE);
        r[j] = _mm512_shuffle_f32x4(c1, d1, 0x88);
        r[4 + j] = _mm512_shuffle_f32x4(c1, d1, 0xDD);
        r[8 + j] = _mm512_shuffle_f32x4(c2, d2, 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(c2, d2, 0xDD);
    }
}

/// Lanes 2j of a vector for j < count (count ≤ 8): the even-column mask of a column-phase store.
AVX512 ALWAYS_INLINE __mmask16 even_lanes(int count) {
    return (__mmask16)(0x5555u & ((1u << (2 * (count < 0 ? 0 : count > 8 ? 8 : count))) - 1));
}

AVX512 void emo_store_channels_avx512(int M, int width, int step, const float *t, float *y, ptrdiff_t plane,
                                      const emo_epilogue *epilogue) {
    const __m512 zero = _mm512_setzero_ps();
    // Every other column: pixels 0…7 of a vector to lanes 0, 2, …, 14, pixels 8…15 to the next 16.
    const __m512i spread_low = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i spread_high = _mm512_set_epi32(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8);
    for (int j0 = 0; j0 < width; j0 += 16) {
        const int n = width - j0 < 16 ? width - j0 : 16;
        const __mmask16 mask = n == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
        for (int m0 = 0; m0 < M; m0 += 16) {
            __m512 r[16];
            UNROLL
            for (int p = 0; p < 16; p++) r[p] = p < n ? _mm512_loadu_ps(t + (ptrdiff_t)(j0 + p) * M + m0) : zero;
            transpose16(r);
            if (step == 2) {
                UNROLL
                for (int c = 0; c < 16; c++) {
                    float *o = y + (ptrdiff_t)(m0 + c) * plane + 2 * (ptrdiff_t)j0;
                    _mm512_mask_storeu_ps(o, even_lanes(n), _mm512_permutexvar_ps(spread_low, r[c]));
                    if (n > 8) _mm512_mask_storeu_ps(o + 16, even_lanes(n - 8), _mm512_permutexvar_ps(spread_high, r[c]));
                }
                continue;
            }
            UNROLL
            for (int c = 0; c < 16; c++) {
                const ptrdiff_t at = (ptrdiff_t)(m0 + c) * plane + j0;
                __m512 v = r[c];
                if (epilogue->bias) v = _mm512_add_ps(v, _mm512_set1_ps(epilogue->bias[m0 + c]));
                if (epilogue->residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, epilogue->residual + at));
                if (epilogue->relu) v = _mm512_max_ps(v, zero);
                _mm512_mask_storeu_ps(y + at, mask, v);
            }
        }
    }
}

/// Lanes lo…hi − 1 of a vector (none when hi ≤ lo), for lo, hi in [0, 16].
AVX512 ALWAYS_INLINE __mmask16 lane_range(int lo, int hi) {
    lo = lo < 0 ? 0 : lo;
    hi = hi > 16 ? 16 : hi;
    return hi <= lo ? 0 : (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

AVX512 void emo_copy_padded_avx512(const float *x, int channels, int h, int w, int top, int left, int hp, int wp,
                                   float *out) {
    const __m512 zero = _mm512_setzero_ps();
    // Whole vectors, masked: the small planes of the model (rows of 10–40 floats) cost a few
    // calls of memcpy and memset per row otherwise (8 % of a 64 → 128-channel forward on 8×19).
    // The masks are the same on every row; computed per vector they were most of the copy's time.
    enum { MAX_VECTORS = 64 };
    const int vectors = (wp + 15) / 16;
    if (vectors > MAX_VECTORS) {  // rows wider than 1024 floats: masks computed per vector
        for (int c = 0; c < channels; c++) {
            for (int pr = 0; pr < hp; pr++) {
                float *row = out + ((ptrdiff_t)c * hp + pr) * wp;
                const int r = pr - top, inside = r >= 0 && r < h;
                const float *source = emo_offset(x, ((ptrdiff_t)c * h + r) * w - left);
                for (int j0 = 0; j0 < wp; j0 += 16) {
                    const __mmask16 lanes = inside ? lane_range(left - j0, left + w - j0) : 0;
                    _mm512_mask_storeu_ps(row + j0, lane_range(0, wp - j0), _mm512_maskz_loadu_ps(lanes, source + j0));
                }
            }
        }
        return;
    }
    // Lane l of vector v is column 16v + l − left of the source row.
    __mmask16 source_lanes[MAX_VECTORS], target_lanes[MAX_VECTORS];
    for (int v = 0; v < vectors; v++) {
        source_lanes[v] = lane_range(left - 16 * v, left + w - 16 * v);
        target_lanes[v] = lane_range(0, wp - 16 * v);
    }
    for (int c = 0; c < channels; c++) {
        const float *plane = x + (ptrdiff_t)c * h * w;
        float *target = out + (ptrdiff_t)c * hp * wp;
        for (int pr = 0; pr < hp; pr++) {
            float *row = target + (ptrdiff_t)pr * wp;
            const int r = pr - top;
            if (r < 0 || r >= h) {
                for (int v = 0; v < vectors; v++) _mm512_mask_storeu_ps(row + 16 * v, target_lanes[v], zero);
                continue;
            }
            const float *source = emo_offset(plane, (ptrdiff_t)r * w - left);
            for (int v = 0; v < vectors; v++)
                _mm512_mask_storeu_ps(row + 16 * v, target_lanes[v],
                                      _mm512_maskz_loadu_ps(source_lanes[v], source + 16 * v));
        }
    }
}

AVX512 void emo_channels_last_padded_avx512(int cin, int h, int w, int top, int left, int hp, int wp, const float *x,
                                            float *pixels, float *xt) {
    const int cp = (cin + 15) / 16 * 16;
    const ptrdiff_t row = (ptrdiff_t)wp * cp;
    emo_pixel_major_avx512(cin, (ptrdiff_t)h * w, x, (ptrdiff_t)h * w, cp, pixels);
    memset(xt, 0, sizeof(float) * (size_t)(top * row));
    for (int r = 0; r < h; r++) {
        float *line = xt + (ptrdiff_t)(top + r) * row;
        memset(line, 0, sizeof(float) * (size_t)left * cp);
        memcpy(line + (ptrdiff_t)left * cp, pixels + (ptrdiff_t)r * w * cp, sizeof(float) * (size_t)w * cp);
        memset(line + (ptrdiff_t)(left + w) * cp, 0, sizeof(float) * (size_t)(wp - left - w) * cp);
    }
    memset(xt + (ptrdiff_t)(top + h) * row, 0, sizeof(float) * (size_t)((hp - top - h) * row));
}

/// dst[col(p)·N + m] = src[row(m)·stride + p]: row(m) = m, or with the M source rows regrouped
/// from [taps][M / taps] to [M / taps][taps], (m mod taps)·(M / taps) + m / taps; col(p) = p, or
/// with the count destination rows regrouped from [count / dtaps][dtaps] to [dtaps][count / dtaps],
/// (p mod dtaps)·(count / dtaps) + p / dtaps.
AVX512 ALWAYS_INLINE void pixel_major(int M, ptrdiff_t count, const float *src, ptrdiff_t stride, int taps, int dtaps,
                                      int N, float *dst) {
    const __m512 zero = _mm512_setzero_ps();
    const int groups = M / taps;
    const ptrdiff_t dgroups = count / dtaps;
    // Channels outer: 16 source rows are read at a time, each front to back, streams the
    // prefetcher follows (with pixels outer, the Winograd weight gradient of 128 → 16 channels on
    // 32×75 took 22.9–29.7 ms per 32 images instead of 20.3–20.6).
    for (int m0 = 0; m0 < N; m0 += 16) {
        for (ptrdiff_t p0 = 0; p0 < count; p0 += 16) {
            const int n = count - p0 < 16 ? (int)(count - p0) : 16;
            const __mmask16 mask = n == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
            __m512 r[16];
            UNROLL
            for (int c = 0; c < 16; c++) {
                const int m = m0 + c, row = taps == 1 ? m : m % taps * groups + m / taps;
                r[c] = m < M ? _mm512_maskz_loadu_ps(mask, src + row * stride + p0) : zero;
            }
            transpose16(r);
            for (int p = 0; p < n; p++) {
                const ptrdiff_t column = p0 + p, at = dtaps == 1 ? column : column % dtaps * dgroups + column / dtaps;
                _mm512_storeu_ps(dst + at * N + m0, r[p]);
            }
        }
    }
}

AVX512 void emo_pixel_major_avx512(int M, ptrdiff_t count, const float *src, ptrdiff_t stride, int N, float *dst) {
    pixel_major(M, count, src, stride, 1, 1, N, dst);
}

AVX512 void emo_pixel_major_regrouped_avx512(int M, int taps, ptrdiff_t count, const float *src, ptrdiff_t stride,
                                             int N, float *dst) {
    pixel_major(M, count, src, stride, taps, 1, N, dst);
}

AVX512 void emo_pixel_major_to_taps_avx512(int M, int taps, ptrdiff_t count, const float *src, ptrdiff_t stride, int N,
                                           float *dst) {
    pixel_major(M, count, src, stride, 1, taps, N, dst);
}

AVX512 void emo_tap_blocks_avx512(int cout, int cin, int taps, const float *weight, float *const *blocks) {
    enum { MAX_TAPS = 49 };
    const __m512 zero = _mm512_setzero_ps();
    __m512 columns[16 * MAX_TAPS];
    const ptrdiff_t row = (ptrdiff_t)cin * taps;
    for (int co0 = 0; co0 < cout; co0 += 16) {
        for (int ci0 = 0; ci0 < cin; ci0 += 16) {
            // The [16 co][16·taps] block from column ci0·taps, transposed by 16 × 16: columns[q] holds
            // column ci0·taps + q (lanes: co).
            const ptrdiff_t width = (ptrdiff_t)(cin - ci0 < 16 ? cin - ci0 : 16) * taps;
            for (ptrdiff_t q0 = 0; q0 < width; q0 += 16) {
                const __mmask16 mask = lane_range(0, (int)(width - q0));
                __m512 r[16];
                UNROLL
                for (int c = 0; c < 16; c++)
                    r[c] = co0 + c < cout ? _mm512_maskz_loadu_ps(mask, weight + (co0 + c) * row + ci0 * taps + q0) : zero;
                transpose16(r);
                UNROLL
                for (int c = 0; c < 16; c++) columns[q0 + c] = r[c];
            }
            // Per tap: columns ci·taps + t (ci < 16) transposed back: rows co, lanes ci.
            const int count = cin - ci0 < 16 ? cin - ci0 : 16;
            for (int t = 0; t < taps; t++) {
                __m512 r[16];
                UNROLL
                for (int c = 0; c < 16; c++) r[c] = c < count ? columns[c * taps + t] : zero;
                transpose16(r);
                for (int c = 0; c < 16 && co0 + c < cout; c++)
                    _mm512_mask_storeu_ps(blocks[t] + (ptrdiff_t)(co0 + c) * cin + ci0, lane_range(0, count), r[c]);
            }
        }
    }
}
#endif
