#ifndef EMO_CONVOLUTION_LAYOUT_H
#define EMO_CONVOLUTION_LAYOUT_H
// The grids and scratch layouts shared by both builds of the direct-convolution drivers.

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "CEmoKernels.h"
#include "MicroKernels.h"

static inline int emo_is_pointwise(const emo_conv_shape *s) {
    return s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && s->ph == 0 && s->pw == 0;
}

/// The forward grid: phase planes of Hph × Wph per (channel, row phase, column phase); output
/// pixel (oh, ow) sits at oh·Wph + ow, and tap (ki, kj) reads phase (ki mod sh, kj mod sw) at
/// offset (ki / sh)·Wph + kj / sw from it. Columns ow ≥ Wo of the grid are discarded.
typedef struct {
    int ho, wo;
    int wph, hph;
    ptrdiff_t plane;     // Hph · Wph
    ptrdiff_t channel;   // sh · sw · plane
    ptrdiff_t q;         // Ho · Wph
    int k;               // cin · kh · kw
} emo_forward_grid;

static inline emo_forward_grid emo_make_forward_grid(const emo_conv_shape *s) {
    emo_forward_grid g;
    g.ho = emo_conv_output_height(s);
    g.wo = emo_conv_output_width(s);
    g.wph = g.wo + (s->kw - 1) / s->sw;
    g.hph = g.ho + (s->kh - 1) / s->sh + 1;
    g.plane = (ptrdiff_t)g.hph * g.wph;
    g.channel = (ptrdiff_t)s->sh * s->sw * g.plane;
    g.q = (ptrdiff_t)g.ho * g.wph;
    g.k = s->cin * s->kh * s->kw;
    return g;
}

/// The input-gradient grid: the padded input split into sh × sw phases of Hd × Wd, computed on
/// rows of Wg = Wd + B pixels from a zero-margined grid of dy (A rows above, B columns left).
typedef struct {
    int ho, wo;
    int hd, wd, a, b, wg, hg;
    ptrdiff_t q;         // Hd · Wg
    ptrdiff_t grid;      // Hg · Wg
    int max_taps;        // taps of phase (0, 0)
} emo_data_grid;

static inline emo_data_grid emo_make_data_grid(const emo_conv_shape *s) {
    emo_data_grid g;
    g.ho = emo_conv_output_height(s);
    g.wo = emo_conv_output_width(s);
    g.hd = (s->height + 2 * s->ph + s->sh - 1) / s->sh;
    g.wd = (s->width + 2 * s->pw + s->sw - 1) / s->sw;
    g.a = (s->kh - 1) / s->sh;
    g.b = (s->kw - 1) / s->sw;
    g.wg = g.wd + g.b;
    g.hg = g.hd + g.a + 1;
    g.q = (ptrdiff_t)g.hd * g.wg;
    g.grid = (ptrdiff_t)g.hg * g.wg;
    g.max_taps = (g.a + 1) * (g.b + 1);
    return g;
}

/// Taps of kernel rows (or columns) in phase p: p, p + s, … below k.
static inline int emo_phase_taps(int k, int s, int p) { return p < k ? (k - 1 - p) / s + 1 : 0; }

/// The indices i in [0, count) of stride phase `phase` whose image position i·stride + phase − pad
/// lies inside [0, size): [*low, *high).
static inline void emo_phase_span(int count, int stride, int phase, int pad, int size, int *low, int *high) {
    int i = 0;
    while (i < count && i * stride + phase - pad < 0) i++;
    *low = i;
    while (i < count && i * stride + phase - pad < size) i++;
    *high = i;
}

/// Copies `channels` planes of h × w into hp × wp planes at row `top`, column `left`, with zeros
/// everywhere else.
static inline void emo_copy_padded(const float *x, int channels, int h, int w, int top, int left, int hp, int wp,
                                   float *out) {
    const ptrdiff_t plane = (ptrdiff_t)hp * wp;
    for (int c = 0; c < channels; c++) {
        float *target = out + c * plane;
        // Each float written once: the zero rows above, each row with its zero margins, the zero
        // rows below.
        memset(target, 0, sizeof(float) * (size_t)top * wp);
        for (int r = 0; r < h; r++) {
            float *row = target + (ptrdiff_t)(r + top) * wp;
            memset(row, 0, sizeof(float) * (size_t)left);
            memcpy(row + left, x + ((ptrdiff_t)c * h + r) * w, sizeof(float) * (size_t)w);
            memset(row + left + w, 0, sizeof(float) * (size_t)(wp - left - w));
        }
        memset(target + (ptrdiff_t)(top + h) * wp, 0, sizeof(float) * (size_t)(hp - top - h) * wp);
    }
}

/// Output channels rounded up to whole 16-float vectors: the row length of the transposed
/// weight-gradient accumulator and of the transposed dy.
static inline int emo_padded_cout(const emo_conv_shape *s) { return (s->cout + 15) / 16 * 16; }

/// Rows of the transposed weight-gradient accumulator: cin·kh·kw rounded up to whole tiles.
static inline int emo_padded_k(const emo_conv_shape *s) {
    const int tile = EMO_OUTER_TILE_ROWS;
    return (s->cin * s->kh * s->kw + tile - 1) / tile * tile;
}

