/*
 * gate.c - sim65 harness: vec.s's vec_gate (SiLU by table times h3, rounded, saturated) with
 * F = 10 (FRAC_H, vec.s's fast path) and F = 7, tables of full-range and of smooth values, h
 * and h3 over the whole int16 range and the table's edges for F = 10; prints inputs and outputs
 * for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define LEN 257
#define N 250

static int16_t tab[LEN];
static int16_t hb[N], h3[N], h0[N];
#define XS_SEED 11
#include "xorshift.h"

int main(void)
{
    uint16_t i;
    uint8_t round;

    mul_init();
    gate_tab = tab;
    gate_half = (LEN - 1) / 2;
    gate_last = LEN - 1;
    for (round = 0; round < 4; ++round) {
        gate_frac = (uint8_t)(round & 1 ? 7 : 10);
        for (i = 0; i < LEN; ++i) {
            tab[i] = (int16_t)(round < 2 ? (int16_t)rnd() : (int16_t)(i * 60 - 4000 + (int16_t)(rnd() % 50)));
        }
        for (i = 0; i < N; ++i) {
            h0[i] = hb[i] = (int16_t)((int16_t)rnd() >> (uint8_t)(rnd() % 12));
            h3[i] = (int16_t)((int16_t)rnd() >> (uint8_t)(rnd() % 12));
        }
        hb[0] = h0[0] = -32767 - 1;
        h3[1] = -32767 - 1;
        hb[2] = h0[2] = 32767;
        h3[2] = 32767;
        for (i = 0; i < 8; ++i) {   /* the edges of the table for F = 10: u = -1, 0, 255, 256 */
            static const int16_t edge[8] = {-8193, -8192, -8129, 8127, 8128, 8191, 8192, 8255};
            h0[3 + i] = hb[3 + i] = edge[i];
        }
        vec_gate(hb, h3, N);
        printf("G %u\n", gate_frac);
        for (i = 0; i < LEN; ++i) {
            printf("T %d\n", tab[i]);
        }
        for (i = 0; i < N; ++i) {
            printf("H %d %d %d\n", h0[i], h3[i], hb[i]);
        }
    }
    vec_gate(hb, h3, 0);
    return 0;
}
