#ifndef EMO_MICRO_KERNELS_H
#define EMO_MICRO_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// p + n floats by integer arithmetic: row pointers into an image read in place may lie outside
/// it (ConvolutionLayout.h, emo_shifted), and only the final address, inside it, is dereferenced.
static inline const float *emo_offset(const float *p, ptrdiff_t n) {
    return (const float *)((uintptr_t)p + (uintptr_t)(n * (ptrdiff_t)sizeof(float)));
}

/// Indirect matrix product: out[m·ldo + q] = Σₖ wt[k·ldw + m] · rows[k][q] for m < M, q < Q.
/// Each rows[k] is read on [0, Q) only.
typedef void (*emo_igemm_fn)(int M, int Q, int K, const float *const *rows, const float *wt, int ldw,
                             float *out, ptrdiff_t ldo);

/// What happens to each product before it is stored: + bias[m], + residual (indexed like the
/// output), then max(·, 0) when relu. NULL pointers skip their step.
typedef struct {
    const float *bias;
    const float *residual;
    int relu;
} emo_epilogue;

/// The indirect product by output rows, straight into an image: for r < nrows, j < width,
/// out[m·ldo + r·width + j] = epilogue(Σₖ wt[k·ldw + m] · rows[k][r·pitch + j]).
typedef void (*emo_igemm_rows_fn)(int M, int nrows, int width, ptrdiff_t pitch, int K, const float *const *rows,
                                  const float *wt, int ldw, float *out, ptrdiff_t ldo, const emo_epilogue *epilogue);

/// The channel-vectorised indirect product over the K segments [bounds[2i], bounds[2i + 1]) for
/// i < segments (the terms that do not read zero padding), for pixels any `step` apart: for
/// j < width, m < M (a multiple of 16), out[j·ldo + m] = Σ_segments Σₖ wt[k·ldw + m] ·
/// rows[k][in0 + j·step]. Every output pixel fills whole vectors of output channels, whatever the
/// image width.
typedef void (*emo_cgemm_fn)(int M, int width, ptrdiff_t step, ptrdiff_t in0, int segments, const int *bounds,
                             const float *const *rows, const float *wt, int ldw, float *out, ptrdiff_t ldo);

/// The channel-major store after emo_cgemm: for m < M (a multiple of 16), j < width,
/// y[m·plane + j·step] = epilogue(t[j·M + m]), the residual indexed like y; step is 1 or 2 (every
/// other column: the input gradient of one column phase), and the residual is only used with
/// step 1. y may alias the residual.
typedef void (*emo_store_channels_fn)(int M, int width, int step, const float *t, float *y, ptrdiff_t plane,
                                      const emo_epilogue *epilogue);

/// Rows per tile of the weight-gradient micro-kernel (emo_outer_fn), whatever its N accumulator
/// columns (1–3 vectors of 16 per tile). Every row is its own pointer, and more rows spill
/// pointers out of the 16 general registers (measured 35–44 GFLOP/s with 24 rows against 60–90
/// with 8–12); 8 rather than 12 with one vector makes every tile one tap for 8, 16, … input
/// channels, so x is read in place (16 → 16 channels, 3×3: 112–115 against 88–106 GFLOP/s; 1×1
/// 64 → 16: 103 against 87–92).
enum { EMO_OUTER_TILE_ROWS = 8 };

/// Outer-product accumulation (the weight gradient, transposed), over the output rows of
/// `images` images (image i's input rows rows[k] + i·rows_image, its dyᵀ dyt + i·dyt_image):
/// acc[k·N + n] += Σ_{i < images, r < nrows, j < width} rows[k][i·rows_image + r·pitch + j·step] ·
/// dyt[i·dyt_image + (r·width + j)·N + n] for k < K, n < N. N is a multiple of 16 and K of the tile
/// height (emo_padded_k in ConvolutionLayout.h; the callers pad dyᵀ with zero channels, and the
/// padding rows of K point at any input row: their sums are never read). With `bounds`, the rows
/// of tile t (EMO_OUTER_TILE_ROWS rows each) sum only r in [bounds[4t], bounds[4t + 1]) and j in
/// [bounds[4t + 2], bounds[4t + 3]): the callers leave out pixels whose inputs are padding.
typedef void (*emo_outer_fn)(int K, int N, int images, ptrdiff_t rows_image, ptrdiff_t dyt_image, int nrows, int width,
                             ptrdiff_t pitch, int step, const float *const *rows, const float *dyt, const int *bounds,
                             float *acc);

/// Pixel-major copy: dst[p·N + m] = src[m·stride + p] for m < M, and 0 for M ≤ m < N (N a
/// multiple of 16), p < count.
typedef void (*emo_pixel_major_fn)(int M, ptrdiff_t count, const float *src, ptrdiff_t stride, int N, float *dst);

