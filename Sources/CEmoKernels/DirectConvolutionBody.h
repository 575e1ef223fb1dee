// The direct-convolution drivers, compiled twice: DirectConvolutionPortable.c (any x86-64 or
// other CPU) and DirectConvolutionAVX512.c (every function built for AVX-512, so the copies and
// scatters around the micro-kernels vectorise too). Each includer defines
//   FN(name)   the suffixed function name
//   IGEMM      the indirect-product micro-kernel (emo_igemm_fn)
//   IGEMM_BY_ROWS  the same by output rows with an epilogue (emo_igemm_rows_fn)
//   OUTER      the weight-gradient micro-kernel (emo_outer_fn)
//   PIXEL_MAJOR  the transposition of dy for it (emo_pixel_major_fn)
//   CGEMM      the channel-vectorised product over segments of K (emo_cgemm_fn)
//   STORE_CHANNELS  its channel-major store with the epilogue (emo_store_channels_fn)
//   COPY_PADDED  emo_copy_padded (ConvolutionLayout.h) or its vector version
// The layouts are in ConvolutionLayout.h; the method in include/CEmoKernels.h.

#include <string.h>
#include "ConvolutionLayout.h"
#include "MicroKernels.h"

static void FN(fill_phase_planes)(const emo_conv_shape *s, const emo_forward_grid *g, const float *x, float *planes) {
    for (int rp = 0; rp < s->sh; rp++) {
        for (int cp = 0; cp < s->sw; cp++) {
            // The columns C whose input column C·sw + cp − pw lies inside the image.
            int low, high;
            emo_phase_span(g->wph, s->sw, cp, s->pw, s->width, &low, &high);
            for (int c = 0; c < s->cin; c++) {
                const float *image = x + (ptrdiff_t)c * s->height * s->width;
                float *plane = planes + c * g->channel + (rp * s->sw + cp) * g->plane;
                for (int r = 0; r < g->hph; r++) {
                    float *row = plane + (ptrdiff_t)r * g->wph;
                    const int ih = r * s->sh + rp - s->ph;
                    if (ih < 0 || ih >= s->height) {
                        memset(row, 0, sizeof(float) * (size_t)g->wph);
                        continue;
                    }
                    const float *source = image + (ptrdiff_t)ih * s->width + (cp - s->pw);
                    for (int col = 0; col < low; col++) row[col] = 0;
                    if (s->sw == 1) {
                        memcpy(row + low, source + low, sizeof(float) * (size_t)(high - low));
                    } else if (s->sw == 2) {
                        for (int col = low; col < high; col++) row[col] = source[2 * col];
                    } else {
                        for (int col = low; col < high; col++) row[col] = source[col * s->sw];
                    }
                    for (int col = high; col < g->wph; col++) row[col] = 0;
                }
            }
        }
    }
}

