#include "gp_simd.h"
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* ---------- scalar (the reference) ---------- */

/* Byte -> code for A C G T N in either case (bit 3 set for lowercase), 0x40 for '\n', 0x80 for every other
   byte: one table lookup and no data-dependent branch per base (a switch mispredicts on random bases). */
static const uint8_t seq_table[256] = {
    [0 ... 255] = 0x80, ['\n'] = 0x40,
    ['A'] = 0, ['C'] = 1, ['G'] = 2, ['T'] = 3, ['N'] = 4,
    ['a'] = 8, ['c'] = 9, ['g'] = 10, ['t'] = 11, ['n'] = 12,
};

static void seq_scalar(const uint8_t *src, size_t n, uint8_t *dst, gp_seq_scan *r, size_t i) {
    size_t w = r->written, nl = r->newlines, nn = r->n, lo = r->lower;
    for (; i < n; i++) {
        uint8_t t = seq_table[src[i]];
        if (t & 0x80) break;
        dst[w] = t;                       /* a newline's 0x40 is written and then overwritten: w does not move */
        size_t isnl = t >> 6;
        w += 1 - isnl; nl += isnl;
        nn += (t >> 2) & 1; lo += (t >> 3) & 1;
    }
    r->consumed = i; r->written = w; r->newlines = nl; r->n = nn; r->lower = lo;
}

static void count_scalar(const uint8_t *p, size_t n, size_t *nn, size_t *lo, size_t i) {
    size_t a = 0, b = 0;
    for (; i < n; i++) { a += (p[i] >> 2) & 1; b += (p[i] >> 3) & 1; }
    *nn += a; *lo += b;
}

static void map_scalar(const uint8_t *src, size_t n, const uint8_t t[16], uint8_t *dst, size_t i) {
    for (; i < n; i++) dst[i] = t[src[i] & 15];
}

static size_t gc_scalar(const uint8_t *p, size_t n, size_t i) {
    size_t c = 0;
    for (; i < n; i++) { uint8_t b = p[i] & 7; c += (b == 1) | (b == 2); }
    return c;
}

static void bits_scalar(const uint8_t *p, size_t n, uint8_t *bits, size_t i) {
    /* i is a multiple of 8 */
    for (; i < n; i += 8) {
        uint8_t byte = 0;
        for (size_t k = 0; k < 8 && i + k < n; k++) byte |= (uint8_t)(((p[i + k] >> 3) & 1) << k);
        bits[i / 8] = byte;
    }
}

static inline uint8_t comp(uint8_t c) { return (c & 4) ? c : (uint8_t)(c ^ 3); }

static void rc_scalar(const uint8_t *src, size_t n, uint8_t *dst, size_t i) {
    for (; i < n; i++) dst[i] = comp(src[n - 1 - i]);
}

#if defined(__x86_64__)
/* ---------- SSE2: 16 bytes at a time (every x86-64 has it) ---------- */

