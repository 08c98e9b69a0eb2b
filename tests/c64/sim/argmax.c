/*
 * argmax.c - sim65 harness: vec.s's vec_argmax on s32 vectors with ties, equal top bytes,
 * the s32 extremes and all-negative values; prints each vector's index for
 * tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define N 300

static int32_t v[N];
#define XS_SEED 11
#include "xorshift.h"

int main(void)
{
    uint16_t i, n;
    uint8_t round, shift;

    for (round = 0; round < 40; ++round) {
        n = round < 4 ? round + 1 : (uint16_t)(rnd() % N) + 1;
        shift = (uint8_t)(round % 32);
        for (i = 0; i < n; ++i) {
            v[i] = (int32_t)rnd() >> shift;
            if (round % 5 == 1) {
                v[i] &= (int32_t)0xFFFFFF0FL;  /* many ties and equal top bytes */
            } else if (round % 5 == 2) {
                v[i] = -(int32_t)(rnd() & 0x7FFFFFFFL) - 1;  /* all negative */
            } else if (round % 5 == 3 && i % 7 == 0) {
                v[i] = i & 8 ? 2147483647L : -2147483647L - 1;
            }
        }
        printf("A %u %u", n, vec_argmax(v, n));
        for (i = 0; i < n; ++i) {
            printf(" %ld", v[i]);
        }
        printf("\n");
    }
    return 0;
}
