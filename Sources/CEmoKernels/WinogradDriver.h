#ifndef EMO_WINOGRAD_DRIVER_H
#define EMO_WINOGRAD_DRIVER_H

// The passes of Winograd F(m×m, 3×3), stride 1, that do not depend on m (WinogradDriver.c): tiling,
// scratch, bands of tile rows, the transformed products, the channel-major store, and the weight
// gradient's chunks. Each algorithm (Winograd.c: m = 2, Winograd4x4.c: m = 4) brings its transforms.

#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>

/// Lanes 0…n − 1 of a vector (all 16 for n ≥ 16).
static inline __mmask16 emo_first_lanes(int n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }
#endif

/// The tile grid of one image: Ho × Wo outputs in th × tw tiles of m × m, read from a zero-padded
/// input of hp × wp = (m·th + 2) × (m·tw + 2).
typedef struct {
    int elements;  // transformed elements per tile, (m + 2)²
    int ho, wo, th, tw, hp, wp;
    int band;  // tile rows per band
} emo_winograd_grid;

/// Floats after each row of an input transform's row buffer (vector reads past its end).
enum { EMO_WINOGRAD_ROW_MARGIN = 80 };

/// One algorithm: its tile and transforms.
typedef struct {
    int m;
    /// The kernel transform's (m + 2) × 3 matrix: U = G g Gᵀ.
    const float (*G)[3];
    /// V[e][c][t − first tile] for the tile rows [ty0, ty1) of one channel's padded plane, with a
    /// buffer s of m + 2 rows of wp + EMO_WINOGRAD_ROW_MARGIN floats (zero past wp).
    void (*input)(const emo_winograd_grid *g, int cin, const float *plane, int ty0, int ty1, float *v,
                  ptrdiff_t tiles, float *s);
    /// Aᵀ M A for the tiles of one tile row (the band's tiles from `first`; M [e][tiles][cout]) into m
    /// channels-last output rows rows_out [m][Wo][cout].
    void (*output)(const emo_winograd_grid *g, int cout, const float *m, ptrdiff_t tiles, ptrdiff_t first,
                   float *rows_out);
    /// V[e][t][cinp] for the tiles of tile row ty (t from `first`, `chunk` tiles per e) from the
    /// channels-last padded input xt [hp][wp][cinp].
    void (*input_row)(const emo_winograd_grid *g, int cinp, const float *xt, int ty, float *v, ptrdiff_t first,
                      ptrdiff_t chunk);
    /// dM[e][t][cout] = (A dy Aᵀ)[e] for the tiles of tile row ty, from dyᵀ [Ho·Wo][cout]; outputs
    /// past the image are zero.
    void (*gradient_row)(const emo_winograd_grid *g, int cout, const float *dyt, int ty, float *dm, ptrdiff_t first,
                         ptrdiff_t chunk);
} emo_winograd_algorithm;

/// Winograd F(2×2, 3×3) (Winograd.c) and F(4×4, 3×3) (Winograd4x4.c).
extern const emo_winograd_algorithm emo_winograd_f2x2, emo_winograd_f4x4;

/// Transformed kernels: (m + 2)² · cin · cout floats, U[e][cin][cout] = (G g Gᵀ)[e] from weight
/// [cout][cin][3][3]; rotate: the input gradient's kernel (g rotated by 180°, blocks [cout][cin],
/// for the forward of dy).
size_t emo_winograd_kernels_count(const emo_winograd_algorithm *a, int cin, int cout);
void emo_winograd_prepare(const emo_winograd_algorithm *a, int cin, int cout, const float *weight, int rotate,
                          float *u);

size_t emo_winograd_scratch_bytes(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph, int pw);
/// y [cout][Ho][Wo] from x [cin][h][w] zero-padded by ph, pw (ph, pw ≤ 2), with the epilogue.
void emo_winograd_image(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph, int pw,
                        const float *x, const float *u, const float *bias, const float *residual, int relu, float *y,
                        void *scratch);

size_t emo_winograd_weight_accumulator_count(const emo_winograd_algorithm *a, int cin, int cout);
size_t emo_winograd_weight_scratch_bytes(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph,
                                         int pw);
/// acc (the weight gradient in the transformed domain) += that of `count` consecutive images x
/// [cin][h][w], dy [cout][Ho][Wo].
void emo_winograd_weight_images(const emo_winograd_algorithm *a, int cin, int cout, int h, int w, int ph, int pw,
                                int count, const float *x, const float *dy, float *acc, void *scratch);
/// dw [cout][cin][3][3] = Gᵀ dU G from the accumulator.
void emo_winograd_finish_weight(const emo_winograd_algorithm *a, int cin, int cout, const float *acc, float *dw);

#endif
