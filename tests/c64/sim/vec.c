/*
 * vec.c - sim65 harness: vec.s's vec_sat16 and vec_residual on pseudo-random s32 values of
 * every magnitude plus the edges around +-32767 and the s32 extremes, with x over the whole
 * int16 range (-32768 included); prints inputs and outputs for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define N 200

static const int32_t edges[] = {
    0L, 1L, -1L, 32766L, 32767L, 32768L, 65535L, 65536L, -32766L, -32767L, -32768L, -32769L,
    -65536L, -65537L, 16777216L, -16777216L, 2147483647L, -2147483647L - 1L,
};
static int32_t src[N];
static int16_t x[N], dst[N], sat[N];
#define XS_SEED 5
#include "xorshift.h"

int main(void)
{
    uint16_t i;
    uint8_t round;

    for (round = 0; round < 3; ++round) {
        for (i = 0; i < N; ++i) {
            src[i] = i < sizeof edges / sizeof edges[0] ? edges[i] : (int32_t)rnd() >> (uint8_t)(rnd() % 32);
            x[i] = (int16_t)(i < 20 ? (i & 1 ? 32767 : -32767 - 1) : rnd());
        }
        vec_sat16(sat, src, N);
        for (i = 0; i < N; ++i) {
            dst[i] = x[i];
        }
        vec_residual(dst, src, N);
        for (i = 0; i < N; ++i) {
            printf("V %ld %d %d %d\n", src[i], sat[i], x[i], dst[i]);
        }
    }
    vec_sat16(dst, src, 0);
    vec_residual(dst, src, 0);
    return 0;
}
