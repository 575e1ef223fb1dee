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

void emo_igemm_rows_portable(int M, int nrows, int width, ptrdiff_t pitch, int K, const float *const *rows,
                             const float *wt, int ldw, float *out, ptrdiff_t ldo, const emo_epilogue *epilogue) {
    for (int m = 0; m < M; m++) {
        for (int r = 0; r < nrows; r++) {
            float *o = out + m * ldo + (ptrdiff_t)r * width;
            for (int j = 0; j < width; j++) o[j] = 0;
            for (int k = 0; k < K; k++) {
                const float w = wt[(ptrdiff_t)k * ldw + m];
                const float *in = rows[k] + r * pitch;
                for (int j = 0; j < width; j++) o[j] += w * in[j];
            }
            const float *res = epilogue->residual ? epilogue->residual + m * ldo + (ptrdiff_t)r * width : NULL;
            const float b = epilogue->bias ? epilogue->bias[m] : 0;
            for (int j = 0; j < width; j++) {
                float v = o[j] + b + (res ? res[j] : 0);
                o[j] = epilogue->relu && !(v > 0) ? 0 : v;
            }
        }
    }
}

void emo_cgemm_portable(int M, int width, ptrdiff_t step, ptrdiff_t in0, int segments, const int *bounds,
                        const float *const *rows, const float *wt, int ldw, float *out, ptrdiff_t ldo) {
    for (int j = 0; j < width; j++) {
        float *o = out + (ptrdiff_t)j * ldo;
        for (int m = 0; m < M; m++) o[m] = 0;
        for (int segment = 0; segment < segments; segment++) {
            for (int k = bounds[2 * segment]; k < bounds[2 * segment + 1]; k++) {
                const float v = *emo_offset(rows[k], in0 + (ptrdiff_t)j * step);
                const float *w = wt + (ptrdiff_t)k * ldw;
                for (int m = 0; m < M; m++) o[m] += v * w[m];
            }
        }
    }
}

void emo_store_channels_portable(int M, int width, int step, const float *t, float *y, ptrdiff_t plane,
                                 const emo_epilogue *epilogue) {
    for (int m = 0; m < M; m++) {
        const float b = epilogue->bias ? epilogue->bias[m] : 0;
        const float *res = epilogue->residual ? epilogue->residual + m * plane : NULL;
        float *o = y + m * plane;
        for (int j = 0; j < width; j++) {
            const float v = t[(ptrdiff_t)j * M + m] + b + (res ? res[j] : 0);
            o[(ptrdiff_t)j * step] = epilogue->relu && !(v > 0) ? 0 : v;
        }
    }
}

void emo_outer_portable(int K, int N, int images, ptrdiff_t rows_image, ptrdiff_t dyt_image, int nrows, int width,
                        ptrdiff_t pitch, int step, const float *const *rows, const float *dyt, const int *bounds,
                        float *acc) {
    const int tile = EMO_OUTER_TILE_ROWS;
    for (int k = 0; k < K; k++) {
        const int *b = bounds ? bounds + 4 * (k / tile) : NULL;
        float *a = acc + (ptrdiff_t)k * N;
        for (int i = 0; i < images; i++) {
            for (int r = b ? b[0] : 0; r < (b ? b[1] : nrows); r++) {
                for (int j = b ? b[2] : 0; j < (b ? b[3] : width); j++) {
                    const float v = *emo_offset(rows[k], i * rows_image + r * pitch + (ptrdiff_t)j * step);
                    const float *d = dyt + i * dyt_image + ((ptrdiff_t)r * width + j) * N;
                    for (int n = 0; n < N; n++) a[n] += v * d[n];
                }
            }
        }
    }
}

void emo_pixel_major_portable(int M, ptrdiff_t count, const float *src, ptrdiff_t stride, int N, float *dst) {
    for (ptrdiff_t p = 0; p < count; p++) {
        float *o = dst + p * N;
        for (int m = 0; m < M; m++) o[m] = src[m * stride + p];
        for (int m = M; m < N; m++) o[m] = 0;
    }
}