static void seq_sse2(const uint8_t *src, size_t n, uint8_t *dst, gp_seq_scan *r) {
    const __m128i df = _mm_set1_epi8((char)0xDF), bit20 = _mm_set1_epi8(0x20), nlv = _mm_set1_epi8('\n');
    const __m128i A = _mm_set1_epi8('A'), C = _mm_set1_epi8('C'), G = _mm_set1_epi8('G'), T = _mm_set1_epi8('T'), N = _mm_set1_epi8('N');
    const __m128i one = _mm_set1_epi8(1), two = _mm_set1_epi8(2), three = _mm_set1_epi8(3), four = _mm_set1_epi8(4), eight = _mm_set1_epi8(8);
    size_t i = 0, w = r->written, nl = r->newlines, nn = r->n, lo = r->lower;
    uint8_t tmp[48] = {0};
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        __m128i u = _mm_and_si128(v, df);
        __m128i mA = _mm_cmpeq_epi8(u, A), mC = _mm_cmpeq_epi8(u, C), mG = _mm_cmpeq_epi8(u, G);
        __m128i mT = _mm_cmpeq_epi8(u, T), mN = _mm_cmpeq_epi8(u, N), mL = _mm_cmpeq_epi8(v, nlv);
        __m128i ok = _mm_or_si128(_mm_or_si128(_mm_or_si128(mA, mC), _mm_or_si128(mG, mT)), _mm_or_si128(mN, mL));
        if (_mm_movemask_epi8(ok) != 0xFFFF) break;
        __m128i low = _mm_cmpeq_epi8(_mm_and_si128(v, bit20), bit20);
        __m128i code = _mm_or_si128(_mm_or_si128(_mm_and_si128(mC, one), _mm_and_si128(mG, two)),
                                    _mm_or_si128(_mm_and_si128(mT, three), _mm_and_si128(mN, four)));
        code = _mm_or_si128(code, _mm_and_si128(low, eight));
        unsigned ml = (unsigned)_mm_movemask_epi8(mL);
        nn += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(mN));
        lo += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(low));
        if (ml == 0) {
            _mm_storeu_si128((__m128i *)(dst + w), code);
            w += 16;
        } else {
            /* Drop the newlines: copy each run between them with one unaligned 16-byte store. */
            _mm_storeu_si128((__m128i *)tmp, code);
            unsigned pos = 0;
            while (ml) {
                unsigned p = (unsigned)__builtin_ctz(ml);
                _mm_storeu_si128((__m128i *)(dst + w), _mm_loadu_si128((const __m128i *)(tmp + pos)));
                w += p - pos; pos = p + 1; ml &= ml - 1; nl++;
            }
            _mm_storeu_si128((__m128i *)(dst + w), _mm_loadu_si128((const __m128i *)(tmp + pos)));
            w += 16 - pos;
        }
        i += 16;
    }
    r->written = w; r->newlines = nl; r->n = nn; r->lower = lo;
    seq_scalar(src, n, dst, r, i);
}

static void count_sse2(const uint8_t *p, size_t n, size_t *nn, size_t *lo) {
    const __m128i four = _mm_set1_epi8(4), eight = _mm_set1_epi8(8);
    size_t i = 0, a = 0, b = 0;
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        a += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, four), four)));
        b += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, eight), eight)));
        i += 16;
    }
    *nn += a; *lo += b;
    count_scalar(p, n, nn, lo, i);
}

static size_t gc_sse2(const uint8_t *p, size_t n) {
    const __m128i seven = _mm_set1_epi8(7), one = _mm_set1_epi8(1), two = _mm_set1_epi8(2);
    size_t i = 0, c = 0;
    while (i + 16 <= n) {
        __m128i b = _mm_and_si128(_mm_loadu_si128((const __m128i *)(p + i)), seven);
        c += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(b, one), _mm_cmpeq_epi8(b, two))));
        i += 16;
    }
    return c + gc_scalar(p, n, i);
}

static void bits_sse2(const uint8_t *p, size_t n, uint8_t *bits) {
    size_t i = 0;
    while (i + 16 <= n) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_slli_epi16(_mm_loadu_si128((const __m128i *)(p + i)), 4));
        bits[i / 8] = (uint8_t)m; bits[i / 8 + 1] = (uint8_t)(m >> 8);
        i += 16;
    }
    bits_scalar(p, n, bits, i);
}

/* ---------- AVX2: 32 bytes at a time ---------- */

