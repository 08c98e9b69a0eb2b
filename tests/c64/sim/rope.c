/*
 * rope.c - sim65 harness: vec.s's vec_rope (RoPE pairs times (cos, sin) rows, rounded,
 * saturated) with int16 edge values for v0, v1, c and s (0, +-1, byte edges, +-2^14,
 * +-32767, -32768) in rotating combinations plus pseudo-random values, head sizes 16, 8 and
 * 2, n up to 254; prints inputs and outputs for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define NE 23
#define N 254

static const int16_t edges[NE] = {
    0, 1, -1, 2, -2, 127, 128, 255, 256, -255, -256, 8191, 8192, 16383, 16384, -16384, -16385,
    32766, 32767, -32767, -32767 - 1, 11585, -11585,
};
static int16_t v[N], v0[N], row[16];
#define XS_SEED 77
#include "xorshift.h"

int main(void)
{
    uint16_t e = 0, f = 0;
    uint8_t round, i, hs, n;

    mul_init();
    for (round = 0; round < 40; ++round) {
        hs = (uint8_t)(round % 5 == 3 ? 8 : round % 5 == 4 ? 2 : 16);
        n = (uint8_t)(round % 7 == 6 ? 6 : N);
        for (i = 0; i < hs; ++i) {
            row[i] = round < 30 ? edges[f % NE] : (int16_t)((int16_t)rnd() >> (uint8_t)(rnd() % 3));
            f += (uint16_t)(i & 1 ? 1 : NE);
        }
        for (i = 0; i < n; i += 2) {
            if (round < 30) {
                v[i] = edges[e / NE % NE];
                v[i + 1] = edges[e % NE];
                ++e;
            } else {
                v[i] = (int16_t)((int16_t)rnd() >> (uint8_t)(rnd() % 12));
                v[i + 1] = (int16_t)((int16_t)rnd() >> (uint8_t)(rnd() % 12));
            }
            v0[i] = v[i];
            v0[i + 1] = v[i + 1];
        }
        rope_hs = hs;
        vec_rope(v, row, n);
        printf("R %u %u\n", hs, n);
        for (i = 0; i < hs; ++i) {
            printf("C %d\n", row[i]);
        }
        for (i = 0; i < n; i += 2) {
            printf("P %d %d %d %d\n", v0[i], v0[i + 1], v[i], v[i + 1]);
        }
    }
    vec_rope(v, row, 0);
    return 0;
}
