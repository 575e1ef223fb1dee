// Plain-C micro-kernels: the fallback on CPUs without AVX-512 and the oracle the tests compare
// the vector kernels with.
#include "MicroKernels.h"

void emo_igemm_portable(int M, int Q, int K, const float *const *rows, const float *wt, int ldw, float *out,
                        ptrdiff_t ldo) {
    for (int m = 0; m < M; m++) {
        float *o = out + m * ldo;
        for (int q = 0; q < Q; q++) o[q] = 0;
        for (int k = 0; k < K; k++) {
            const float w = wt[(ptrdiff_t)k * ldw + m];
            const float *r = rows[k];
            for (int q = 0; q < Q; q++) o[q] += w * r[q];
        }
    }
}

void emo_outer_portable(int K, int N, int Q, const float *const *rows, const float *dyt, float *acc) {
    for (int k = 0; k < K; k++) {
        const float *r = rows[k];
        float *a = acc + (ptrdiff_t)k * N;
        for (int q = 0; q < Q; q++) {
            const float v = r[q];
            const float *d = dyt + (ptrdiff_t)q * N;
            for (int n = 0; n < N; n++) a[n] += v * d[n];
        }
    }
}