__attribute__((target("avx2,popcnt,bmi")))
static void seq_avx2(const uint8_t *src, size_t n, uint8_t *dst, gp_seq_scan *r) {
    const __m256i df = _mm256_set1_epi8((char)0xDF), bit20 = _mm256_set1_epi8(0x20), nlv = _mm256_set1_epi8('\n');
    const __m256i A = _mm256_set1_epi8('A'), C = _mm256_set1_epi8('C'), G = _mm256_set1_epi8('G'), T = _mm256_set1_epi8('T'), N = _mm256_set1_epi8('N');
    const __m256i one = _mm256_set1_epi8(1), two = _mm256_set1_epi8(2), three = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4), eight = _mm256_set1_epi8(8);
    size_t i = 0, w = r->written, nl = r->newlines, nn = r->n, lo = r->lower;
    uint8_t tmp[96] = {0};
    while (i + 32 <= n) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i u = _mm256_and_si256(v, df);
        __m256i mA = _mm256_cmpeq_epi8(u, A), mC = _mm256_cmpeq_epi8(u, C), mG = _mm256_cmpeq_epi8(u, G);
        __m256i mT = _mm256_cmpeq_epi8(u, T), mN = _mm256_cmpeq_epi8(u, N), mL = _mm256_cmpeq_epi8(v, nlv);
        __m256i ok = _mm256_or_si256(_mm256_or_si256(_mm256_or_si256(mA, mC), _mm256_or_si256(mG, mT)), _mm256_or_si256(mN, mL));
        if ((unsigned)_mm256_movemask_epi8(ok) != 0xFFFFFFFFu) break;
        __m256i low = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit20), bit20);
        __m256i code = _mm256_or_si256(_mm256_or_si256(_mm256_and_si256(mC, one), _mm256_and_si256(mG, two)),
                                       _mm256_or_si256(_mm256_and_si256(mT, three), _mm256_and_si256(mN, four)));
        code = _mm256_or_si256(code, _mm256_and_si256(low, eight));
        unsigned ml = (unsigned)_mm256_movemask_epi8(mL);
        nn += (size_t)_mm_popcnt_u32((unsigned)_mm256_movemask_epi8(mN));
        lo += (size_t)_mm_popcnt_u32((unsigned)_mm256_movemask_epi8(low));
        if (ml == 0) {
            _mm256_storeu_si256((__m256i *)(dst + w), code);
            w += 32;
        } else {
            _mm256_storeu_si256((__m256i *)tmp, code);
            unsigned pos = 0;
            while (ml) {
                unsigned p = (unsigned)__builtin_ctz(ml);
                _mm256_storeu_si256((__m256i *)(dst + w), _mm256_loadu_si256((const __m256i *)(tmp + pos)));
                w += p - pos; pos = p + 1; ml &= ml - 1; nl++;
            }
            _mm256_storeu_si256((__m256i *)(dst + w), _mm256_loadu_si256((const __m256i *)(tmp + pos)));
            w += 32 - pos;
        }
        i += 32;
    }
    r->written = w; r->newlines = nl; r->n = nn; r->lower = lo;
    seq_scalar(src, n, dst, r, i);
}

__attribute__((target("avx2,popcnt")))
static void count_avx2(const uint8_t *p, size_t n, size_t *nn, size_t *lo) {
    size_t i = 0, a = 0, b = 0;
    while (i + 32 <= n) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
        /* bit 2 -> sign bit with a shift by 5, bit 3 by 4 (per 16-bit lane; movemask reads each byte's sign) */
        a += (size_t)_mm_popcnt_u32((unsigned)_mm256_movemask_epi8(_mm256_slli_epi16(v, 5)));
        b += (size_t)_mm_popcnt_u32((unsigned)_mm256_movemask_epi8(_mm256_slli_epi16(v, 4)));
        i += 32;
    }
    *nn += a; *lo += b;
    count_scalar(p, n, nn, lo, i);
}

__attribute__((target("avx2")))
static void map_avx2(const uint8_t *src, size_t n, const uint8_t t[16], uint8_t *dst) {
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t));
    const __m256i low4 = _mm256_set1_epi8(15);
    size_t i = 0;
    while (i + 32 <= n) {
        __m256i v = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(src + i)), low4);
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_shuffle_epi8(table, v));
        i += 32;
    }
    map_scalar(src, n, t, dst, i);
}

__attribute__((target("avx2,popcnt")))
static size_t gc_avx2(const uint8_t *p, size_t n) {
    const __m256i seven = _mm256_set1_epi8(7), one = _mm256_set1_epi8(1), two = _mm256_set1_epi8(2);
    size_t i = 0, c = 0;
    while (i + 32 <= n) {
        __m256i b = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(p + i)), seven);
        c += (size_t)_mm_popcnt_u32((unsigned)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(b, one), _mm256_cmpeq_epi8(b, two))));
        i += 32;
    }
    return c + gc_scalar(p, n, i);
}

