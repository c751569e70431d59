#include "floating_point_mode.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
// FTZ (bit 15) flushes results, DAZ (bit 6) treats subnormal inputs as zero.
static const unsigned int flush_bits = 0x8040;

unsigned long recurrent_flush_subnormals_to_zero(void) {
    unsigned int previous = _mm_getcsr();
    _mm_setcsr(previous | flush_bits);
    return previous;
}

int recurrent_flushes_subnormals(void) { return (_mm_getcsr() & flush_bits) != 0; }

void recurrent_restore_floating_point_mode(unsigned long mode) { _mm_setcsr((unsigned int)mode); }

#elif defined(__aarch64__)
// FZ (bit 24) flushes both inputs and results of single-precision arithmetic.
static const unsigned long flush_bit = 1ul << 24;

static unsigned long read_fpcr(void) {
    unsigned long value;
    __asm__ volatile("mrs %0, fpcr" : "=r"(value));
    return value;
}

static void write_fpcr(unsigned long value) { __asm__ volatile("msr fpcr, %0" : : "r"(value)); }

unsigned long recurrent_flush_subnormals_to_zero(void) {
    unsigned long previous = read_fpcr();
    write_fpcr(previous | flush_bit);
    return previous;
}

int recurrent_flushes_subnormals(void) { return (read_fpcr() & flush_bit) != 0; }

void recurrent_restore_floating_point_mode(unsigned long mode) { write_fpcr(mode); }

#else
unsigned long recurrent_flush_subnormals_to_zero(void) { return 0; }

int recurrent_flushes_subnormals(void) { return 0; }

void recurrent_restore_floating_point_mode(unsigned long mode) { (void)mode; }
#endif
