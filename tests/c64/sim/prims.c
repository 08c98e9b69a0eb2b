/*
 * prims.c - sim65 harness: mul16s, mulhi16 and rescale (mul.s) on pseudo-random inputs from
 * xorshift32; prints one line per case (inputs and result) for tests/c64/test_maths_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "maths.h"

#define XS_SEED 12345
#include "xorshift.h"

int main(void)
{
    uint16_t i;
    int16_t a, b;
    uint16_t f, g;
    int32_t acc;
    uint8_t sh;

    mul_init();
    for (i = 0; i < 300; ++i) {
        a = (int16_t)rnd();
        b = (int16_t)rnd();
        if (i < 4) {
            a = i & 1 ? (int16_t)0x8000 : 32767;
            b = i & 2 ? (int16_t)0x8000 : -1;
        }
        printf("M %d %d %ld\n", a, b, mul16s(a, b));
        f = (uint16_t)rnd();
        g = (uint16_t)rnd();
        printf("H %u %u %u\n", f, g, mulhi16(f, g));
        acc = (int32_t)rnd();
        acc >>= (uint8_t)(rnd() % 31);
        f = (uint16_t)rnd();
        sh = (uint8_t)(rnd() % 47 + 1);
        printf("R %ld %u %u %ld\n", acc, f, sh, rescale(acc, f, sh));
    }
    return 0;
}
