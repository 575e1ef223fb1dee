// The public entry points: layouts of the prepared weights, scratch sizes, and the choice between
// the AVX-512 and the portable build of the drivers.
#include "CEmoKernels.h"
#include "ConvolutionLayout.h"
#include "MicroKernels.h"
#include "WinogradDriver.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void emo_conv_forward_image_portable(const emo_conv_shape *, const float *, const float *, const float *, const float *,
                                     int, float *, void *);
void emo_conv_backward_data_image_portable(const emo_conv_shape *, const float *, const float *, float *, void *);
void emo_conv_backward_weight_images_portable(const emo_conv_shape *, int, const float *, const float *, float *, void *);
#if defined(__x86_64__)
void emo_conv_forward_image_avx512(const emo_conv_shape *, const float *, const float *, const float *, const float *,
                                   int, float *, void *);
void emo_conv_backward_data_image_avx512(const emo_conv_shape *, const float *, const float *, float *, void *);
void emo_conv_backward_weight_images_avx512(const emo_conv_shape *, int, const float *, const float *, float *, void *);
#endif

// MARK: kernel selection

static int cpu_has_avx512(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return cached;
#else
    return 0;
#endif
}

int emo_direct_conv_accelerated(void) { return cpu_has_avx512(); }

/// Whether this shape runs on the AVX-512 build.
static int use_avx512(const emo_conv_shape *s) { return !s->portable && cpu_has_avx512(); }

#if defined(__x86_64__)
// MARK: Winograd choice (AVX-512 only)

/// EMOTENSOR_WINOGRAD=0 turns the Winograd path off, =2 or =4 forces its tile size (experiments,
/// benchmarks); read once.
static int winograd_setting(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *text = getenv("EMOTENSOR_WINOGRAD");
        cached = !text ? 1 : text[0] == '0' ? 0 : text[0] == '2' ? 2 : text[0] == '4' ? 4 : 1;
    }
    return cached;
}
static int winograd_enabled(void) { return winograd_setting() != 0; }

/// A 3×3 stride-1 convolution with padding ≤ 2 on the AVX-512 build, where the products run
/// channel-vectorised with `vectors` channels in whole vectors and at least 16 summed.
/// (Never off x86-64, where use_avx512 is 0.)
static int winograd_fits(const emo_conv_shape *s, int vectors, int summed) {
    return use_avx512(s) && winograd_enabled() && s->kh == 3 && s->kw == 3 && s->sh == 1 && s->sw == 1 &&
           s->ph <= 2 && s->pw <= 2 && vectors % 16 == 0 && summed >= 16;
}

/// The forward pass by Winograd (Winograd.c, Winograd4x4.c; which: winograd_algorithm): output
/// channels in whole vectors, at least 16 input channels (F(2×2, 3×3) alone measured 1.23–1.80×
/// the direct forward on the model's 3×3 stride-1 shapes, single thread).
static int forward_by_winograd(const emo_conv_shape *s) { return winograd_fits(s, s->cout, s->cin); }

/// The Winograd algorithm of a pass whose output is ho × wo: F(4×4, 3×3) (Winograd4x4.c) where it
/// runs at most 0.6 of the products of F(2×2, 3×3), counting the outputs of partial tiles,
/// F(2×2, 3×3) otherwise. F(4×4)'s transformed kernels are 2.25 times as large, and every image
/// reads all of them (2.4 MB for 128 → 128 channels). Measured, GFLOP/s of direct work, F(2×2)
/// against F(4×4), single thread: 64 → 64 channels at 8×19 outputs 171 / 273 (F(4×4) runs 0.56 of
/// the products), 6×6 135 / 93 (1.00), 2×5 97 / 57 (1.50); 16 → 16 at 32×75 91 / 127–158 (0.50).
/// At 4×10 (0.68), 128 → 128 channels, 194 / 220 single thread but 2.24 / 2.37 ms for the batch's
/// forward with both cores (emohr bench ops).
static const emo_winograd_algorithm *winograd_algorithm(int ho, int wo) {
    if (winograd_setting() > 1) return winograd_setting() == 4 ? &emo_winograd_f4x4 : &emo_winograd_f2x2;
    const long f4 = 36L * ((ho + 3) / 4) * ((wo + 3) / 4), f2 = 16L * ((ho + 1) / 2) * ((wo + 1) / 2);
    return 5 * f4 <= 3 * f2 ? &emo_winograd_f4x4 : &emo_winograd_f2x2;
}
static const emo_winograd_algorithm *forward_algorithm(const emo_conv_shape *s) {
    return winograd_algorithm(emo_conv_output_height(s), emo_conv_output_width(s));
}
/// The input gradient's output is dx, h × w.
static const emo_winograd_algorithm *data_algorithm(const emo_conv_shape *s) {
    return winograd_algorithm(s->height, s->width);
}
/// The weight gradient's tiles are the forward's (the same tiles of the same output).
static const emo_winograd_algorithm *weight_algorithm(const emo_conv_shape *s) { return forward_algorithm(s); }

