/* The liblzo2 oracle for oncp's LZO tests and benchmarks.
 *
 *   lzo-oracle compress   < plain      > lzo1x-1 stream
 *   lzo-oracle compress-999 < plain    > lzo1x-999 stream (uses M1 and
 *                                        the 3-byte match after a run)
 *   lzo-oracle decompress [LIMIT] < lzo stream > plain
 *                                        (lzo1x_decompress_safe, output
 *                                        limit LIMIT, default 16 MiB)
 *   lzo-oracle bench FILE ROUNDS        prints "compress_ns decompress_ns
 *                                        compressed_len" for FILE cut in
 *                                        1400-byte packets, ROUNDS times
 *
 * Build: gcc -O2 -o lzo-oracle lzo-oracle.c -llzo2
 */
#include <lzo/lzo1x.h>
#include <lzo/lzoconf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char *read_all(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0, r;
    unsigned char *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    *len = n;
    return buf;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    static unsigned char wrk[LZO1X_1_MEM_COMPRESS];
    if (lzo_init() != LZO_E_OK || argc < 2) return 2;
    if (!strcmp(argv[1], "bench") && argc == 4) {
        FILE *f = fopen(argv[2], "rb");
        size_t n;
        unsigned char *in = f ? read_all(f, &n) : NULL;
        int rounds = atoi(argv[3]);
        unsigned char *c = malloc(n + n / 16 + 64 * (n / 1400 + 1) + 3 * (n / 1400 + 1) + 64);
        unsigned char out[4096];
        size_t clen = 0;
        long long t0 = now_ns();
        for (int r = 0; r < rounds; r++) {
            clen = 0;
            for (size_t o = 0; o < n; o += 1400) {
                lzo_uint l = 0, k = n - o < 1400 ? n - o : 1400;
                lzo1x_1_compress(in + o, k, c + clen + 2, &l, wrk);
                c[clen] = l >> 8; c[clen + 1] = l & 255;
                clen += l + 2;
            }
        }
        long long t1 = now_ns();
        for (int r = 0; r < rounds; r++) {
            for (size_t o = 0; o < clen;) {
                lzo_uint l = (c[o] << 8) | c[o + 1], ol = sizeof out;
                if (lzo1x_decompress_safe(c + o + 2, l, out, &ol, NULL) != LZO_E_OK) return 1;
                o += l + 2;
            }
        }
        long long t2 = now_ns();
        printf("%lld %lld %zu\n", t1 - t0, t2 - t1, clen);
        return 0;
    }
    size_t n;
    unsigned char *in = read_all(stdin, &n);
    if (!in) return 2;
    if (!strcmp(argv[1], "compress")) {
        unsigned char *out = malloc(n + n / 16 + 64 + 3);
        lzo_uint ol = 0;
        if (lzo1x_1_compress(in, n, out, &ol, wrk) != LZO_E_OK) return 1;
        fwrite(out, 1, ol, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "compress-999")) {
        static unsigned char wrk999[LZO1X_999_MEM_COMPRESS];
        unsigned char *out = malloc(n + n / 16 + 64 + 3);
        lzo_uint ol = 0;
        if (lzo1x_999_compress(in, n, out, &ol, wrk999) != LZO_E_OK) return 1;
        fwrite(out, 1, ol, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "decompress")) {
        lzo_uint cap = argc > 2 ? strtoul(argv[2], NULL, 10) : 16 * 1024 * 1024, ol = cap;
        unsigned char *out = malloc(cap + 1);
        int r = lzo1x_decompress_safe(in, n, out, &ol, NULL);
        if (r != LZO_E_OK) {
            fprintf(stderr, "lzo1x_decompress_safe: %d\n", r);
            return 1;
        }
        fwrite(out, 1, ol, stdout);
        return 0;
    }
    return 2;
}
