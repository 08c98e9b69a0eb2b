/*
 * attw.c - sim65 harness: att.s's att_weights on pseudo-random scores of every magnitude, with
 * EXP8-like tables (zeros from a random index, or none), f = 0, tiny f (D0 above 32 bits),
 * zc = 0, n = 1 and a sum p >= 2^16; prints each round's inputs and outputs (p, att_inv, att_ish) for
 * tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define N_MAX 300
#define ROUNDS 16

static int32_t s[N_MAX];
static uint8_t p[N_MAX];
static uint8_t exp8[256];
#define XS_SEED 7
#include "xorshift.h"

int main(void)
{
    uint16_t i, n, zero;
    uint8_t round, mag;

    mul_init();
    att_exp8 = exp8;
    for (round = 0; round < ROUNDS; ++round) {
        n = round == 3 ? 1 : round == 6 ? N_MAX : (uint16_t)(rnd() % 200 + 1);
        mag = (uint8_t)(rnd() % 27);
        for (i = 0; i < n; ++i) {
            s[i] = (int32_t)rnd() >> (31 - mag);
        }
        zero = round == 5 ? 0 : round == 6 ? 256 : (uint16_t)(rnd() % 255 + 1);
        for (i = 0; i < 256; ++i) {
            exp8[i] = (uint8_t)(i >= zero ? 0 : round == 6 ? 255 - rnd() % 20 : rnd() % 255 + 1);
        }
        att_zc = (uint8_t)(zero > 255 ? 255 : zero);
        att_f = (uint16_t)(round == 4 ? 0 : round == 7 ? 1 : rnd());
        att_sh = (uint8_t)(rnd() % 40 + 1);
        if (round < 10 && round != 7) {
            att_sh = (uint8_t)(mag + rnd() % 16 + 1);       /* the range where idx varies */
        }
        att_best = s[0];                                     /* the caller's max s */
        for (i = 1; i < n; ++i) {
            if (s[i] > att_best) {
                att_best = s[i];
            }
        }
        att_weights(p, s, n);
        printf("W %u %u %u %u %u %u\n", n, att_zc, att_f, att_sh, att_inv, att_ish);
        for (i = 0; i < 256; ++i) {
            printf("E %u\n", exp8[i]);
        }
        for (i = 0; i < n; ++i) {
            printf("S %ld %u\n", s[i], p[i]);
        }
    }
    return 0;
}