/// The forward pass with output channels in the vectors, a band of output rows at a time: the
/// products into a [rows][Wo][cout] tile, then a channel-major store with the epilogue. The input
/// is read where it is, and no product reads padding: per output row, only the kernel rows inside
/// the image (K is tap-major, so they are one range); the edge columns whose taps reach the side
/// padding apart, one tile down the band's rows of equal kernel-row range, with only their kernel
/// columns inside the image.
static void FN(forward_by_channels)(const emo_conv_shape *s, const float *x, const float *forward_weights,
                                    const emo_epilogue *epilogue, float *y, char *cursor) {
    const emo_forward_grid g = emo_make_forward_grid(s);
    const int band = emo_forward_band_rows(s, &g);
    float *tile = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)band * g.wo * s->cout));
    const float **rows = emo_take(&cursor, emo_aligned_pointers(g.k));
    int *bounds = emo_take(&cursor, emo_aligned_floats(2 * s->kh));
    emo_image_rows_by_tap(s, x, rows);
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo, row_pitch = (ptrdiff_t)s->sh * s->width;
    const int taps_row = s->kw * s->cin;
    // Output columns [left, right) read no side padding.
    int left = 0, right = g.wo;
    while (left < g.wo && left * s->sw < s->pw) left++;
    while (right > left && (right - 1) * s->sw + s->kw - s->pw > s->width) right--;
    for (int r0 = 0; r0 < g.ho; r0 += band) {
        const int count = g.ho - r0 < band ? g.ho - r0 : band;
        for (int ow = 0; ow < g.wo; ow++) {
            if (ow == left) ow = right;
            if (ow >= g.wo) break;
            int kj0, kj1;
            emo_taps_inside(ow, s->sw, s->pw, s->width, s->kw, &kj0, &kj1);
            // Runs of rows with the same kernel rows inside the image, one tile each.
            for (int oh = r0, next; oh < r0 + count; oh = next) {
                int ki0, ki1;
                emo_taps_inside(oh, s->sh, s->ph, s->height, s->kh, &ki0, &ki1);
                for (next = oh + 1; next < r0 + count; next++) {
                    int k0, k1;
                    emo_taps_inside(next, s->sh, s->ph, s->height, s->kh, &k0, &k1);
                    if (k0 != ki0 || k1 != ki1) break;
                }
                int segments = 0;
                for (int ki = ki0; ki < ki1 && kj0 < kj1; ki++, segments++) {
                    bounds[2 * segments] = ki * taps_row + kj0 * s->cin;
                    bounds[2 * segments + 1] = ki * taps_row + kj1 * s->cin;
                }
                CGEMM(s->cout, next - oh, row_pitch, oh * row_pitch + (ptrdiff_t)ow * s->sw, segments, bounds, rows,
                      forward_weights, s->cout, tile + ((ptrdiff_t)(oh - r0) * g.wo + ow) * s->cout,
                      (ptrdiff_t)g.wo * s->cout);
            }
        }
        for (int oh = r0; oh < r0 + count && left < right; oh++) {
            int ki0, ki1;
            emo_taps_inside(oh, s->sh, s->ph, s->height, s->kh, &ki0, &ki1);
            const int row_bounds[2] = {ki0 * taps_row, ki1 * taps_row};
            CGEMM(s->cout, right - left, s->sw, oh * row_pitch + (ptrdiff_t)left * s->sw, ki0 < ki1, row_bounds, rows,
                  forward_weights, s->cout, tile + ((ptrdiff_t)(oh - r0) * g.wo + left) * s->cout, s->cout);
        }
        const ptrdiff_t at = (ptrdiff_t)r0 * g.wo;
        const emo_epilogue part = {epilogue->bias, epilogue->residual ? epilogue->residual + at : NULL, epilogue->relu};
        STORE_CHANNELS(s->cout, count * g.wo, 1, tile, y + at, plane_out, &part);
    }
}

static void FN(forward_rows)(const emo_conv_shape *s, const emo_forward_grid *g, const float *planes, const float **rows) {
    for (int c = 0; c < s->cin; c++)
        for (int ki = 0; ki < s->kh; ki++)
            for (int kj = 0; kj < s->kw; kj++)
                *rows++ = planes + c * g->channel + ((ki % s->sh) * s->sw + kj % s->sw) * g->plane +
                          (ki / s->sh) * g->wph + kj / s->sw;
}

void FN(emo_conv_forward_image)(const emo_conv_shape *s, const float *x, const float *forward_weights,
                                const float *bias, const float *residual, int relu, float *y, void *scratch) {
    const emo_forward_grid g = emo_make_forward_grid(s);
    char *cursor = scratch;
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    const emo_epilogue epilogue = {bias, residual, relu};
    if (emo_forward_by_channels(s)) {
        FN(forward_by_channels)(s, x, forward_weights, &epilogue, y, cursor);
        return;
    }
    if (emo_is_pointwise(s)) {
        const float **rows = emo_take(&cursor, emo_aligned_pointers(g.k));
        for (int c = 0; c < s->cin; c++) rows[c] = x + (ptrdiff_t)c * s->height * s->width;
        IGEMM_BY_ROWS(s->cout, 1, (int)g.q, 0, g.k, rows, forward_weights, s->cout, y, plane_out, &epilogue);
        return;
    }
    float *planes = emo_take(&cursor, emo_aligned_floats(s->cin * g.channel));
    const float **rows = emo_take(&cursor, emo_aligned_pointers(g.k));
    FN(fill_phase_planes)(s, &g, x, planes);
    FN(forward_rows)(s, &g, planes, rows);
    // Row by row straight into y (epilogue in registers) when whole rows fill the 16-lane vectors
    // about as well as the flat grid does; otherwise on the flat grid, whose Wph − Wo discarded
    // columns per row waste less on narrow images, and one compaction pass.
    const int lanes = (g.wo + 15) / 16 * 16;
    if ((double)(lanes - g.wo) / lanes <= (double)(g.wph - g.wo) / g.wph + 0.05) {
        IGEMM_BY_ROWS(s->cout, g.ho, g.wo, g.wph, g.k, rows, forward_weights, s->cout, y, plane_out, &epilogue);
        return;
    }
    float *grid = emo_take(&cursor, emo_aligned_floats(s->cout * g.q));
    IGEMM(s->cout, (int)g.q, g.k, rows, forward_weights, s->cout, grid, g.q);
    const ptrdiff_t grid_row = g.wph;
    // One pass from the grid to y: drop the discarded columns, add the bias and the residual,
    // apply the ReLU.
    for (int co = 0; co < s->cout; co++) {
        const float b = bias ? bias[co] : 0;
        const float *source = grid + co * g.q;
        float *target = y + co * plane_out;
        const float *shortcut = residual ? residual + co * plane_out : NULL;
        for (int oh = 0; oh < g.ho; oh++) {
            const float *in = source + (ptrdiff_t)oh * grid_row;
            float *out = target + (ptrdiff_t)oh * g.wo;
            if (shortcut) {
                const float *r = shortcut + (ptrdiff_t)oh * g.wo;
                if (relu) {
                    for (int ow = 0; ow < g.wo; ow++) {
                        const float v = in[ow] + b + r[ow];
                        out[ow] = v > 0 ? v : 0;
                    }
                } else {
                    for (int ow = 0; ow < g.wo; ow++) out[ow] = in[ow] + b + r[ow];
                }
            } else if (relu) {
                for (int ow = 0; ow < g.wo; ow++) out[ow] = in[ow] + b > 0 ? in[ow] + b : 0;
            } else {
                for (int ow = 0; ow < g.wo; ow++) out[ow] = in[ow] + b;
            }
        }
    }
}

