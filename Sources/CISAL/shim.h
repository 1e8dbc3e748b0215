/* Intel ISA-L's inflate (igzip): BGZF blocks decompress ~1.4x faster than through libdeflate here. */
#include <isa-l/igzip_lib.h>