__attribute__((target("avx2")))
static void bits_avx2(const uint8_t *p, size_t n, uint8_t *bits) {
    size_t i = 0;
    while (i + 32 <= n) {
        uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(_mm256_loadu_si256((const __m256i *)(p + i)), 4));
        memcpy(bits + i / 8, &m, 4);              /* little-endian: byte k holds codes 8k..8k+7 */
        i += 32;
    }
    bits_scalar(p, n, bits, i);
}

__attribute__((target("avx2")))
static void rc_avx2(const uint8_t *src, size_t n, uint8_t *dst) {
    const __m256i rev = _mm256_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
                                         15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m256i four = _mm256_set1_epi8(4), three = _mm256_set1_epi8(3), zero = _mm256_setzero_si256();
    size_t i = 0;
    while (i + 32 <= n) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(src + n - i - 32));
        v = _mm256_permute2x128_si256(_mm256_shuffle_epi8(v, rev), _mm256_shuffle_epi8(v, rev), 0x01);
        __m256i notN = _mm256_cmpeq_epi8(_mm256_and_si256(v, four), zero);
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_xor_si256(v, _mm256_and_si256(notN, three)));
        i += 32;
    }
    rc_scalar(src, n, dst, i);
}

/* ---------- AVX-512 (BW for byte compares, VBMI2 for vpcompressb): 64 bytes at a time ---------- */

__attribute__((target("avx512f,avx512bw,avx512vbmi2,popcnt,bmi")))
static void seq_avx512(const uint8_t *src, size_t n, uint8_t *dst, gp_seq_scan *r) {
    const __m512i df = _mm512_set1_epi8((char)0xDF), bit20 = _mm512_set1_epi8(0x20), nlv = _mm512_set1_epi8('\n');
    const __m512i A = _mm512_set1_epi8('A'), C = _mm512_set1_epi8('C'), G = _mm512_set1_epi8('G'), T = _mm512_set1_epi8('T'), N = _mm512_set1_epi8('N');
    const __m512i one = _mm512_set1_epi8(1), two = _mm512_set1_epi8(2), three = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4), eight = _mm512_set1_epi8(8);
    size_t i = 0, w = r->written, nl = r->newlines, nn = r->n, lo = r->lower;
    while (i + 64 <= n) {
        __m512i v = _mm512_loadu_si512((const void *)(src + i));
        __m512i u = _mm512_and_si512(v, df);
        __mmask64 mC = _mm512_cmpeq_epi8_mask(u, C), mG = _mm512_cmpeq_epi8_mask(u, G), mT = _mm512_cmpeq_epi8_mask(u, T);
        __mmask64 mN = _mm512_cmpeq_epi8_mask(u, N), mA = _mm512_cmpeq_epi8_mask(u, A), mL = _mm512_cmpeq_epi8_mask(v, nlv);
        if ((mA | mC | mG | mT | mN | mL) != ~(__mmask64)0) break;
        __mmask64 low = _mm512_test_epi8_mask(v, bit20);   /* '\n' (0x0A) has no 0x20 bit */
        __m512i code = _mm512_maskz_mov_epi8(mC, one);
        code = _mm512_mask_mov_epi8(code, mG, two);
        code = _mm512_mask_mov_epi8(code, mT, three);
        code = _mm512_mask_mov_epi8(code, mN, four);
        code = _mm512_or_si512(code, _mm512_maskz_mov_epi8(low, eight));
        /* Register-form compress then a plain store (the memory form is slow on some cores). */
        _mm512_storeu_si512((void *)(dst + w), _mm512_maskz_compress_epi8(~mL, code));
        size_t lines = (size_t)_mm_popcnt_u64(mL);
        w += 64 - lines; nl += lines;
        nn += (size_t)_mm_popcnt_u64(mN);
        lo += (size_t)_mm_popcnt_u64(low);
        i += 64;
    }
    r->written = w; r->newlines = nl; r->n = nn; r->lower = lo;
    seq_scalar(src, n, dst, r, i);
}