/// The input gradient with input channels in the vectors: per row phase, every row of dx is put
/// together from its column phases (column iw = c·sw + cp − pw of phase cp), each product written
/// straight into its interleaved columns of one [W][cin] row, which is then stored whole. dy is
/// read where it is, and no product reads outside it: per row, only the kernel rows a whose dy row
/// r − a is inside dy (K is tap-major per phase, so they are one range); the edge columns whose
/// taps b reach outside dy apart, one pixel each, with only their taps inside.
static void FN(backward_data_by_channels)(const emo_conv_shape *s, const emo_data_grid *g, const float *dy,
                                         const float *data_weights, const float **rows, int *bounds, float *line,
                                         float *dx) {
    const ptrdiff_t plane_in = (ptrdiff_t)s->height * s->width, plane_out = (ptrdiff_t)g->ho * g->wo;
    const ptrdiff_t phase_rows = (ptrdiff_t)s->cout * g->max_taps;
    const emo_epilogue none = {NULL, NULL, 0};
    const float *weights = data_weights;
    for (int rp = 0; rp < s->sh; rp++) {
        int rlow, rhigh;
        emo_phase_span(g->hd, s->sh, rp, s->ph, s->height, &rlow, &rhigh);
        const float *phase_weights[2];
        int clow[2], chigh[2], nas[2], nbs[2];
        for (int cp = 0; cp < s->sw; cp++) {
            emo_phase_span(g->wd, s->sw, cp, s->pw, s->width, &clow[cp], &chigh[cp]);
            const int na = emo_phase_taps(s->kh, s->sh, rp), nb = emo_phase_taps(s->kw, s->sw, cp);
            nas[cp] = na;
            nbs[cp] = nb;
            // Tap (a, b) of phase row r, column c reads dy row r − a, column c − b: at r·Wo + c from
            // its pointer.
            const float **phase = rows + cp * phase_rows;
            for (int a = 0; a < na; a++)
                for (int b = 0; b < nb; b++)
                    for (int co = 0; co < s->cout; co++)
                        phase[(a * nb + b) * s->cout + co] = emo_shifted(dy + co * plane_out, -((ptrdiff_t)a * g->wo + b));
            phase_weights[cp] = weights;
            weights += (ptrdiff_t)s->cout * na * nb * s->cin;
        }
        for (int r = rlow; r < rhigh; r++) {
            for (int cp = 0; cp < s->sw; cp++) {
                float *first = line + (ptrdiff_t)(clow[cp] * s->sw + cp - s->pw) * s->cin;
                const ptrdiff_t pitch = (ptrdiff_t)s->sw * s->cin;
                const int na = nas[cp], nb = nbs[cp];
                // Kernel rows a whose dy row r − a is inside dy: a in (r − Ho, r].
                const int a0 = r - g->ho + 1 > 0 ? r - g->ho + 1 : 0, a1 = r + 1 < na ? r + 1 : na;
                if (na * nb == 0 || a0 >= a1) {
                    for (int c = clow[cp]; c < chigh[cp]; c++)
                        memset(first + (c - clow[cp]) * pitch, 0, sizeof(float) * (size_t)s->cin);
                    continue;
                }
                const float **phase = rows + cp * phase_rows;
                // Columns whose taps b < nb all read inside dy: c − b in [0, Wo).
                int c0 = nb - 1 > clow[cp] ? nb - 1 : clow[cp], c1 = g->wo < chigh[cp] ? g->wo : chigh[cp];
                if (c1 < c0) c1 = c0;
                const int row_bounds[2] = {a0 * nb * s->cout, a1 * nb * s->cout};
                if (c0 < c1)
                    CGEMM(s->cin, c1 - c0, 1, (ptrdiff_t)r * g->wo + c0, 1, row_bounds, phase, phase_weights[cp], s->cin,
                          first + (c0 - clow[cp]) * pitch, pitch);
                for (int c = clow[cp]; c < chigh[cp]; c++) {
                    if (c == c0) c = c1;
                    if (c >= chigh[cp]) break;
                    const int b0 = c - g->wo + 1 > 0 ? c - g->wo + 1 : 0, b1 = c + 1 < nb ? c + 1 : nb;
                    int segments = 0;
                    for (int a = a0; a < a1 && b0 < b1; a++, segments++) {
                        bounds[2 * segments] = (a * nb + b0) * s->cout;
                        bounds[2 * segments + 1] = (a * nb + b1) * s->cout;
                    }
                    CGEMM(s->cin, 1, 1, (ptrdiff_t)r * g->wo + c, segments, bounds, phase, phase_weights[cp], s->cin,
                          first + (c - clow[cp]) * pitch, pitch);
                }
            }
            STORE_CHANNELS(s->cin, s->width, 1, line, dx + (ptrdiff_t)(r * s->sh + rp - s->ph) * s->width, plane_in,
                           &none);
        }
    }
}

