/*
 * matvec.c - sim65 harness: dot8.s's matvec on pseudo-random int8 rows and vectors (groups of
 * 64, 64 and 44 columns of a 172-wide matrix, stored then accumulated), with random scale
 * records; prints the inputs' seed values and every output for tests/c64/test_maths_sim.py.
 * Round 2: every shift 1..47 (e = 1..47, sS = 16). Round 3: shifts 17..24 with F = 2^14
 * (M = S = 2^15) and weights = 0 mod 4, so that every product is 0 mod 2^16: the negative
 * rows are ties, which round the other way.
 * Then one contiguous group (stride = n = 43) over the same bytes.
 * The fake REU holds the weights as the image does, in offset binary (w + 128, reu_format.W8_BIAS).
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define ROWS 24
#define COLS 172

uint8_t fake_reu[ROWS * COLS];
static uint8_t rec[ROWS * 3 * 4];
static uint8_t wsq[3 * ROWS * 3];
static int8_t xq[64];
static const int8_t zeros[64] = {0};
static int32_t out[ROWS];
#define XS_SEED 777
#include "xorshift.h"

static int8_t i8(void)
{
    int8_t v;

    do {
        v = (int8_t)rnd();
    } while (v == -128);
    return v;
}

static int8_t small(uint8_t kind, uint8_t col)
/* Rows of kind 1-3 give small sums (|x.w| < 2^16, < 2^8, 0): the rescale skips zero bytes. */
{
    switch (kind) {
    case 1: return (int8_t)(i8() >> 2);
    case 2: return (int8_t)(col == 5 ? i8() >> 4 : 0);
    case 3: return 0;
    default: return i8();
    }
}

int main(void)
{
    uint16_t i;
    uint8_t g, n, j, extreme;
    int8_t w;

    mul_init();
    dot_init();
    for (extreme = 0; extreme < 4; ++extreme) {
        for (i = 0; i < ROWS * COLS; ++i) {
            w = extreme == 1 ? ((rnd() & 1) ? 127 : -127) : small(i / COLS % 4, i % COLS);
            if (extreme == 3) {
                w = (int8_t)(i8() & ~3);
            }
            fake_reu[i] = (uint8_t)(w + 128);
            printf("W %d\n", w);
        }
        for (i = 0; i < ROWS * 3; ++i) {
            rec[4 * i] = (uint8_t)rnd();
            rec[4 * i + 1] = (uint8_t)(rnd() | 0x80);
            if (i % 7 == 3) {                       /* M < 2^15: dot8.s's product path */
                rec[4 * i + 1] &= 0x7F;
            }
            if (i % 11 == 5) {                      /* M = 0 */
                rec[4 * i] = rec[4 * i + 1] = 0;
            }
            rec[4 * i + 2] = (uint8_t)(17 + rnd() % 16);
            if (extreme == 2) {                     /* every shift */
                rec[4 * i + 2] = (uint8_t)(1 + i % 47);
            }
            if (extreme == 3) {                     /* shifts 17..24, M = 2^15 */
                rec[4 * i] = 0;
                rec[4 * i + 1] = 0x80;
                rec[4 * i + 2] = (uint8_t)(17 + i % 8);
            }
            printf("S %u %u\n", rec[4 * i] | (rec[4 * i + 1] << 8), rec[4 * i + 2]);
        }
        for (g = 0; g < 3; ++g) {
            n = g < 2 ? 64 : 44;
            for (j = 0; j < n; ++j) {
                xq[j] = extreme == 1 ? ((rnd() & 1) ? 127 : -127) : i8();
                printf("X %d\n", xq[j]);
            }
            matvec_patch(zeros, n);
            mv_reu = (uint32_t)g * 64;
            mv_stride = COLS;
            mv_rows = ROWS;
            mv_wsq = wsq + g * ROWS * 3;
            matvec_wsq();
            matvec_patch(xq, n);
            mv_out = out;
            mv_rec = rec + g * 4;
            mv_rec_stride = 12;
            mv_s = (uint16_t)(rnd() | 0x4000);
            mv_ss = (uint8_t)(rnd() % 12);
            if (extreme >= 2) {
                mv_ss = 16;
            }
            if (extreme == 3) {
                mv_s = 0x8000;
            }
            mv_add = g != 0;
            printf("P %u %u\n", mv_s, mv_ss);
            matvec_run();
            for (i = 0; i < ROWS; ++i) {
                printf("O %ld\n", out[i]);
            }
        }
        /* contiguous rows (stride = n = 43: dot8.s's fetches without autoload), stored, with
         * group 0's records: the fake REU read as a (ROWS, 43) matrix */
        for (j = 0; j < 43; ++j) {
            xq[j] = i8();
            printf("X %d\n", xq[j]);
        }
        matvec_patch(zeros, 43);
        mv_reu = 0;
        mv_stride = 43;
        mv_rows = ROWS;
        mv_wsq = wsq;
        matvec_wsq();
        matvec_patch(xq, 43);
        mv_out = out;
        mv_rec = rec;
        mv_rec_stride = 12;
        mv_s = (uint16_t)(rnd() | 0x4000);
        mv_ss = (uint8_t)(extreme >= 2 ? 16 : rnd() % 12);
        if (extreme == 3) {
            mv_s = 0x8000;
        }
        mv_add = 0;
        printf("P %u %u\n", mv_s, mv_ss);
        matvec_run();
        for (i = 0; i < ROWS; ++i) {
            printf("O %ld\n", out[i]);
        }
    }
    return 0;
}
