/*
 * exprims.c - sim65 harness: the exact mode's 64-bit primitives (ex64.s, exkern.s w_umul) on
 * pseudo-random inputs; prints "op inputs... result" in hex for tests/c64/test_exact_sim.py.
 */
#include <stdint.h>
#include <stdio.h>
#include "exact.h"

#define N 40

#define XS_SEED 12345
#include "xorshift.h"
static ex64_t a, b;

static void rnd64(ex64_t* r, uint8_t bits)
/* a value of about 'bits' bits (signed when bits < 64), random sign */
{
    uint8_t n;

    n = (uint8_t)(rnd() % bits) + 1;
    r->lo = rnd();
    r->hi = rnd();
    if (n <= 32) {
        r->hi = 0;
        r->lo &= n == 32 ? 0xFFFFFFFFUL : (1UL << n) - 1;
    } else {
        r->hi &= n >= 63 ? 0x7FFFFFFFUL : (1UL << (n - 32)) - 1;
    }
    if (rnd() & 1) {
        w_neg(r);
    }
}

static void p64(const ex64_t* r)
{
    printf(" %08lx%08lx", (unsigned long)r->hi, (unsigned long)r->lo);
}

int main(void)
{
    uint8_t i;
    int8_t sh;
    int32_t x, y;
    uint32_t d;

    ex_tables();
    for (i = 0; i < N; ++i) {
        rnd64(&a, 64);
        rnd64(&b, 64);
        printf("A");
        p64(&a);
        p64(&b);
        w_add(&a, &b);
        p64(&a);
        printf("\nS");
        p64(&a);
        p64(&b);
        w_sub(&a, &b);
        p64(&a);
        printf("\nN");
        p64(&a);
        w_neg(&a);
        p64(&a);
        x = (int32_t)rnd() >> (uint8_t)(rnd() & 31);
        y = (int32_t)rnd() >> (uint8_t)(rnd() & 31);
        w_smul(&a, x, y);
        printf("\nM %08lx %08lx", (unsigned long)x, (unsigned long)y);
        p64(&a);
        rnd64(&a, i & 1 ? 41 : 32);
        d = rnd() >> (i & 1 ? 10 : (uint8_t)(rnd() & 31));
        printf("\nU");
        p64(&a);
        printf(" %08lx", (unsigned long)d);
        w_mulu32(&a, d);
        p64(&a);
        rnd64(&a, 62);
        sh = (int8_t)(rnd() % 72) - 4;
        if (sh < 0) {
            rnd64(&a, 50);
        }
        printf("\nR");
        p64(&a);
        printf(" %d", sh);
        w_rsr(&a, sh);
        p64(&a);
        rnd64(&a, i & 1 ? 34 : 64);
        printf("\nT");
        p64(&a);
        printf(" %08lx", (unsigned long)w_sat32(&a));
        rnd64(&a, 64);
        printf("\nB");
        p64(&a);
        printf(" %d", w_bitlen_abs(&a));
        rnd64(&a, 64);
        if (i % 3 == 0) {
            b = a;
        } else if (i % 3 == 1) {
            b = a;
            b.lo ^= 1UL << (uint8_t)(rnd() & 31);
        } else {
            rnd64(&b, 64);
        }
        printf("\nC");
        p64(&a);
        p64(&b);
        printf(" %d", w_cmp(&a, &b));
        d = rnd() | 1;
        rnd64(&a, 64);
        if ((int32_t)a.hi < 0) {
            w_neg(&a);
        }
        a.hi %= d;
        printf("\nD");
        p64(&a);
        printf(" %08lx %08lx", (unsigned long)d, (unsigned long)w_udiv(&a, d));
        d = rnd() >> (uint8_t)(rnd() & 31);
        printf("\nL %08lx %d", (unsigned long)d, bitlen32(d));
        x = (int32_t)rnd() >> (uint8_t)(rnd() & 31);
        sh = (int8_t)(rnd() & 31);
        if (i % 4 == 0) {
            x >>= 20;
            sh = -(int8_t)(rnd() & 7);
        }
        printf("\nQ %08lx %d %08lx", (unsigned long)x, sh, (unsigned long)rsr32(x, sh));
        w_set32(&a, x);
        printf("\nW %08lx", (unsigned long)x);
        p64(&a);
        printf("\n");
    }
    return 0;
}