/// The input gradient by Winograd: the forward of dy with the kernels rotated by 180°, padded by
/// 2 − p, input channels in whole vectors.
static int data_by_winograd(const emo_conv_shape *s) { return winograd_fits(s, s->cin, s->cout); }

/// The weight gradient by Winograd, accumulated in the transformed domain: output channels in
/// whole vectors, at least 16 input channels, and with F(2×2, 3×3) 32 or more channels on one side
/// (with 16 each way its transforms cost what the saved products do: single thread 71–94 GFLOP/s
/// of direct work against the direct kernel's 79–99 on 16→16 at 32×75; 115–200 against 87–102
/// from 32 channels). F(4×4, 3×3), single thread against F(2×2) or direct: 16→16 at 32×75 131–189
/// against 99–101, 32→32 at 32×75 221–228 against 129–132, 128→16 at 32×75 177–184 against 140–142,
/// 32→32 at 16×38 245–260 against 137–141, 64→64 at 8×19 256–287 against 159–173. Its sums are
/// less exact: max relative error 0.8–1.7e-5 against 1.2–4.5e-6 on the model's shapes
/// (docs/performance.md); EMOTENSOR_WINOGRAD=2 keeps F(2×2, 3×3) everywhere.
static int weight_by_winograd(const emo_conv_shape *s) {
    return winograd_fits(s, s->cout, s->cin) && (weight_algorithm(s) == &emo_winograd_f4x4 || s->cin >= 32 || s->cout >= 32);
}
#endif

// MARK: geometry and layouts

int emo_conv_output_height(const emo_conv_shape *s) { return (s->height + 2 * s->ph - s->kh) / s->sh + 1; }
int emo_conv_output_width(const emo_conv_shape *s) { return (s->width + 2 * s->pw - s->kw) / s->sw + 1; }

size_t emo_conv_forward_weights_count(const emo_conv_shape *s) {
#if defined(__x86_64__)
    if (forward_by_winograd(s)) return emo_winograd_kernels_count(forward_algorithm(s), s->cin, s->cout);
#endif
    return (size_t)s->cin * s->kh * s->kw * s->cout;
}

void emo_conv_prepare_forward_weights(const emo_conv_shape *s, const float *weight, float *out) {
#if defined(__x86_64__)
    if (forward_by_winograd(s)) {
        emo_winograd_prepare(forward_algorithm(s), s->cin, s->cout, weight, 0, out);
        return;
    }
#endif
    const int k = s->cin * s->kh * s->kw, taps = s->kh * s->kw;
    if (emo_forward_by_channels(s)) {
        // Tap-major rows (emo_padded_rows_by_tap): row t·cin + c holds tap t of input channel c.
#if defined(__x86_64__)
        // Transposes by 16 × 16 blocks.
        if (use_avx512(s)) {
            emo_pixel_major_to_taps_avx512(s->cout, taps, k, weight, k, s->cout, out);
            return;
        }
#endif
        for (int co = 0; co < s->cout; co++)
            for (int c = 0; c < s->cin; c++)
                for (int t = 0; t < taps; t++)
                    out[((ptrdiff_t)t * s->cin + c) * s->cout + co] = weight[(ptrdiff_t)co * k + c * taps + t];
        return;
    }
#if defined(__x86_64__)
    // A transpose by 16 × 16 blocks (11 instead of 58 µs for 64 → 128 channels, 3×3).
    if (use_avx512(s) && s->cout % 16 == 0) {
        emo_pixel_major_avx512(s->cout, k, weight, k, s->cout, out);
        return;
    }
#endif
    for (int co = 0; co < s->cout; co++)
        for (int j = 0; j < k; j++) out[(ptrdiff_t)j * s->cout + co] = weight[(ptrdiff_t)co * k + j];
}

