/*
 * exwide.c - 64-bit integer primitives of the exact mode (exact.h), portable C on uint32
 * halves, for the host build (tests/c64/host). The C64 has them in ca65: ex64.s (and
 * w_umul in exkern.s); under cc65 this file is empty.
 */
#include <stdint.h>
#include "exact.h"

#ifndef __CC65__

void __fastcall__ w_set32(ex64_t* r, int32_t v)
{
    r->lo = (uint32_t)v;
    r->hi = v < 0 ? 0xFFFFFFFFUL : 0;
}

void __fastcall__ w_add(ex64_t* r, const ex64_t* a)
{
    uint32_t lo;

    lo = r->lo + a->lo;
    r->hi += a->hi + (lo < a->lo ? 1 : 0);
    r->lo = lo;
}

void __fastcall__ w_sub(ex64_t* r, const ex64_t* a)
{
    uint32_t lo;

    lo = r->lo - a->lo;
    r->hi -= a->hi + (r->lo < a->lo ? 1 : 0);
    r->lo = lo;
}

void __fastcall__ w_neg(ex64_t* r)
{
    r->lo = ~r->lo;
    r->hi = ~r->hi;
    if (++r->lo == 0) {
        ++r->hi;
    }
}

void __fastcall__ w_umul(ex64_t* r, uint32_t a, uint32_t b)
/* Schoolbook on 16-bit halves. */
{
    uint32_t ll, lh, hl, hh, mid;
    uint16_t al, ah, bl, bh;

    al = (uint16_t)a;
    ah = (uint16_t)(a >> 16);
    bl = (uint16_t)b;
    bh = (uint16_t)(b >> 16);
    ll = (uint32_t)al * bl;
    lh = (uint32_t)al * bh;
    hl = (uint32_t)ah * bl;
    hh = (uint32_t)ah * bh;
    mid = lh + hl;
    if (mid < lh) {
        hh += 0x10000UL;
    }
    r->lo = ll + (mid << 16);
    hh += (mid >> 16) + (r->lo < ll ? 1 : 0);
    r->hi = hh;
}

void __fastcall__ w_smul(ex64_t* r, int32_t a, int32_t b)
{
    uint8_t neg;

    neg = 0;
    if (a < 0) {
        a = -a;
        neg = 1;
    }
    if (b < 0) {
        b = -b;
        neg ^= 1;
    }
    w_umul(r, (uint32_t)a, (uint32_t)b);
    if (neg) {
        w_neg(r);
    }
}

void __fastcall__ w_mulu32(ex64_t* r, uint32_t c)
{
    uint8_t neg;
    uint32_t hi;

    neg = (uint8_t)(r->hi >> 31);
    if (neg) {
        w_neg(r);
    }
    hi = r->hi * c;
    w_umul(r, r->lo, c);
    r->hi += hi;
    if (neg) {
        w_neg(r);
    }
}

void __fastcall__ w_rsr(ex64_t* r, int8_t sh)
/* (r + 2^(sh-1)) >> sh = (r >> sh) + bit sh-1 of r; 0 from sh 63; r << -sh for sh <= 0. */
{
    uint8_t round, s;
    uint32_t lo, hi;

    lo = r->lo;
    hi = r->hi;
    if (sh <= 0) {
        s = (uint8_t)-sh;
        if (s >= 32) {
            hi = lo << (s - 32);
            lo = 0;
        } else if (s != 0) {
            hi = (hi << s) | (lo >> (32 - s));
            lo <<= s;
        }
        r->lo = lo;
        r->hi = hi;
        return;
    }
    if (sh >= 63) {
        r->lo = 0;
        r->hi = 0;
        return;
    }
    s = (uint8_t)(sh - 1);
    round = (uint8_t)((s >= 32 ? hi >> (s - 32) : lo >> s) & 1);
    if (sh >= 32) {
        lo = (uint32_t)((int32_t)hi >> (sh - 32));
        hi = (hi & 0x80000000UL) ? 0xFFFFFFFFUL : 0;
    } else {
        lo = (lo >> sh) | (hi << (32 - sh));
        hi = (uint32_t)((int32_t)hi >> sh);
    }
    r->lo = lo + round;
    r->hi = hi + (r->lo < lo ? 1 : 0);
}

int32_t __fastcall__ w_sat32(const ex64_t* a)
{
    if ((int32_t)a->hi < 0) {
        if (a->hi != 0xFFFFFFFFUL || !(a->lo & 0x80000000UL)) {
            return (int32_t)0x80000000UL;
        }
    } else if (a->hi != 0 || (a->lo & 0x80000000UL)) {
        return 0x7FFFFFFFL;
    }
    return (int32_t)a->lo;
}

uint8_t __fastcall__ bitlen32(uint32_t v)
{
    uint8_t n;

    n = 0;
    while (v >= 0x100UL) {
        v >>= 8;
        n += 8;
    }
    while (v != 0) {
        v >>= 1;
        ++n;
    }
    return n;
}

uint8_t __fastcall__ w_bitlen_abs(const ex64_t* a)
{
    ex64_t t;

    t = *a;
    if ((int32_t)t.hi < 0) {
        w_neg(&t);
    }
    if (t.hi != 0) {
        return (uint8_t)(32 + bitlen32(t.hi));
    }
    return bitlen32(t.lo);
}

int8_t __fastcall__ w_cmp(const ex64_t* a, const ex64_t* b)
{
    if (a->hi != b->hi) {
        return (int32_t)a->hi < (int32_t)b->hi ? -1 : 1;
    }
    if (a->lo != b->lo) {
        return a->lo < b->lo ? -1 : 1;
    }
    return 0;
}

uint32_t __fastcall__ w_udiv(const ex64_t* n, uint32_t d)
/* Restoring division, 32 quotient bits (n.hi < d). */
{
    uint32_t rem, lo, q;
    uint8_t i, top;

    rem = n->hi;
    lo = n->lo;
    q = 0;
    for (i = 0; i < 32; ++i) {
        top = (uint8_t)(rem >> 31);
        rem = (rem << 1) | (lo >> 31);
        lo <<= 1;
        q <<= 1;
        if (top || rem >= d) {
            rem -= d;
            q |= 1;
        }
    }
    return q;
}

int32_t __fastcall__ rsr32(int32_t v, int8_t sh)
{
    if (sh <= 0) {
        return v << (uint8_t)-sh;
    }
    return (v >> sh) + ((v >> (sh - 1)) & 1);
}

#endif