__attribute__((target("avx512f,avx512bw,popcnt")))
static void count_avx512(const uint8_t *p, size_t n, size_t *nn, size_t *lo) {
    const __m512i four = _mm512_set1_epi8(4), eight = _mm512_set1_epi8(8);
    size_t i = 0, a = 0, b = 0;
    while (i + 64 <= n) {
        __m512i v = _mm512_loadu_si512((const void *)(p + i));
        a += (size_t)_mm_popcnt_u64(_mm512_test_epi8_mask(v, four));
        b += (size_t)_mm_popcnt_u64(_mm512_test_epi8_mask(v, eight));
        i += 64;
    }
    *nn += a; *lo += b;
    count_scalar(p, n, nn, lo, i);
}

__attribute__((target("avx512f,avx512bw")))
static void map_avx512(const uint8_t *src, size_t n, const uint8_t t[16], uint8_t *dst) {
    const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)t));
    const __m512i low4 = _mm512_set1_epi8(15);
    size_t i = 0;
    while (i + 64 <= n) {
        __m512i v = _mm512_and_si512(_mm512_loadu_si512((const void *)(src + i)), low4);
        _mm512_storeu_si512((void *)(dst + i), _mm512_shuffle_epi8(table, v));
        i += 64;
    }
    map_scalar(src, n, t, dst, i);
}
__attribute__((target("avx512f,avx512bw,popcnt")))
static size_t gc_avx512(const uint8_t *p, size_t n) {
    const __m512i seven = _mm512_set1_epi8(7), one = _mm512_set1_epi8(1), two = _mm512_set1_epi8(2);
    size_t i = 0, c = 0;
    while (i + 64 <= n) {
        __m512i b = _mm512_and_si512(_mm512_loadu_si512((const void *)(p + i)), seven);
        c += (size_t)_mm_popcnt_u64(_mm512_cmpeq_epi8_mask(b, one) | _mm512_cmpeq_epi8_mask(b, two));
        i += 64;
    }
    return c + gc_scalar(p, n, i);
}

__attribute__((target("avx512f,avx512bw")))
static void bits_avx512(const uint8_t *p, size_t n, uint8_t *bits) {
    const __m512i eight = _mm512_set1_epi8(8);
    size_t i = 0;
    while (i + 64 <= n) {
        uint64_t m = _mm512_test_epi8_mask(_mm512_loadu_si512((const void *)(p + i)), eight);
        memcpy(bits + i / 8, &m, 8);
        i += 64;
    }
    bits_scalar(p, n, bits, i);
}

__attribute__((target("avx512f,avx512bw,avx512vbmi")))
static void rc_avx512(const uint8_t *src, size_t n, uint8_t *dst) {
    uint8_t idx[64];
    for (int k = 0; k < 64; k++) idx[k] = (uint8_t)(63 - k);
    const __m512i rev = _mm512_loadu_si512((const void *)idx);
    const __m512i four = _mm512_set1_epi8(4), three = _mm512_set1_epi8(3);
    size_t i = 0;
    while (i + 64 <= n) {
        __m512i v = _mm512_permutexvar_epi8(rev, _mm512_loadu_si512((const void *)(src + n - i - 64)));
        __mmask64 notN = _mm512_testn_epi8_mask(v, four);
        _mm512_storeu_si512((void *)(dst + i), _mm512_xor_si512(v, _mm512_maskz_mov_epi8(notN, three)));
        i += 64;
    }
    rc_scalar(src, n, dst, i);
}
#endif

/* ---------- dispatch ---------- */

