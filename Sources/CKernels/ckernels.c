#include "ckernels.h"

void gp_increment_all(uint32_t *table, const uint32_t *idx, size_t n) {
    const size_t ahead = 24;
    size_t i = 0;
    if (n > ahead) {
        for (; i < n - ahead; i++) {
            __builtin_prefetch(&table[idx[i + ahead]], 1, 1);
            table[idx[i]] += 1;
        }
    }
    for (; i < n; i++) table[idx[i]] += 1;
}

void gp_increment_partitioned(uint32_t *table, const uint32_t *codes, uint32_t *scratch, size_t n, unsigned shift) {
    size_t counts[1024] = {0}, pos[1024];
    for (size_t i = 0; i < n; i++) counts[codes[i] >> shift]++;
    size_t s = 0;
    for (size_t b = 0; b < 1024; b++) { pos[b] = s; s += counts[b]; }
    for (size_t i = 0; i < n; i++) { uint32_t c = codes[i]; scratch[pos[c >> shift]++] = c; }
    gp_increment_all(table, scratch, n);
}

