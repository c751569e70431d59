// OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
#include <cblas.h>

// Thread control and kernel report; declared by OpenBLAS, not by the
// reference CBLAS header.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