size_t emo_conv_data_weights_count(const emo_conv_shape *s) {
#if defined(__x86_64__)
    if (data_by_winograd(s)) return emo_winograd_kernels_count(data_algorithm(s), s->cin, s->cout);
#endif
    return (size_t)s->cout * s->cin * s->kh * s->kw;
}

void emo_conv_prepare_data_weights(const emo_conv_shape *s, const float *weight, float *out) {
#if defined(__x86_64__)
    if (data_by_winograd(s)) {
        emo_winograd_prepare(data_algorithm(s), s->cin, s->cout, weight, 1, out);
        return;
    }
#endif
    // Per phase (rp, cp), rows k' = (a · nb + b) · cout + co for the taps ki = rp + sh·a,
    // kj = cp + sw·b (tap-major: the taps of one kernel row of the phase are one range), columns ci:
    // one [cout][cin] block per tap.
    enum { MAX_TAPS = 49 };
    const int taps = s->kh * s->kw;
    float *blocks[MAX_TAPS];
    for (int rp = 0; rp < s->sh; rp++) {
        for (int cp = 0; cp < s->sw; cp++) {
            const int na = emo_phase_taps(s->kh, s->sh, rp), nb = emo_phase_taps(s->kw, s->sw, cp);
            for (int a = 0; a < na; a++)
                for (int b = 0; b < nb; b++) {
                    const int ki = rp + s->sh * a, kj = cp + s->sw * b;
                    float *block = out + (ptrdiff_t)(a * nb + b) * s->cout * s->cin;
                    if (taps <= MAX_TAPS) blocks[ki * s->kw + kj] = block;
                    const float *tap = weight + ki * s->kw + kj;
                    if (taps <= MAX_TAPS && use_avx512(s)) continue;
                    for (int co = 0; co < s->cout; co++)
                        for (int ci = 0; ci < s->cin; ci++)
                            block[(ptrdiff_t)co * s->cin + ci] = tap[((ptrdiff_t)co * s->cin + ci) * taps];
                }
            out += (ptrdiff_t)s->cout * na * nb * s->cin;
        }
    }
#if defined(__x86_64__)
    // By 16 × 16 transposes (12 instead of 50 µs for 64 → 128 channels, 3×3).
    if (taps <= MAX_TAPS && use_avx512(s)) emo_tap_blocks_avx512(s->cout, s->cin, taps, weight, blocks);
#endif
}

size_t emo_conv_weight_accumulator_count(const emo_conv_shape *s) {
#if defined(__x86_64__)
    if (weight_by_winograd(s))
        return emo_winograd_weight_accumulator_count(weight_algorithm(s), s->cin, s->cout);
#endif
    return (size_t)emo_padded_k(s) * (size_t)emo_padded_cout(s);
}

