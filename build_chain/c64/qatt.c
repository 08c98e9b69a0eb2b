/*
 * qatt.c - activation quantiser and attention inner loops in C (bring-up versions of the
 * maths.h routines quant, att_scores, att_values; exact, slower than asm).
 */
#include <stdint.h>
#include "maths.h"

uint16_t quant_s;
uint8_t att_hs;

uint8_t __fastcall__ quant(const int16_t* x, int8_t* q, uint8_t n)
/* q = quant(x): m = max|x|, k with m<<k in [2^14, 2^15), r = (127<<23) // (m<<k),
 * q = ((x<<k)*r + 2^22) >> 23; quant_s = m<<k; returns k                              [quant] */
{
    uint16_t m, a;
    uint16_t r;
    uint8_t i, k;

    m = 0;
    for (i = 0; i < n; ++i) {
        a = x[i] < 0 ? (uint16_t)(-x[i]) : (uint16_t)x[i];
        if (a > m) {
            m = a;
        }
    }
    if (m == 0) {
        for (i = 0; i < n; ++i) {
            q[i] = 0;
        }
        quant_s = 0;
        return 0;
    }
    k = 0;
    while (m < 0x4000u) {
        m <<= 1;
        ++k;
    }
    r = (uint16_t)((127UL << 23) / m);
    for (i = 0; i < n; ++i) {
        q[i] = (int8_t)rescale((int32_t)((int16_t)(x[i] << k)), r, 23);
    }
    quant_s = m;
    return k;
}

void __fastcall__ att_scores(int32_t* s, const int16_t* k, const int8_t* q, uint16_t n)
/* s[t] = k[t] . q */
{
    uint16_t t;
    uint8_t i;
    int32_t a;

    for (t = 0; t < n; ++t) {
        a = 0;
        for (i = 0; i < att_hs; ++i) {
            a += mul16s(k[i], q[i]);
        }
        k += att_hs;
        s[t] = a;
    }
}

void __fastcall__ att_values(int32_t* acc, const int16_t* v, const uint8_t* p, uint16_t n)
/* acc += p[t] * v[t] (wrapping) */
{
    uint16_t t;
    uint8_t i;

    for (t = 0; t < n; ++t) {
        if (p[t] != 0) {
            for (i = 0; i < att_hs; ++i) {
                acc[i] += mul16s(v[i], p[t]);
            }
        }
        v += att_hs;
    }
}
