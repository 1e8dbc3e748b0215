#include <xxhash.h>
/* libxxhash's run-time dispatched XXH3 (SSE2, AVX2 or AVX-512 by CPU; the same hash values): the plain
   XXH3_64bits of Debian's build is its SSE2 version. */
#include <xxh_x86dispatch.h>
