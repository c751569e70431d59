// OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
#include <cblas.h>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

// Thread control; declared by OpenBLAS, not by the reference CBLAS header.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

/// Makes the calling thread flush subnormal floats to zero, in results (FTZ)
/// and in inputs (DAZ), and returns the previous mode for
/// recurrent_restore_floating_point_mode. Subnormals make every x86 multiply
/// a hundred times slower and carry no useful signal in training.
static inline unsigned int recurrent_flush_subnormals_to_zero(void) {
#if defined(__x86_64__)
    unsigned int previous = _mm_getcsr();
    _mm_setcsr(previous | 0x8040);
    return previous;
#else
    return 0;
#endif
}

/// Whether the calling thread flushes subnormals to zero (FTZ or DAZ set).
static inline int recurrent_flushes_subnormals(void) {
#if defined(__x86_64__)
    return (_mm_getcsr() & 0x8040) != 0;
#else
    return 0;
#endif
}

/// Restores a mode returned by recurrent_flush_subnormals_to_zero.
static inline void recurrent_restore_floating_point_mode(unsigned int mode) {
#if defined(__x86_64__)
    _mm_setcsr(mode);
#else
    (void)mode;
#endif
}
