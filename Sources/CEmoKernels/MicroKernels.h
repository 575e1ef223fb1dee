#ifndef EMO_MICRO_KERNELS_H
#define EMO_MICRO_KERNELS_H

#include <stddef.h>

/// Indirect matrix product: out[m·ldo + q] = Σₖ wt[k·ldw + m] · rows[k][q] for m < M, q < Q.
/// Each rows[k] is read on [0, Q) only.
typedef void (*emo_igemm_fn)(int M, int Q, int K, const float *const *rows, const float *wt, int ldw,
                             float *out, ptrdiff_t ldo);

/// Outer-product accumulation (the weight gradient, transposed):
/// acc[k·N + n] += Σ_q rows[k][q] · dyt[q·N + n] for k < K, n < N. N is a multiple of 16 and K of
/// the tile height (emo_padded_k in ConvolutionLayout.h; the callers pad with zero rows and channels).
typedef void (*emo_outer_fn)(int K, int N, int Q, const float *const *rows, const float *dyt, float *acc);

void emo_igemm_portable(int M, int Q, int K, const float *const *rows, const float *wt, int ldw, float *out,
                        ptrdiff_t ldo);
void emo_outer_portable(int K, int N, int Q, const float *const *rows, const float *dyt, float *acc);

#if defined(__x86_64__)
void emo_igemm_avx512(int M, int Q, int K, const float *const *rows, const float *wt, int ldw, float *out,
                      ptrdiff_t ldo);
void emo_outer_avx512(int K, int N, int Q, const float *const *rows, const float *dyt, float *acc);
#endif

#endif
