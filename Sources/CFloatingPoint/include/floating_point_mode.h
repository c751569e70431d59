#ifndef RECURRENT_FLOATING_POINT_MODE_H
#define RECURRENT_FLOATING_POINT_MODE_H

/// Makes the calling thread flush subnormal floats to zero and returns the
/// previous mode for `recurrent_restore_floating_point_mode`. Subnormals make
/// every multiply up to a hundred times slower and carry no useful signal in
/// training. x86-64: FTZ and DAZ in MXCSR; arm64: FZ in FPCR; elsewhere
/// nothing changes.
unsigned long recurrent_flush_subnormals_to_zero(void);

/// Whether the calling thread flushes subnormals to zero.
int recurrent_flushes_subnormals(void);

/// Restores a mode returned by `recurrent_flush_subnormals_to_zero`.
void recurrent_restore_floating_point_mode(unsigned long mode);

#endif
