// OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
#include <cblas.h>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

// Thread control; declared by OpenBLAS, not by the reference CBLAS header.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

/// Makes the calling thread flush subnormal floats to zero, in results (FTZ)
/// and in inputs (DAZ). Subnormals make every x86 multiply a hundred times
/// slower and carry no useful signal in training.
static inline void recurrent_flush_subnormals_to_zero(void) {
#if defined(__x86_64__)
    _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}
