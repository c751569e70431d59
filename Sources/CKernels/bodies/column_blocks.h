// How the packed products split a thin matrix's columns into blocks (the
// float products of every level and the bfloat16 ones).

#ifndef RECURRENT_COLUMN_BLOCKS_H
#define RECURRENT_COLUMN_BLOCKS_H

/// The columns of block `index` of `blocks`, spread evenly over `n` columns
/// (50 columns are blocks of 13, 13, 12 and 12, not 16, 16, 16 and 2: a block
/// of two columns costs a quarter of a full one's time in dependent
/// multiply-adds for an eighth of its work).
static inline void column_block(int n, int blocks, int index, int *first, int *count) {
    int base = n / blocks, wider = n % blocks;
    *first = index * base + (index < wider ? index : wider);
    *count = base + (index < wider ? 1 : 0);
}

#endif
