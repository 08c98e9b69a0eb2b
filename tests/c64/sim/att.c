/*
 * att.c - sim65 harness: att.s's att_values on pseudo-random int16 rows (with the extremes
 * +-32767, -32768) and u8 weights (some 0), att_recip over its whole domain's edges and
 * pseudo-random divisors, att_out on s32 values of every magnitude; prints the inputs and the
 * outputs for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define HS 8
#define N 40

static int16_t kv[N * HS];
static uint8_t p[N];
static int32_t acc[HS];
static int16_t out[HS];
static uint32_t r = 99;

static uint32_t rnd(void)
{
    r ^= r << 13;
    r ^= r >> 17;
    r ^= r << 5;
    return r;
}

int main(void)
{
    uint16_t i;
    uint8_t round;

    mul_init();
    att_hs = HS;
    for (round = 0; round < 4; ++round) {
        for (i = 0; i < N * HS; ++i) {
            kv[i] = (int16_t)((int16_t)rnd() >> (uint8_t)(rnd() % 8));
        }
        kv[0] = 32767;
        kv[1] = -32767;
        kv[2] = (int16_t)0x8000;
        for (i = 0; i < HS; ++i) {
            acc[i] = (int32_t)rnd();
        }
        for (i = 0; i < N; ++i) {
            p[i] = (uint8_t)(i % 5 == 0 ? 0 : rnd());
        }
        for (i = 0; i < N * HS; ++i) {
            printf("K %d\n", kv[i]);
        }
        for (i = 0; i < N; ++i) {
            printf("P %u\n", p[i]);
        }
        for (i = 0; i < HS; ++i) {
            printf("A %ld\n", acc[i]);
        }
        att_values(acc, kv, p, N);
        for (i = 0; i < HS; ++i) {
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
        for (i = 0; i < HS; ++i) {
            acc[i] = (int32_t)rnd() >> (uint8_t)(rnd() % 32);
        }
        att_out(out, acc, HS);
        for (i = 0; i < HS; ++i) {
            printf("O %ld %u %u %d\n", acc[i], att_inv, att_ish, out[i]);
        }
    }
    return 0;
}
