#ifndef CEMOKERNELS_H
#define CEMOKERNELS_H

/// Direct (im2col-free) 2-D convolution kernels for EmoTensor.
///
/// Every pass is an "indirect" matrix product whose right-hand rows are pointers into the image,
/// one per input channel and kernel tap: no im2col matrix is written, and small images are
/// processed whole in cache. Two layouts:
/// - channels in the vectors, where the output channels (forward) or input channels (input
///   gradient) are whole 16-float vectors: the input is read in place, each tap's value is
///   broadcast against a vector of weights, any image width fills the vectors, and each band of
///   output rows is transposed into [C][H][W] on the way out (with the bias, residual and ReLU).
///   The products are tap-major, so no product reads padding: each output row sums only its kernel
///   rows inside the image, and edge columns are computed apart over their inside kernel columns;
/// - pixels in the vectors otherwise: the input is split into zero-padded "phase planes" (for
///   stride s, the s×s sub-grids of the padded image), so that every tap of every output pixel is
///   a fixed offset from the pixel's index on a flat grid.
/// The gradient with respect to the input is the same product on the output gradient, one stride
/// phase at a time (read in place with channels in the vectors, from a zero-margined grid
/// otherwise); the gradient with respect to the weight accumulates outer products of the shifted
/// input rows with the transposed output gradient, each tile of rows over only the output pixels
/// where its taps read inside the image. 3×3 stride-1 convolutions run by Winograd on AVX-512, in
/// all three passes: F(4×4, 3×3) where it needs at most 0.6 of F(2×2, 3×3)'s products, F(2×2)
/// otherwise (whose weight gradient only with 32 or more channels on one side).
///
/// Only groups = 1 and dilation = 1 are covered; EmoTensor falls back to im2col + sgemm otherwise.
/// Weights use PyTorch's layout [cout][cin][kh][kw]; images are [C][H][W] float32.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The sizes of a convolution of one image (groups 1, dilation 1, zero padding).
typedef struct emo_conv_shape {
    int cin, height, width;  ///< input channels and plane
    int cout;                ///< output channels
    int kh, kw;              ///< kernel size
    int sh, sw;              ///< stride
    int ph, pw;              ///< padding
    int portable;            ///< 1: use the portable micro-kernels even where AVX-512 is available (tests)
} emo_conv_shape;

/// ⌊(H + 2·ph − kh) / sh⌋ + 1
int emo_conv_output_height(const emo_conv_shape *shape);
/// ⌊(W + 2·pw − kw) / sw⌋ + 1
int emo_conv_output_width(const emo_conv_shape *shape);

/// 1 when this CPU runs the AVX-512 micro-kernels (shapes with `portable` = 0), 0 when every
/// shape uses the portable ones.
int emo_direct_conv_accelerated(void);

/// Floats of the forward weight layout: cin·kh·kw·cout, or (m + 2)²·cin·cout for Winograd
/// F(m×m, 3×3).
size_t emo_conv_forward_weights_count(const emo_conv_shape *shape);
/// PyTorch weight [cout][cin·kh·kw] → the forward layout [cin·kh·kw][cout] (rows tap-major,
/// [kh·kw][cin], where output channels fill whole vectors).
void emo_conv_prepare_forward_weights(const emo_conv_shape *shape, const float *weight, float *out);
/// Bytes of scratch `emo_conv_forward_image` needs (one buffer per concurrent caller).
size_t emo_conv_forward_scratch_bytes(const emo_conv_shape *shape);
/// y [cout][Ho][Wo] = conv(x [cin][H][W]) + bias + residual [cout][Ho][Wo] (bias and residual
/// may be NULL), then max(·, 0) when `relu`. y may not alias x; it may alias residual.
void emo_conv_forward_image(const emo_conv_shape *shape, const float *x, const float *forward_weights,
                            const float *bias, const float *residual, int relu, float *y, void *scratch);

/// Floats of the input-gradient weight layout: cout·cin·kh·kw, or (m + 2)²·cin·cout for Winograd.
size_t emo_conv_data_weights_count(const emo_conv_shape *shape);
/// PyTorch weight → the input-gradient layout (per phase: [cout·taps][cin]).
void emo_conv_prepare_data_weights(const emo_conv_shape *shape, const float *weight, float *out);
/// Bytes of scratch `emo_conv_backward_data_image` needs.
size_t emo_conv_backward_data_scratch_bytes(const emo_conv_shape *shape);
/// dx [cin][H][W] = the gradient of the convolution with respect to x, given dy [cout][Ho][Wo].
void emo_conv_backward_data_image(const emo_conv_shape *shape, const float *dy, const float *data_weights,
                                  float *dx, void *scratch);

/// Floats of the weight-gradient accumulator: cin·kh·kw rounded up to whole micro-kernel tiles,
/// times cout rounded up to 16 (the gradient transposed, [k][cout]); for a Winograd F(m×m, 3×3)
/// weight gradient (3×3 stride 1 on AVX-512), (m + 2)² transformed blocks of cin rounded up to 16
/// times cout (transposed when the input channels are the wider side). Zero it before the first
/// image; accumulators of disjoint images may be summed elementwise.
size_t emo_conv_weight_accumulator_count(const emo_conv_shape *shape);
/// Bytes of scratch `emo_conv_backward_weight_images` needs.
size_t emo_conv_backward_weight_scratch_bytes(const emo_conv_shape *shape);
/// accumulator += the weight gradient of `count` consecutive images, x [count][cin][H][W] and dy
/// [count][cout][Ho][Wo], in the accumulator layout.
void emo_conv_backward_weight_images(const emo_conv_shape *shape, int count, const float *x, const float *dy,
                                     float *accumulator, void *scratch);
/// dw [cout][cin·kh·kw] = the gradient held in an accumulator.
void emo_conv_finish_weight_gradient(const emo_conv_shape *shape, const float *accumulator, float *dw);

/// One low-resolution map of emo_upsampled_sum_relu_mean: its planes and, per output row and
/// column, the two source indices and the weight of the second (bilinear; nearest: the same
/// index twice and weight 0).
typedef struct emo_resample_map {
    const float *planes;  ///< [planes][height][width]
    int height, width;
    const int *row_low, *row_high;        ///< per output row
    const float *row_weight;
    const int *column_low, *column_high;  ///< per output column
    const float *column_weight;
} emo_resample_map;

/// Floats of scratch emo_upsampled_sum_relu_mean needs (one buffer per concurrent caller).
size_t emo_upsampled_sum_scratch_floats(int width, int count, const emo_resample_map *maps);
/// For planes first ≤ i < last: out[i] = the mean over height × width of
/// max(0, full[i] + Σₘ resample(maps[m].planes[i])). `portable` 1: plain C even where AVX-512 runs.
void emo_upsampled_sum_relu_mean(int first, int last, int height, int width, const float *full, int count,
                                 const emo_resample_map *maps, float *scratch, float *out, int portable);

/// One part of a parallel job: body(context, part).
typedef void (*emo_part_fn)(void *context, int part);

/// Runs body(context, part) for part < parts on the calling thread and `threads` − 1 helper
/// threads (started on the first call with threads > 1, whose count is kept for the process;
/// between jobs they spin for 0.1 ms, then park). Returns 0 without
/// running anything when another job holds the pool (a concurrent or nested caller): that caller
/// runs its parts some other way. Which thread runs a part is not fixed; the parts are.
int emo_pool_run(int threads, int parts, emo_part_fn body, void *context);

#ifdef __cplusplus
}
#endif

#endif
