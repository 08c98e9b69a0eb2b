/*
 * quant.c - sim65 harness: quant.s on pseudo-random int16 vectors of many magnitudes (and the
 * extremes: all zero, +-32767, -32768, a single nonzero value); prints each vector, its int8
 * result, k and S for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define N 172

static int16_t x[N];
static int8_t q[N];
static uint32_t s = 4242;

static uint32_t rnd(void)
{
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

int main(void)
{
    uint8_t v, n, i, k, sh;

    mul_init();
    for (v = 0; v < 60; ++v) {
        n = (uint8_t)(v % 3 == 0 ? 64 : v % 3 == 1 ? 8 : N);
        sh = (uint8_t)(rnd() % 16);
        for (i = 0; i < n; ++i) {
            x[i] = (int16_t)((int16_t)rnd() >> sh);
        }
        if (v == 0) {
            for (i = 0; i < n; ++i) {
                x[i] = 0;
            }
        } else if (v == 1) {
            x[3] = -32767;
            x[5] = 32767;
        } else if (v == 2) {
            x[7] = (int16_t)0x8000;
        } else if (v == 3) {
            for (i = 0; i < n; ++i) {
                x[i] = 0;
            }
            x[9] = -1;
        }
        k = quant(x, q, n);
        printf("V %u %u %u\n", n, k, quant_s);
        for (i = 0; i < n; ++i) {
            printf("%d %d\n", x[i], q[i]);
        }
    }
    return 0;
}