void FN(emo_conv_backward_data_image)(const emo_conv_shape *s, const float *dy, const float *data_weights, float *dx,
                                      void *scratch) {
    const emo_data_grid g = emo_make_data_grid(s);
    char *cursor = scratch;
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo, plane_in = (ptrdiff_t)s->height * s->width;
    if (emo_is_pointwise(s)) {
        const float **rows = emo_take(&cursor, emo_aligned_pointers(s->cout));
        for (int co = 0; co < s->cout; co++) rows[co] = dy + co * plane_out;
        IGEMM(s->cin, (int)plane_in, s->cout, rows, data_weights, s->cin, dx, plane_in);
        return;
    }
    if (emo_data_by_channels(s)) {
        // One [W][cin] row of dx at a time; one set of dy-row pointers per column phase.
        float *line = emo_take(&cursor, emo_aligned_floats((ptrdiff_t)s->width * s->cin));
        const float **rows = emo_take(&cursor, emo_aligned_pointers((ptrdiff_t)s->sw * s->cout * g.max_taps));
        int *bounds = emo_take(&cursor, emo_aligned_floats(2 * s->kh));
        FN(backward_data_by_channels)(s, &g, dy, data_weights, rows, bounds, line, dx);
        return;
    }
    float *dygrid = emo_take(&cursor, emo_aligned_floats(s->cout * g.grid));
    // The phase's result: [cin][Hd·Wg] on the grid.
    float *grid = emo_take(&cursor, emo_aligned_floats(s->cin * g.q));
    const float **rows = emo_take(&cursor, emo_aligned_pointers((ptrdiff_t)s->cout * g.max_taps));
    // dy with A zero rows above and B zero columns left of each row (Wg = Wd + B: the next row's
    // margin follows each row's Wd − Wo zeros).
    COPY_PADDED(dy, s->cout, g.ho, g.wo, g.a, g.b, g.hg, g.wg, dygrid);
    const float *weights = data_weights;
    for (int rp = 0; rp < s->sh; rp++) {
        // Rows r of this phase inside the image: ih = r·sh + rp − ph ∈ [0, H).
        int rlow, rhigh;
        emo_phase_span(g.hd, s->sh, rp, s->ph, s->height, &rlow, &rhigh);
        for (int cp = 0; cp < s->sw; cp++) {
            int clow, chigh;
            emo_phase_span(g.wd, s->sw, cp, s->pw, s->width, &clow, &chigh);
            const int na = emo_phase_taps(s->kh, s->sh, rp), nb = emo_phase_taps(s->kw, s->sw, cp);
            const int taps = na * nb;
            if (taps > 0) {
                for (int co = 0; co < s->cout; co++)
                    for (int a = 0; a < na; a++)
                        for (int b = 0; b < nb; b++)
                            rows[(a * nb + b) * s->cout + co] =
                                dygrid + co * g.grid + (ptrdiff_t)(g.a - a + rlow) * g.wg + (g.b - b);
                // Only the grid rows that hold pixels of the image (not its padding).
                IGEMM(s->cin, (rhigh - rlow) * g.wg, s->cout * taps, rows, weights, s->cin, grid + (ptrdiff_t)rlow * g.wg,
                      g.q);
                weights += (ptrdiff_t)s->cout * taps * s->cin;
            }
            // Scatter the phase's pixels that fall inside the image.
            for (int ci = 0; ci < s->cin; ci++) {
                const float *source = grid + ci * g.q;
                for (int r = rlow; r < rhigh; r++) {
                    float *target = dx + ci * plane_in + (ptrdiff_t)(r * s->sh + rp - s->ph) * s->width + (cp - s->pw);
                    const float *line = source + (ptrdiff_t)r * g.wg;
                    if (taps == 0) {
                        for (int c = clow; c < chigh; c++) target[c * s->sw] = 0;
                    } else if (s->sw == 1) {
                        memcpy(target + clow, line + clow, sizeof(float) * (size_t)(chigh - clow));
                    } else if (s->sw == 2) {
                        for (int c = clow; c < chigh; c++) target[2 * c] = line[c];
                    } else {
                        for (int c = clow; c < chigh; c++) target[c * s->sw] = line[c];
                    }
                }
            }
        }
    }
}

