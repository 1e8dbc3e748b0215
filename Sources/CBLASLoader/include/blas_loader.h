#ifndef GENOMEPREP_BLAS_LOADER_H
#define GENOMEPREP_BLAS_LOADER_H
/* OpenBLAS, loaded with dlopen on first use rather than linked.
 *
 * Linked OpenBLAS starts its thread pool from a load-time constructor, and each idle pool thread spins
 * (sched_yield) for about 2^28 cycles before it sleeps: ~0.13 s of a core taken from every genome-prep
 * command, the data commands included, which never multiply a matrix. Loading it on the first matrix
 * product keeps that cost in the commands that train. The library is the system's libopenblas.so.0 (the
 * Debian alternative, whatever variant is installed); nothing else changes. */
#include <stddef.h>

/* Loads OpenBLAS once (thread-safe). 0 when loaded; otherwise -1 and gp_blas_error() says why. */
int gp_blas_load(void);
/* Why loading failed (NULL when it did not). */
const char *gp_blas_error(void);

/* cblas_sgemm, row-major: C = alpha op(A) op(B) + beta C. Loads the library when needed and exits
 * with a message naming the library if it cannot (callers check gp_blas_load first). */
void gp_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);
/* openblas_set_num_threads and openblas_get_corename ("unknown" when not loadable). */
void gp_blas_set_threads(int n);
const char *gp_blas_corename(void);

#endif