static inline size_t emo_aligned_floats(ptrdiff_t count) { return ((size_t)count * sizeof(float) + 63) & ~(size_t)63; }
static inline size_t emo_aligned_pointers(ptrdiff_t count) { return ((size_t)count * sizeof(void *) + 63) & ~(size_t)63; }

/// Cuts the next `bytes` (rounded up to 64) off the scratch cursor.
static inline void *emo_take(char **cursor, size_t bytes) {
    void *start = *cursor;
    *cursor += (bytes + 63) & ~(size_t)63;
    return start;
}

/// Whether the forward pass runs channel-vectorised (emo_cgemm_row): output channels fill whole
/// 16-float vectors and the column stride is 1 or 2. The input is then zero-padded, not split
/// into phases, and no output column is computed and discarded. Not below 16 products per output
/// (the one-channel stem: K = 9), where the channel-major store costs more than the product
/// (measured 18 against 40 GFLOP/s).
static inline int emo_forward_by_channels(const emo_conv_shape *s) {
    return !emo_is_pointwise(s) && s->cout % 16 == 0 && (s->sw == 1 || s->sw == 2) &&
           s->cin * s->kh * s->kw >= 16;
}

/// The zero-padded input of the channel-vectorised forward pass: Hp × Wp per channel.
typedef struct {
    int hp, wp;
    ptrdiff_t plane;  // Hp · Wp
} emo_padded_input;

static inline emo_padded_input emo_make_padded_input(const emo_conv_shape *s) {
    emo_padded_input p;
    p.hp = s->height + 2 * s->ph;
    p.wp = s->width + 2 * s->pw;
    p.plane = (ptrdiff_t)p.hp * p.wp;
    return p;
}

/// rows[(ki·kw + kj)·cin + c]: tap (ki, kj) of channel c in a zero-padded input, so that output
/// pixel (oh, ow) reads it at oh·sh·Wp + ow·sw. Tap-major (the K order of the channel-vectorised
/// forward and of the weight gradient), so that the taps of kernel rows ki0…ki1 − 1, or of kernel columns kj0…kj1 − 1 within one
/// kernel row, are one contiguous range of K.
static inline void emo_padded_rows_by_tap(const emo_conv_shape *s, const emo_padded_input *p, const float *padded,
                                          const float **rows) {
    for (int ki = 0; ki < s->kh; ki++)
        for (int kj = 0; kj < s->kw; kj++)
            for (int c = 0; c < s->cin; c++) *rows++ = padded + c * p->plane + (ptrdiff_t)ki * p->wp + kj;
}

/// p + shift floats, by integer arithmetic: a row pointer that may lie outside its array, read
/// only at offsets that bring it back inside.
static inline const float *emo_shifted(const float *p, ptrdiff_t shift) { return emo_offset(p, shift); }

/// rows[(ki·kw + kj)·cin + c]: tap (ki, kj) of channel c read where it is in x [cin][H][W], so
/// that output pixel (oh, ow) reads it at oh·sh·W + ow·sw. Valid only for pixels where that tap
/// lies inside the image (the pointer itself may lie outside x; it is formed by integer
/// arithmetic and only read at such pixels).
static inline void emo_image_rows_by_tap(const emo_conv_shape *s, const float *x, const float **rows) {
    const ptrdiff_t plane = (ptrdiff_t)s->height * s->width;
    for (int ki = 0; ki < s->kh; ki++)
        for (int kj = 0; kj < s->kw; kj++) {
            const ptrdiff_t shift = (ptrdiff_t)(ki - s->ph) * s->width + (kj - s->pw);
            for (int c = 0; c < s->cin; c++) *rows++ = emo_shifted(x + c * plane, shift);
        }
}

/// The taps [*first, *last) of output index i (stride, padding, input size, kernel size along one
/// axis) that read inside the image: i·stride + t − pad in [0, size).
static inline void emo_taps_inside(int i, int stride, int pad, int size, int kernel, int *first, int *last) {
    const int low = pad - i * stride, high = size + pad - i * stride;
    *first = low > 0 ? low : 0;
    *last = high < kernel ? high : kernel;
}

/// Output rows the channel-vectorised forward computes together: as many as keep their [rows][Wo]
/// [cout] tile within 64 KiB, at most 8.
static inline int emo_forward_band_rows(const emo_conv_shape *s, const emo_forward_grid *g) {
    const int rows = 16384 / (g->wo * s->cout);
    return rows < 1 ? 1 : rows > 8 ? 8 : rows;
}

static inline size_t emo_forward_scratch(const emo_conv_shape *s) {
    const emo_forward_grid g = emo_make_forward_grid(s);
    if (emo_forward_by_channels(s))
        return emo_aligned_floats((ptrdiff_t)emo_forward_band_rows(s, &g) * g.wo * s->cout) +
               emo_aligned_pointers(g.k) + emo_aligned_floats(2 * s->kh) + 64;
    if (emo_is_pointwise(s)) return emo_aligned_pointers(g.k) + 64;
    return emo_aligned_floats(s->cin * g.channel) + emo_aligned_floats(s->cout * g.q) + emo_aligned_pointers(g.k) + 64;
}