void FN(emo_conv_backward_weight_images)(const emo_conv_shape *s, int count, const float *x, const float *dy,
                                         float *weight_accumulator, void *scratch) {
    const emo_forward_grid g = emo_make_forward_grid(s);
    const emo_padded_input p = emo_make_padded_input(s);
    const int pointwise = emo_is_pointwise(s), in_place = emo_weight_in_place(s);
    const ptrdiff_t plane_out = (ptrdiff_t)g.ho * g.wo;
    const ptrdiff_t image_in = (ptrdiff_t)s->cin * s->height * s->width, image_out = (ptrdiff_t)s->cout * plane_out;
    const int n = emo_padded_cout(s), kpad = emo_padded_k(s), group = emo_weight_group_images(s);
    // A group of images at a time, each micro-kernel tile over all of them: their inputs (x itself,
    // or padded copies back to back) and their dyᵀ [Ho·Wo][n] (zero in the padded channels).
    // Rows tap-major: tap (ki, kj) of output pixel (oh, ow) reads input row oh·sh + ki − ph, column
    // ow·sw + kj − pw, and each tile of rows sums only the output pixels where one of its taps
    // reads inside the image (all of them, for a tile of one tap: then x is read in place).
    const ptrdiff_t rows_image = emo_weight_rows_image(s), dyt_image = plane_out * n;
    char *cursor = scratch;
    float *dyt = emo_take(&cursor, emo_aligned_floats(group * dyt_image));
    const float **rows = emo_take(&cursor, emo_aligned_pointers(kpad));
    float *padded = in_place ? NULL : emo_take(&cursor, emo_aligned_floats(group * rows_image));
    int *bounds = NULL;
    if (!pointwise) {
        bounds = emo_take(&cursor, emo_aligned_floats(4 * kpad));
        emo_weight_tile_bounds(s, &g, kpad, bounds);
    }
    if (!in_place) emo_padded_rows_by_tap(s, &p, padded, rows);
    const ptrdiff_t pitch = (ptrdiff_t)s->sh * (in_place ? s->width : p.wp);
    for (int first = 0; first < count; first += group) {
        const int images = count - first < group ? count - first : group;
        if (in_place) emo_image_rows_by_tap(s, x + first * image_in, rows);
        // The padding rows of K read any real row (their sums are never read).
        for (int k = g.k; k < kpad; k++) rows[k] = rows[0];
        for (int i = 0; i < images; i++) {
            if (!in_place)
                COPY_PADDED(x + (first + i) * image_in, s->cin, s->height, s->width, s->ph, s->pw, p.hp, p.wp,
                            padded + i * rows_image);
            PIXEL_MAJOR(s->cout, plane_out, dy + (first + i) * image_out, plane_out, n, dyt + i * dyt_image);
        }
        OUTER(kpad, n, images, rows_image, dyt_image, g.ho, g.wo, pitch, s->sw, rows, dyt, bounds,
              weight_accumulator);
    }
}
