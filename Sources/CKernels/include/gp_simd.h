#ifndef GENOMEPREP_SIMD_H
#define GENOMEPREP_SIMD_H
/* The byte loops of FASTA reading and tokenizing, in one binary for every x86-64 machine: each kernel has
 * a scalar version (the reference the tests compare against), an SSE2 one (baseline x86-64), an AVX2 one
 * and an AVX-512 one (BW + VBMI2, for vpcompressb), picked once at run time by a CPUID check
 * (__builtin_cpu_supports). Off x86-64 only the scalar versions exist.
 *
 * Base codes: A 0, C 1, G 2, T 3, N 4; bit 3 (8) set when the input byte was lowercase (soft-masked). */
#include <stddef.h>
#include <stdint.h>

enum { GP_SIMD_SCALAR = 0, GP_SIMD_SSE2 = 1, GP_SIMD_AVX2 = 2, GP_SIMD_AVX512 = 3 };

/* The best level this CPU supports, lowered by GENOMEPREP_SIMD=scalar|sse2|avx2 when set (cached: cheap to call per use). */
int gp_simd_level(void);
/* The widest level this CPU supports (ignores GENOMEPREP_SIMD). */
int gp_simd_supported(void);
/* "scalar", "sse2", "avx2" or "avx512". */
const char *gp_simd_name(int level);

typedef struct {
    size_t consumed;   /* source bytes read: everything before the first byte that is not a base or '\n' */
    size_t written;    /* codes written to dst */
    size_t newlines;   /* '\n' bytes among the consumed ones */
    size_t n;          /* N/n among the written codes */
    size_t lower;      /* lowercase bases among the written codes */
} gp_seq_scan;

/* Reads FASTA sequence text: every byte in A C G T N (either case) becomes its code in dst, '\n' is
 * dropped, and the scan stops at the first other byte (a '>' header, CR, space, IUPAC code or an invalid
 * byte), which the caller handles. dst must have room for n + 64 bytes (vector stores overrun by < 64).
 * `level` picks the implementation (gp_simd_level() for the best; a level above the CPU's is lowered). */
void gp_fasta_seq(int level, const uint8_t *src, size_t n, uint8_t *dst, gp_seq_scan *out);

/* Counts the codes with bit 2 (N) and with bit 3 (soft-masked). */
void gp_count_n_lower(int level, const uint8_t *codes, size_t n, size_t *n_count, size_t *lower_count);

/* dst[i] = table[src[i] & 15]: character token ids from base codes (a 16-entry table). */
void gp_map_codes(int level, const uint8_t *src, size_t n, const uint8_t table[16], uint8_t *dst);

/* Codes whose base is C or G (1 or 2), soft-masked or not. */
size_t gp_count_gc(int level, const uint8_t *codes, size_t n);

/* One bit per code, set where the code is soft-masked (bit 3), least significant bit first: bits[i / 8] bit
 * i % 8. Writes (n + 7) / 8 bytes; the unused high bits of the last byte are 0. */
void gp_mask_bits(int level, const uint8_t *codes, size_t n, uint8_t *bits);

/* dst[i] = complement(src[n - 1 - i]): A<->T, C<->G (code ^ 3), N stays, the soft-mask bit kept. */
void gp_reverse_complement(int level, const uint8_t *src, size_t n, uint8_t *dst);

#endif
