/*
 * quant.c - sim65 harness: quant.s on pseudo-random int16 vectors of many magnitudes (and the
 * extremes: all zero, +-32767, -32768, a single nonzero value), then vectors with m at every k
 * and a negative x whose x r 2^k + 2^22 is a multiple of 2^23 (the negative rounding rule
 * decides it), and a few near-carries of quant.s's short product; prints each vector, its int8 result, k and S for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define N 172

int16_t kvbuf[1024];   /* quant.s's TH table lives in model.c's KV chunk buffer */
static int16_t x[N];
static int8_t q[N];
#define XS_SEED 4242
#include "xorshift.h"

/* (m, x): m = max |x| and a tie x; k = 0..13 with m a power of two, then two m a k, k = 0..7;
 * then |x| whose short product's byte 2 is $FE with a true carry of 2 (quant.s's guard) */
#define TIES 32
static const int16_t ties[TIES][2] = {
    {16384, -8192}, {8192, -4096}, {4096, -2048}, {2048, -1024}, {1024, -512}, {512, -256},
    {256, -128}, {128, -64}, {64, -32}, {32, -16}, {16, -8}, {8, -4}, {4, -2}, {2, -1},
    {26676, -20480}, {29101, -16384}, {14350, -8192}, {10250, -8192}, {5228, -4096},
    {6669, -1024}, {3078, -2048}, {4064, -272}, {2032, -1720}, {1294, -1024}, {647, -512},
    {839, -512}, {508, -426}, {254, -151},
    {1690, -1018}, {1481, -379}, {27951, -15076}, {594, -442}};

static void run(uint8_t n)
{
    uint8_t i, k;

    k = quant(x, q, n);
    printf("V %u %u %u\n", n, k, quant_s);
    for (i = 0; i < n; ++i) {
        printf("%d %d\n", x[i], q[i]);
    }
}

int main(void)
{
    uint8_t v, n, i, sh;
    int16_t m;

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
        run(n);
    }
    for (v = 0; v < TIES; ++v) {
        n = (uint8_t)(v & 1 ? 8 : 64);
        m = ties[v][0];
        for (i = 0; i < n; ++i) {
            x[i] = (int16_t)(rnd() % (2u * m + 1u)) - m;
        }
        x[n - 1] = m;
        x[1] = ties[v][1];
        x[2] = -ties[v][1];
        x[4] = -m;
        run(n);
    }
    return 0;
}
