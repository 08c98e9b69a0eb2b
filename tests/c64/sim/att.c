/*
 * att.c - sim65 harness: att.s's att_values on pseudo-random int16 rows (with the extremes
 * +-32767, -32768; half the rounds mostly |v| < 256, hi byte 0 or -1) and u8 weights (some 0),
 * head sizes 8 and 16, the rows in two calls; att_recip over its whole domain's edges and
 * pseudo-random divisors, att_out on s32 values of every magnitude (and att_acc zero after);
 * prints the inputs and the outputs for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define HS 8
#define HS_MAX 16
#define N 40

extern uint8_t att_acc[64];        /* att.s: bytes 0, 1 of acc[i] at 2i, bytes 2, 3 at 32 + 2i */
static int16_t kv[N * HS_MAX];
static uint8_t p[N];
static int32_t acc[HS_MAX];
static int16_t out[HS_MAX];
#define XS_SEED 99
#include "xorshift.h"

static void acc_put(uint8_t n)
{
    uint8_t i;
    for (i = 0; i < n; ++i) {
        att_acc[2 * i] = (uint8_t)acc[i];
        att_acc[2 * i + 1] = (uint8_t)(acc[i] >> 8);
        att_acc[32 + 2 * i] = (uint8_t)(acc[i] >> 16);
        att_acc[33 + 2 * i] = (uint8_t)(acc[i] >> 24);
    }
}

static void acc_get(uint8_t n)
{
    uint8_t i;
    for (i = 0; i < n; ++i) {
        acc[i] = (int32_t)((uint32_t)att_acc[2 * i] | (uint32_t)att_acc[2 * i + 1] << 8
                           | (uint32_t)att_acc[32 + 2 * i] << 16 | (uint32_t)att_acc[33 + 2 * i] << 24);
    }
}

int main(void)
{
    uint16_t i;
    uint8_t round, hs;

    mul_init();
    for (round = 0; round < 6; ++round) {
        hs = round >= 4 ? HS_MAX : HS;
        att_hs = hs;
        printf("H %u\n", hs);
        for (i = 0; i < N * hs; ++i) {
            kv[i] = (int16_t)((int16_t)rnd() >> (uint8_t)(round & 1 ? 7 + rnd() % 9 : rnd() % 8));
        }
        kv[0] = 32767;
        kv[1] = -32767;
        kv[2] = (int16_t)0x8000;
        for (i = 0; i < hs; ++i) {
            acc[i] = (int32_t)rnd();
        }
        for (i = 0; i < N; ++i) {
            p[i] = (uint8_t)(i % 5 == 0 || i >= N - 3 || i % 13 < 3 ? 0 : rnd());   /* runs of p = 0, */
        }                                           /* at the ends of both chunks too */
        if (round & 1) {
            p[20] = p[21] = p[22] = 0;
        }
        for (i = 0; i < N * hs; ++i) {
            printf("K %d\n", kv[i]);
        }
        for (i = 0; i < N; ++i) {
            printf("P %u\n", p[i]);
        }
        for (i = 0; i < hs; ++i) {
            printf("A %ld\n", acc[i]);
        }
        acc_put(hs);
        att_values(kv, p, 23);                      /* two chunks, the sums kept between */
        att_values(kv + 23 * hs, p + 23, N - 23);
        acc_get(hs);
        for (i = 0; i < hs; ++i) {
            printf("B %ld\n", acc[i]);
        }
    }
    for (i = 0; i < 300; ++i) {
        uint16_t d = (uint16_t)(i < 3 ? 0x8000u + i : i < 6 ? 0xFFFFu - (i - 3) : (rnd() | 0x8000u));
        printf("D %u %u\n", d, att_recip(d));
    }
    for (round = 0; round < 30; ++round) {
        att_inv = (uint16_t)rnd();
        att_ish = (uint8_t)(16 + rnd() % 25);   /* the result fits s32, as in the model */
        for (i = 0; i < HS_MAX; ++i) {
            acc[i] = (int32_t)rnd() >> (uint8_t)(rnd() % 32);
        }
        acc_put(HS_MAX);
        att_out(out, HS_MAX);
        for (i = 0; i < HS_MAX; ++i) {
            printf("O %ld %u %u %d\n", acc[i], att_inv, att_ish, out[i]);
        }
        for (i = 0; i < 64; ++i) {
            if (att_acc[i] != 0) {
                printf("Z %u\n", i);               /* att_out leaves the sums zero */
            }
        }
    }
    return 0;
}
