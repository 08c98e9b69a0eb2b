/*
 * kdots.c - sim65 harness: dot8.s's matvec_krow (a key's rows) and matvec_kdots (attention
 * scores by the matvec kernel) on pseudo-random int16 keys (the extremes +-32767 and -32768
 * included) stored as reu_format's KEY_ROWS says (offset binary like the weights), and int8 queries; prints "R hs n keys... q... scores... max" for
 * tests/c64/test_maths_sim.py, and "E ..." where matvec_krow differs from the format.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define HS_MAX 16
#define N 30

uint8_t fake_reu[N * 2 * HS_MAX];
static uint32_t cst[N];
static int16_t key[N * HS_MAX];
static int8_t q[HS_MAX];
static int32_t s[N];
#define XS_SEED 4242
#include "xorshift.h"

int main(void)
{
    uint16_t i, t;
    uint8_t round, hs, j;
    int8_t lo, hi;
    uint32_t c;

    mul_init();
    dot_init();
    for (round = 0; round < 6; ++round) {
        hs = round & 1 ? 16 : 8;
        for (i = 0; i < N * hs; ++i) {
            key[i] = (int16_t)((int16_t)rnd() >> (uint8_t)(rnd() % 12));
        }
        key[0] = 32767;
        key[1] = -32767;
        key[2] = (int16_t)0x8000;
        key[3] = 255;
        key[4] = 256;
        key[5] = -256;
        for (t = 0; t < N; ++t) {          /* matvec_krow's rows and C, checked here too */
            cst[t] = matvec_krow(key + t * hs, hs);
            c = 0;
            for (j = 0; j < hs; ++j) {
                lo = (int8_t)((uint8_t)key[t * hs + j] ^ 0x80);
                hi = (int8_t)(key[t * hs + j] >> 8);
                fake_reu[t * 2 * hs + j] = mv_krow[j];
                fake_reu[t * 2 * hs + hs + j] = mv_krow[hs + j];
                if (mv_krow[j] != (uint8_t)(lo + 128) || mv_krow[hs + j] != (uint8_t)(hi + 128)) {
                    printf("E row %u %u\n", t, j);
                }
                c += (uint16_t)(lo * lo) + ((uint32_t)(uint16_t)(hi * hi) << 8);
            }
            if (c != cst[t]) {
                printf("E const %u %lu %lu\n", t, c, cst[t]);
            }
        }
        for (j = 0; j < hs; ++j) {
            q[j] = round >= 4 ? (j & 1 ? 127 : -127) : (int8_t)(rnd() % 255 - 127);
        }
        q[round % hs] = 0;
        matvec_patch(q, hs);
        mv_reu = 0;
        mv_stride = hs;
        mv_rows = N;
        mv_wsq = (uint8_t*)cst;
        mv_out = s;
        matvec_kdots();
        printf("R %u %u", hs, N);
        for (i = 0; i < N * hs; ++i) {
            printf(" %d", key[i]);
        }
        for (j = 0; j < hs; ++j) {
            printf(" %d", q[j]);
        }
        for (t = 0; t < N; ++t) {
            printf(" %ld", s[t]);
        }
        printf(" %ld\n", mv_kmax);
    }
    return 0;
}
