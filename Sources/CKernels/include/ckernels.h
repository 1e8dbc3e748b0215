#ifndef GENOMEPREP_CKERNELS_H
#define GENOMEPREP_CKERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "gp_simd.h"

/// table[idx[i]] += 1 for every i, prefetching a few increments ahead so that the cache misses of
/// random increments into a large table overlap. Swift has no prefetch intrinsic; this is the only
/// reason this loop is in C.
void gp_increment_all(uint32_t *table, const uint32_t *idx, size_t n);

/* CRC-32 (the zlib/gzip polynomial) of len bytes, continuing from crc (0 to start), via libdeflate. */

/* The same increments, grouped first by the code's top bits (codes >> shift < 1024) through `scratch`,
   so that each group's increments stay within one cache-sized slice of the table. */
void gp_increment_partitioned(uint32_t *table, const uint32_t *codes, uint32_t *scratch, size_t n, unsigned shift);

#endif
