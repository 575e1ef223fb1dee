// AVX-512 micro-kernels, compiled for that target per function and chosen at run time
// (see DirectConvolution.c), so the package builds without -march flags.
#if defined(__x86_64__)
#include <immintrin.h>
#include "MicroKernels.h"

#define AVX512 __attribute__((target("avx512f")))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

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
/// pixels [q0, q1), loaded from and stored back to the accumulator.
AVX512 ALWAYS_INLINE void outer_tile(const int kb, const int nv, const float *const *rows, int q0, int q1,
                                     const float *dyt, int N, float *acc) {
    __m512 sum[12][OUTER_NV];
    for (int i = 0; i < kb; i++)
        for (int v = 0; v < nv; v++) sum[i][v] = _mm512_loadu_ps(acc + (ptrdiff_t)i * N + 16 * v);
    const float *r[12];
    for (int i = 0; i < kb; i++) r[i] = rows[i];
    for (int q = q0; q < q1; q++) {
        const float *d = dyt + (ptrdiff_t)q * N;
        __m512 dv[OUTER_NV];
        for (int v = 0; v < nv; v++) dv[v] = _mm512_loadu_ps(d + 16 * v);
        for (int i = 0; i < kb; i++) {
            const __m512 xi = _mm512_set1_ps(r[i][q]);
            for (int v = 0; v < nv; v++) sum[i][v] = _mm512_fmadd_ps(xi, dv[v], sum[i][v]);
        }
    }
    for (int i = 0; i < kb; i++)
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(acc + (ptrdiff_t)i * N + 16 * v, sum[i][v]);
}

AVX512 void emo_outer_avx512(int K, int N, int Q, const float *const *rows, const float *dyt, float *acc) {
    // The tile shape of emo_outer_vectors / emo_outer_rows (ConvolutionLayout.h): K is a whole
    // number of tiles.
    const int vectors = N / 16;
    const int nv = vectors % 3 == 0 ? 3 : vectors % 2 == 0 ? 2 : 1;
    const int kb = nv == 1 ? 12 : 8;
    // Pixels in chunks, so that the chunk of dyᵀ and of the input rows stays in L2 while every
    // tile sweeps it.
    enum { CHUNK = 256 };
    for (int q0 = 0; q0 < Q; q0 += CHUNK) {
        const int q1 = Q - q0 < CHUNK ? Q : q0 + CHUNK;
        for (int n0 = 0; n0 < N; n0 += 16 * nv) {
            for (int k0 = 0; k0 < K; k0 += kb) {
                float *a = acc + (ptrdiff_t)k0 * N + n0;
                switch (nv) {
                case 3: outer_tile(8, 3, rows + k0, q0, q1, dyt + n0, N, a); break;
                case 2: outer_tile(8, 2, rows + k0, q0, q1, dyt + n0, N, a); break;
                default: outer_tile(12, 1, rows + k0, q0, q1, dyt + n0, N, a); break;
                }
            }
        }
    }
}
#endif
