// The tail of HRNet's fuse layer at inference: every low-resolution map resampled to the
// full-resolution plane, summed with it, ReLU, mean, one plane at a time in cache. Separable:
// each low-resolution row is resampled horizontally once, then every output row is a weighted
// sum of two of those rows per map.
#include "CEmoKernels.h"

#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

size_t emo_upsampled_sum_scratch_floats(int width, int count, const emo_resample_map *maps) {
    size_t rows = 0;
    for (int m = 0; m < count; m++) rows += (size_t)maps[m].height;
    return rows * (size_t)width + 16;
}

static float plane_portable(int height, int width, const float *full, int count, const emo_resample_map *maps,
                            ptrdiff_t plane, float *scratch) {
    float *horizontal = scratch;
    for (int m = 0; m < count; m++) {
        const emo_resample_map *map = maps + m;
        const float *source = map->planes + plane * map->height * map->width;
        for (int ih = 0; ih < map->height; ih++, horizontal += width) {
            const float *row = source + (ptrdiff_t)ih * map->width;
            for (int ow = 0; ow < width; ow++) {
                const float a = row[map->column_low[ow]], b = row[map->column_high[ow]], w = map->column_weight[ow];
                horizontal[ow] = (1 - w) * a + w * b;
            }
        }
    }
    double total = 0;
    const float *image = full + plane * height * width;
    for (int oh = 0; oh < height; oh++) {
        float line_total = 0;
        for (int ow = 0; ow < width; ow++) {
            float v = image[(ptrdiff_t)oh * width + ow];
            const float *rows = scratch;
            for (int m = 0; m < count; m++) {
                const emo_resample_map *map = maps + m;
                const float w = map->row_weight[oh];
                v += (1 - w) * rows[(ptrdiff_t)map->row_low[oh] * width + ow] + w * rows[(ptrdiff_t)map->row_high[oh] * width + ow];
                rows += (ptrdiff_t)map->height * width;
            }
            line_total += v > 0 ? v : 0;
        }
        total += line_total;
    }
    return (float)(total / ((double)height * width));
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))

/// The first `count` of 16 lanes (count clamped to 0…16).
AVX512 static inline __mmask16 first_lanes(int count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

/// v[index] for indices < 48 held in three vectors: two permutations and a blend (a gather of 16
/// lanes costs several times more on this kind of CPU).
AVX512 static inline __m512 select48(__m512 v0, __m512 v1, __m512 v2, __m512i index) {
    const __m512 low = _mm512_permutex2var_ps(v0, index, v1);
    const __m512 high = _mm512_permutexvar_ps(index, v2);
    return _mm512_mask_blend_ps(_mm512_cmpge_epi32_mask(index, _mm512_set1_epi32(32)), low, high);
}

AVX512 static float plane_avx512(int height, int width, const float *full, int count,
                                                            const emo_resample_map *maps, ptrdiff_t plane,
                                                            float *scratch) {
    float *horizontal = scratch;
    for (int m = 0; m < count; m++) {
        const emo_resample_map *map = maps + m;
        const float *source = map->planes + plane * map->height * map->width;
        const int narrow = map->width <= 48;
        for (int ih = 0; ih < map->height; ih++, horizontal += width) {
            const float *row = source + (ptrdiff_t)ih * map->width;
            // Rows of up to 48 floats stay in three registers.
            const __m512 v0 = _mm512_maskz_loadu_ps(narrow ? first_lanes(map->width) : 0, row);
            const __m512 v1 = _mm512_maskz_loadu_ps(narrow ? first_lanes(map->width - 16) : 0, row + 16);
            const __m512 v2 = _mm512_maskz_loadu_ps(narrow ? first_lanes(map->width - 32) : 0, row + 32);
            for (int ow = 0; ow < width; ow += 16) {
                const __mmask16 mask = first_lanes(width - ow);
                const __m512i low = _mm512_maskz_loadu_epi32(mask, map->column_low + ow);
                const __m512i high = _mm512_maskz_loadu_epi32(mask, map->column_high + ow);
                const __m512 w = _mm512_maskz_loadu_ps(mask, map->column_weight + ow);
                __m512 a, b;
                if (narrow) {
                    a = select48(v0, v1, v2, low);
                    b = select48(v0, v1, v2, high);
                } else {
                    a = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, low, row, 4);
                    b = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, high, row, 4);
                }
                _mm512_mask_storeu_ps(horizontal + ow, mask, _mm512_fmadd_ps(w, _mm512_sub_ps(b, a), a));
            }
        }
    }
    const float *image = full + plane * height * width;
    __m512 sum = _mm512_setzero_ps();
    double total = 0;
    for (int oh = 0; oh < height; oh++) {
        for (int ow = 0; ow < width; ow += 16) {
            const __mmask16 mask = first_lanes(width - ow);
            __m512 v = _mm512_maskz_loadu_ps(mask, image + (ptrdiff_t)oh * width + ow);
            const float *rows = scratch;
            for (int m = 0; m < count; m++) {
                const emo_resample_map *map = maps + m;
                const __m512 w = _mm512_set1_ps(map->row_weight[oh]);
                const __m512 a = _mm512_maskz_loadu_ps(mask, rows + (ptrdiff_t)map->row_low[oh] * width + ow);
                const __m512 b = _mm512_maskz_loadu_ps(mask, rows + (ptrdiff_t)map->row_high[oh] * width + ow);
                v = _mm512_add_ps(v, _mm512_fmadd_ps(w, _mm512_sub_ps(b, a), a));
                rows += (ptrdiff_t)map->height * width;
            }
            sum = _mm512_add_ps(sum, _mm512_max_ps(v, _mm512_setzero_ps()));
        }
        // Rows summed in float lanes, the plane in double.
        if ((oh & 7) == 7 || oh == height - 1) {
            total += _mm512_reduce_add_ps(sum);
            sum = _mm512_setzero_ps();
        }
    }
    return (float)(total / ((double)height * width));
}
#endif

void emo_upsampled_sum_relu_mean(int first, int last, int height, int width, const float *full, int count,
                                 const emo_resample_map *maps, float *scratch, float *out, int portable) {
#if defined(__x86_64__)
    if (!portable && emo_direct_conv_accelerated()) {
        for (int plane = first; plane < last; plane++)
            out[plane] = plane_avx512(height, width, full, count, maps, plane, scratch);
        return;
    }
#endif
    for (int plane = first; plane < last; plane++)
        out[plane] = plane_portable(height, width, full, count, maps, plane, scratch);
}
