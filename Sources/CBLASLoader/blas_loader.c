#include "blas_loader.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The CBLAS enums (cblas.h): RowMajor 101, NoTrans 111, Trans 112. */
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*threads_fn)(int);
typedef char *(*corename_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn p_sgemm;
static threads_fn p_threads;
static corename_fn p_corename;
static char error_text[512];

static void load(void) {
    static const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *h = NULL;
    const char *last = "not found";
    for (size_t i = 0; i < sizeof names / sizeof *names && !h; i++) {
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) last = dlerror();
    }
    if (!h) {
        snprintf(error_text, sizeof error_text, "cannot load OpenBLAS (libopenblas.so.0): %s; install it with "
                 "`apt-get install libopenblas0` (or libopenblas-dev)", last ? last : "unknown error");
        return;
    }
    p_sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
    p_threads = (threads_fn)dlsym(h, "openblas_set_num_threads");
    p_corename = (corename_fn)dlsym(h, "openblas_get_corename");
    if (!p_sgemm || !p_threads) {
        p_sgemm = NULL;
        snprintf(error_text, sizeof error_text, "the OpenBLAS library found lacks cblas_sgemm or openblas_set_num_threads");
    }
}

int gp_blas_load(void) {
    pthread_once(&once, load);
    return p_sgemm ? 0 : -1;
}

const char *gp_blas_error(void) {
    gp_blas_load();
    return p_sgemm ? NULL : error_text;
}

void gp_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    if (!p_sgemm && gp_blas_load() != 0) {
        fprintf(stderr, "genome-prep: error: %s\n", error_text);
        exit(1);
    }
    p_sgemm(101, transA ? 112 : 111, transB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gp_blas_set_threads(int n) {
    if (gp_blas_load() == 0) p_threads(n);
}

const char *gp_blas_corename(void) {
    if (gp_blas_load() != 0 || !p_corename) return "unknown";
    const char *s = p_corename();
    return s ? s : "unknown";
}