/* Both levels are cached; every thread computes the same value, so relaxed atomics suffice. */
int gp_simd_supported(void) {
#if defined(__x86_64__)
    static int cached = -1;
    int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (c < 0) {
        __builtin_cpu_init();
        c = GP_SIMD_SSE2;
        if (__builtin_cpu_supports("avx2")) c = GP_SIMD_AVX2;
        if (c == GP_SIMD_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2")) c = GP_SIMD_AVX512;
        __atomic_store_n(&cached, c, __ATOMIC_RELAXED);
    }
    return c;
#else
    return GP_SIMD_SCALAR;
#endif
}

int gp_simd_level(void) {
    static int cached = -1;
    int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (c < 0) {
        c = gp_simd_supported();
        const char *e = getenv("GENOMEPREP_SIMD");
        if (e) {
            int want = !strcmp(e, "scalar") ? GP_SIMD_SCALAR : !strcmp(e, "sse2") ? GP_SIMD_SSE2
                     : !strcmp(e, "avx2") ? GP_SIMD_AVX2 : GP_SIMD_AVX512;
            if (want < c) c = want;
        }
        __atomic_store_n(&cached, c, __ATOMIC_RELAXED);
    }
    return c;
}

const char *gp_simd_name(int level) {
    switch (level) {
    case GP_SIMD_SSE2: return "sse2";
    case GP_SIMD_AVX2: return "avx2";
    case GP_SIMD_AVX512: return "avx512";
    default: return "scalar";
    }
}

static int clamp(int level) {
    int s = gp_simd_supported();
    return level > s ? s : level;
}

void gp_fasta_seq(int level, const uint8_t *src, size_t n, uint8_t *dst, gp_seq_scan *out) {
    memset(out, 0, sizeof *out);
    switch (clamp(level)) {
#if defined(__x86_64__)
    case GP_SIMD_AVX512: seq_avx512(src, n, dst, out); return;
    case GP_SIMD_AVX2: seq_avx2(src, n, dst, out); return;
    case GP_SIMD_SSE2: seq_sse2(src, n, dst, out); return;
#endif
    default: seq_scalar(src, n, dst, out, 0); return;
    }
}

void gp_count_n_lower(int level, const uint8_t *codes, size_t n, size_t *n_count, size_t *lower_count) {
    *n_count = 0; *lower_count = 0;
    switch (clamp(level)) {
#if defined(__x86_64__)
    case GP_SIMD_AVX512: count_avx512(codes, n, n_count, lower_count); return;
    case GP_SIMD_AVX2: count_avx2(codes, n, n_count, lower_count); return;
    case GP_SIMD_SSE2: count_sse2(codes, n, n_count, lower_count); return;
#endif
    default: count_scalar(codes, n, n_count, lower_count, 0); return;
    }
}

void gp_map_codes(int level, const uint8_t *src, size_t n, const uint8_t table[16], uint8_t *dst) {
    switch (clamp(level)) {
#if defined(__x86_64__)
    case GP_SIMD_AVX512: map_avx512(src, n, table, dst); return;
    case GP_SIMD_AVX2: map_avx2(src, n, table, dst); return;
#endif
    default: map_scalar(src, n, table, dst, 0); return;   /* pshufb needs SSSE3: SSE2 maps in scalar */
    }
}

size_t gp_count_gc(int level, const uint8_t *codes, size_t n) {
    switch (clamp(level)) {
#if defined(__x86_64__)
    case GP_SIMD_AVX512: return gc_avx512(codes, n);
    case GP_SIMD_AVX2: return gc_avx2(codes, n);
    case GP_SIMD_SSE2: return gc_sse2(codes, n);
#endif
    default: return gc_scalar(codes, n, 0);
    }
}

void gp_mask_bits(int level, const uint8_t *codes, size_t n, uint8_t *bits) {
    switch (clamp(level)) {
#if defined(__x86_64__)
    case GP_SIMD_AVX512: bits_avx512(codes, n, bits); return;
    case GP_SIMD_AVX2: bits_avx2(codes, n, bits); return;
    case GP_SIMD_SSE2: bits_sse2(codes, n, bits); return;
#endif
    default: bits_scalar(codes, n, bits, 0); return;
    }
}

void gp_reverse_complement(int level, const uint8_t *src, size_t n, uint8_t *dst) {
    switch (clamp(level)) {
#if defined(__x86_64__)
    case GP_SIMD_AVX512: rc_avx512(src, n, dst); return;
    case GP_SIMD_AVX2: rc_avx2(src, n, dst); return;
#endif
    default: rc_scalar(src, n, dst, 0); return;   /* pshufb needs SSSE3: SSE2 reverses in scalar */
    }
}
