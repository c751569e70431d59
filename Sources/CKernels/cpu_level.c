// Which kernel level this CPU and operating system can run, from cpuid and
// xgetbv: the instructions must exist and the OS must save the registers
// they use on a context switch (XCR0), or the first use faults.

#include "ckernels.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long extended_control_register(void) {
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((unsigned long long)high << 32) | low;
}

int recurrent_cpu_best_level(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return RECURRENT_LEVEL_PORTABLE;
    int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    if (!osxsave || !avx || !fma) return RECURRENT_LEVEL_PORTABLE;
    unsigned long long xcr0 = extended_control_register();
    if ((xcr0 & 0x6) != 0x6) return RECURRENT_LEVEL_PORTABLE;  // SSE and AVX state
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return RECURRENT_LEVEL_PORTABLE;
    if (!((ebx >> 5) & 1)) return RECURRENT_LEVEL_PORTABLE;  // AVX2
    int avx512 = ((ebx >> 16) & 1) && ((ebx >> 17) & 1) && ((ebx >> 30) & 1) && ((ebx >> 31) & 1);  // F, DQ, BW, VL
    if (avx512 && (xcr0 & 0xE6) == 0xE6) return RECURRENT_LEVEL_AVX512;  // plus opmask and ZMM state
    return RECURRENT_LEVEL_AVX2;
}

int recurrent_cpu_has_bf16(void) {
    if (recurrent_cpu_best_level() != RECURRENT_LEVEL_AVX512) return 0;
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
    return (eax >> 5) & 1;  // AVX512_BF16
}

extern const recurrent_kernels recurrent_kernels_avx2;
extern const recurrent_kernels recurrent_kernels_avx512;

const recurrent_kernels *recurrent_kernels_for_level(int level) {
    switch (level) {
    case RECURRENT_LEVEL_AVX2: return &recurrent_kernels_avx2;
    case RECURRENT_LEVEL_AVX512: return &recurrent_kernels_avx512;
    default: return NULL;
    }
}
#else
int recurrent_cpu_best_level(void) { return RECURRENT_LEVEL_PORTABLE; }

int recurrent_cpu_has_bf16(void) { return 0; }

const recurrent_kernels *recurrent_kernels_for_level(int level) {
    (void)level;
    return NULL;
}
#endif