/// Whether the input gradient runs channel-vectorised (input channels in the vectors, one row
/// of a phase at a time): input channels in whole vectors, column stride 1 or 2.
static inline int emo_data_by_channels(const emo_conv_shape *s) {
    return !emo_is_pointwise(s) && s->cin % 16 == 0 && (s->sw == 1 || s->sw == 2);
}

static inline size_t emo_data_scratch(const emo_conv_shape *s) {
    const emo_data_grid g = emo_make_data_grid(s);
    if (emo_is_pointwise(s)) return emo_aligned_pointers(s->cout) + 64;
    if (emo_data_by_channels(s))
        return emo_aligned_floats((ptrdiff_t)s->width * s->cin) +
               emo_aligned_pointers((ptrdiff_t)s->sw * s->cout * g.max_taps) + emo_aligned_floats(2 * s->kh) + 64;
    return emo_aligned_floats(s->cout * g.grid) + emo_aligned_floats(s->cin * g.q) +
           emo_aligned_pointers((ptrdiff_t)s->cout * g.max_taps) + 64;
}

/// The smallest i ≥ 0 with i·stride ≥ target.
static inline int emo_first_reaching(int target, int stride) { return target <= 0 ? 0 : (target + stride - 1) / stride; }

/// The output pixels each tile of EMO_OUTER_TILE_ROWS tap-major weight-gradient rows
/// (emo_padded_rows_by_tap) needs: [bounds[4t], bounds[4t + 1]) × [bounds[4t + 2], bounds[4t + 3]),
/// the rows and columns where one of the tile's taps reads inside the image (empty for tiles of
/// padding rows only).
static inline void emo_weight_tile_bounds(const emo_conv_shape *s, const emo_forward_grid *g, int kpad, int *bounds) {
    const int tile = EMO_OUTER_TILE_ROWS;
    for (int t = 0; t < kpad / tile; t++) {
        int r0 = g->ho, r1 = 0, j0 = g->wo, j1 = 0;
        for (int k = t * tile; k < (t + 1) * tile && k < g->k; k++) {
            const int tap = k / s->cin, ki = tap / s->kw, kj = tap % s->kw;
            const int low = emo_first_reaching(s->ph - ki, s->sh), left = emo_first_reaching(s->pw - kj, s->sw);
            const int high = emo_first_reaching(s->height + s->ph - ki, s->sh);
            const int right = emo_first_reaching(s->width + s->pw - kj, s->sw);
            if (low < r0) r0 = low;
            if (high > r1) r1 = high;
            if (left < j0) j0 = left;
            if (right > j1) j1 = right;
        }
        bounds[4 * t] = r0;
        bounds[4 * t + 1] = r1 < g->ho ? r1 : g->ho;
        bounds[4 * t + 2] = j0;
        bounds[4 * t + 3] = j1 < g->wo ? j1 : g->wo;
    }
}

/// Whether the weight gradient reads x in place: a 1×1, or every tile of EMO_OUTER_TILE_ROWS rows
/// one tap (input channels a multiple of the tile), whose pixel bounds then leave out every read
/// of padding. Otherwise it reads zero-padded copies.
static inline int emo_weight_in_place(const emo_conv_shape *s) {
    return emo_is_pointwise(s) || s->cin % EMO_OUTER_TILE_ROWS == 0;
}

/// Floats from one image's weight-gradient input rows to the next: x itself, or the padded
/// copies back to back.
static inline ptrdiff_t emo_weight_rows_image(const emo_conv_shape *s) {
    if (emo_weight_in_place(s)) return (ptrdiff_t)s->cin * s->height * s->width;
    return s->cin * emo_make_padded_input(s).plane;
}

/// Images per weight-gradient micro-kernel sweep: as many as keep their input rows and dyᵀ within
/// 384 KiB (L2), at most 8. Each tile loads and stores its accumulators once per sweep.
static inline int emo_weight_group_images(const emo_conv_shape *s) {
    const emo_forward_grid g = emo_make_forward_grid(s);
    const ptrdiff_t floats = emo_weight_rows_image(s) + (ptrdiff_t)g.ho * g.wo * emo_padded_cout(s);
    const ptrdiff_t images = 98304 / floats;
    return images < 1 ? 1 : images > 8 ? 8 : (int)images;
}

static inline size_t emo_weight_scratch(const emo_conv_shape *s) {
    const emo_forward_grid g = emo_make_forward_grid(s);
    const int group = emo_weight_group_images(s);
    const size_t common = emo_aligned_floats((ptrdiff_t)group * g.ho * g.wo * emo_padded_cout(s)) +
                          emo_aligned_pointers(emo_padded_k(s)) + 64;
    const size_t bounds = emo_is_pointwise(s) ? 0 : emo_aligned_floats(4 * emo_padded_k(s));
    if (emo_weight_in_place(s)) return common + bounds;
    return common + bounds + emo_aligned_floats(group * emo_weight_rows_image(s));
}

#endif