void emo_igemm_portable(int M, int Q, int K, const float *const *rows, const float *wt, int ldw, float *out,
                        ptrdiff_t ldo);
void emo_igemm_rows_portable(int M, int nrows, int width, ptrdiff_t pitch, int K, const float *const *rows,
                             const float *wt, int ldw, float *out, ptrdiff_t ldo, const emo_epilogue *epilogue);
void emo_cgemm_portable(int M, int width, ptrdiff_t step, ptrdiff_t in0, int segments, const int *bounds,
                        const float *const *rows, const float *wt, int ldw, float *out, ptrdiff_t ldo);
void emo_store_channels_portable(int M, int width, int step, const float *t, float *y, ptrdiff_t plane,
                                 const emo_epilogue *epilogue);
void emo_outer_portable(int K, int N, int images, ptrdiff_t rows_image, ptrdiff_t dyt_image, int nrows, int width,
                        ptrdiff_t pitch, int step, const float *const *rows, const float *dyt, const int *bounds,
                        float *acc);
void emo_pixel_major_portable(int M, ptrdiff_t count, const float *src, ptrdiff_t stride, int N, float *dst);

#if defined(__x86_64__)
void emo_igemm_avx512(int M, int Q, int K, const float *const *rows, const float *wt, int ldw, float *out,
                      ptrdiff_t ldo);
void emo_igemm_rows_avx512(int M, int nrows, int width, ptrdiff_t pitch, int K, const float *const *rows,
                           const float *wt, int ldw, float *out, ptrdiff_t ldo, const emo_epilogue *epilogue);
/// emo_cgemm with one segment [0, K) (the Winograd products).
void emo_cgemm_row_avx512(int M, int width, int step, ptrdiff_t in0, int K, const float *const *rows,
                          const float *wt, int ldw, float *out, ptrdiff_t ldo);
void emo_cgemm_avx512(int M, int width, ptrdiff_t step, ptrdiff_t in0, int segments, const int *bounds,
                      const float *const *rows, const float *wt, int ldw, float *out, ptrdiff_t ldo);
void emo_store_channels_avx512(int M, int width, int step, const float *t, float *y, ptrdiff_t plane,
                               const emo_epilogue *epilogue);
void emo_outer_avx512(int K, int N, int images, ptrdiff_t rows_image, ptrdiff_t dyt_image, int nrows, int width,
                      ptrdiff_t pitch, int step, const float *const *rows, const float *dyt, const int *bounds,
                      float *acc);
void emo_pixel_major_avx512(int M, ptrdiff_t count, const float *src, ptrdiff_t stride, int N, float *dst);
/// The same with the count destination rows regrouped from [count / taps][taps] to
/// [taps][count / taps] (PyTorch's weight to the tap-major forward layout): dst[((p mod taps)·
/// (count / taps) + p / taps)·N + m] = src[m·stride + p].
void emo_pixel_major_to_taps_avx512(int M, int taps, ptrdiff_t count, const float *src, ptrdiff_t stride, int N,
                                    float *dst);
/// weight [cout][cin][taps] → blocks[t] [cout][cin] for t < taps (at most 49), by 16 × 16
/// transposes.
void emo_tap_blocks_avx512(int cout, int cin, int taps, const float *weight, float *const *blocks);
/// The same with the M source rows regrouped from [taps][M / taps] to [M / taps][taps] (the
/// tap-major weight gradient to PyTorch's layout): dst[p·N + m] = src[((m mod taps)·(M / taps) +
/// m / taps)·stride + p].
void emo_pixel_major_regrouped_avx512(int M, int taps, ptrdiff_t count, const float *src, ptrdiff_t stride, int N,
                                      float *dst);
/// emo_copy_padded (ConvolutionLayout.h) by masked vectors: `channels` planes of h × w into
/// hp × wp planes at row `top`, column `left`, zeros everywhere else.
void emo_copy_padded_avx512(const float *x, int channels, int h, int w, int top, int left, int hp, int wp,
                            float *out);
/// xt [hp][wp][cp]: `cin` planes of h × w, zero-padded (`top` rows, `left` columns) and channels
/// last, cp = cin rounded up to 16 (zero channels), by way of the unpadded transpose `pixels`
/// [h·w][cp].
void emo_channels_last_padded_avx512(int cin, int h, int w, int top, int left, int hp, int wp, const float *x,
                                     float *pixels, float *xt);
/// Rank-T update: c[m·ldc + n] += Σ_{t < T} a[t·lda + m] · b[t·ldb + n] for m < M, n < N (a multiple
/// of 16).
void emo_rank_update_avx512(int M, int N, int T, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                            float *c, ptrdiff_t ldc);

#endif

#endif
