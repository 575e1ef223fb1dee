// The direct-convolution drivers for any CPU (the portable micro-kernels).
#define FN(name) name##_portable
#define IGEMM emo_igemm_portable
#define IGEMM_BY_ROWS emo_igemm_rows_portable
#define OUTER emo_outer_portable
#define PIXEL_MAJOR emo_pixel_major_portable
#define CGEMM emo_cgemm_portable
#define STORE_CHANNELS emo_store_channels_portable
#define COPY_PADDED emo_copy_padded
#include "DirectConvolutionBody.h"
