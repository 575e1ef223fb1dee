// The direct-convolution drivers for any CPU (the portable micro-kernels).
#define FN(name) name##_portable
#define IGEMM emo_igemm_portable
#define OUTER emo_outer_portable
#include "DirectConvolutionBody.h"
