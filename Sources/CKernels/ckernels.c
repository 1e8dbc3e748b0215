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

#include <libdeflate.h>
uint32_t gp_crc32(uint32_t crc, const void *buf, size_t len) { return libdeflate_crc32(crc, buf, len); }