void emo_conv_finish_weight_gradient(const emo_conv_shape *s, const float *accumulator, float *dw) {
#if defined(__x86_64__)
    if (weight_by_winograd(s)) {
        emo_winograd_finish_weight(weight_algorithm(s), s->cin, s->cout, accumulator, dw);
        return;
    }
#endif
    // Accumulator rows tap-major (emo_padded_rows_by_tap): row t·cin + c holds tap t of channel c.
    const int taps = s->kh * s->kw, k = s->cin * taps, n = emo_padded_cout(s);
#if defined(__x86_64__)
    if (use_avx512(s) && k % 16 == 0) {  // 12 instead of 43 µs for 64 → 128 channels, 3×3
        emo_pixel_major_regrouped_avx512(k, taps, s->cout, accumulator, n, k, dw);
        return;
    }
#endif
    for (int co = 0; co < s->cout; co++)
        for (int c = 0; c < s->cin; c++)
            for (int t = 0; t < taps; t++)
                dw[(ptrdiff_t)co * k + c * taps + t] = accumulator[((ptrdiff_t)t * s->cin + c) * n + co];
}

size_t emo_conv_forward_scratch_bytes(const emo_conv_shape *s) {
#if defined(__x86_64__)
    if (forward_by_winograd(s))
        return emo_winograd_scratch_bytes(forward_algorithm(s), s->cin, s->cout, s->height, s->width,
                                          s->ph, s->pw);
#endif
    return emo_forward_scratch(s);
}

size_t emo_conv_backward_data_scratch_bytes(const emo_conv_shape *s) {
#if defined(__x86_64__)
    if (data_by_winograd(s)) {
        const int ho = emo_conv_output_height(s), wo = emo_conv_output_width(s);
        return emo_winograd_scratch_bytes(data_algorithm(s), s->cout, s->cin, ho, wo, 2 - s->ph,
                                          2 - s->pw);
    }
#endif
    return emo_data_scratch(s);
}
size_t emo_conv_backward_weight_scratch_bytes(const emo_conv_shape *s) {
#if defined(__x86_64__)
    if (weight_by_winograd(s))
        return emo_winograd_weight_scratch_bytes(weight_algorithm(s), s->cin, s->cout, s->height,
                                                 s->width, s->ph, s->pw);
#endif
    return emo_weight_scratch(s);
}

// MARK: dispatch

void emo_conv_forward_image(const emo_conv_shape *s, const float *x, const float *forward_weights, const float *bias,
                            const float *residual, int relu, float *y, void *scratch) {
#if defined(__x86_64__)
    if (forward_by_winograd(s)) {
        emo_winograd_image(forward_algorithm(s), s->cin, s->cout, s->height, s->width, s->ph, s->pw, x,
                           forward_weights, bias, residual, relu, y, scratch);
        return;
    }
    if (use_avx512(s)) {
        emo_conv_forward_image_avx512(s, x, forward_weights, bias, residual, relu, y, scratch);
        return;
    }
#endif
    emo_conv_forward_image_portable(s, x, forward_weights, bias, residual, relu, y, scratch);
}

void emo_conv_backward_data_image(const emo_conv_shape *s, const float *dy, const float *data_weights, float *dx,
                                  void *scratch) {
#if defined(__x86_64__)
    if (data_by_winograd(s)) {
        const int ho = emo_conv_output_height(s), wo = emo_conv_output_width(s);
        emo_winograd_image(data_algorithm(s), s->cout, s->cin, ho, wo, 2 - s->ph, 2 - s->pw, dy,
                           data_weights, NULL, NULL, 0, dx, scratch);
        return;
    }
    if (use_avx512(s)) {
        emo_conv_backward_data_image_avx512(s, dy, data_weights, dx, scratch);
        return;
    }
#endif
    emo_conv_backward_data_image_portable(s, dy, data_weights, dx, scratch);
}

void emo_conv_backward_weight_images(const emo_conv_shape *s, int count, const float *x, const float *dy,
                                     float *accumulator, void *scratch) {
#if defined(__x86_64__)
    if (weight_by_winograd(s)) {
        emo_winograd_weight_images(weight_algorithm(s), s->cin, s->cout, s->height, s->width, s->ph,
                                   s->pw, count, x, dy, accumulator, scratch);
        return;
    }
    if (use_avx512(s)) {
        emo_conv_backward_weight_images_avx512(s, count, x, dy, accumulator, scratch);
        return;
    }
#endif
    emo_conv_backward_weight_images_portable(s, count, x, dy, accumulator, scratch);
}
