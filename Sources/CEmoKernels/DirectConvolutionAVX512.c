// The direct-convolution drivers with every function built for AVX-512 (chosen at run time).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#define FN(name) name##_avx512
#define IGEMM emo_igemm_avx512
#define IGEMM_BY_ROWS emo_igemm_rows_avx512
#define OUTER emo_outer_avx512
#define PIXEL_MAJOR emo_pixel_major_avx512
#define CGEMM emo_cgemm_avx512
#define STORE_CHANNELS emo_store_channels_avx512
#define COPY_PADDED emo_copy_padded_avx512
#include "DirectConvolutionBody.h"
#pragma clang attribute pop
#endif
