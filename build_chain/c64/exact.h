/*
 * exact.h - the exact arithmetic mode (run.mode == 1): build_chain/twin_exact.py's ExactTwin,
 * integer for integer.
 *
 * Two parts:
 *   resident (exact.c, segment CODE in MAIN): exact_init, exact_forward, exact_argmax. They
 *     swap the maths RAM ($A000-$CFFF and $E000-$FFF9) between the fast mode's contents and
 *     the exact mode's overlay through two slots at the top of the REU, so neither mode's
 *     tables or code are lost when the other one runs.
 *   overlay (exactfwd.c, exwide.c, exkern.s: segments EXCODE / EXBSS in the same RAM): the
 *     forward pass ex_run and the 64-bit primitives. EXCODE is loaded with the program at
 *     $A000 and saved to the exact slot by exact_init before the fast mode's model_init uses
 *     that RAM.
 *
 * The host build (tests/c64/host/exact_shim.c) links exactfwd.c + exwide.c with C versions of
 * the kernels and calls ex_run directly.
 */
#ifndef EXACT_H
#define EXACT_H

#include <stdint.h>

#if !defined(__CC65__) && !defined(__fastcall__)
#define __fastcall__
#endif

/* ---- resident (exact.c) ------------------------------------------------------------------ */

/* Once, from model_init, before the fast mode touches $A000-$CFFF: saves the overlay. */
void exact_init(void);
/* Logits for token at pos: ExactTwin.forward; Q.FRAC_LOGIT logits into model_logits. */
void __fastcall__ exact_forward(uint16_t token, uint16_t pos);
/* First maximum of the last exact logits (Q.EX_FRAC), as ExactTwin.sample at temperature 0. */
uint16_t exact_argmax(void);

extern uint16_t ex_best;            /* set by ex_run: argmax of its logits */

/* ---- overlay (exactfwd.c) ---------------------------------------------------------------- */

/* The forward pass; first call loads tables and region addresses. Sets ex_best and
 * ex_logits10 (vocab,) = rsr(logit, EX_FRAC - FRAC_LOGIT). */
void __fastcall__ ex_run(uint16_t token, uint16_t pos);
extern int32_t ex_logits10[];

/* ---- 64-bit values (ex64.s on the C64, exwide.c on the host) ---------------------------- */

typedef struct {
    uint32_t lo;
    uint32_t hi;                    /* two's complement, signed as a whole */
} ex64_t;

void __fastcall__ w_set32(ex64_t* r, int32_t v);               /* r = v */
void __fastcall__ w_add(ex64_t* r, const ex64_t* a);           /* r += a */
void __fastcall__ w_sub(ex64_t* r, const ex64_t* a);           /* r -= a */
void __fastcall__ w_neg(ex64_t* r);                            /* r = -r */
void __fastcall__ w_umul(ex64_t* r, uint32_t a, uint32_t b);   /* r = a * b, unsigned */
void __fastcall__ w_smul(ex64_t* r, int32_t a, int32_t b);     /* r = a * b, signed */
void __fastcall__ w_mulu32(ex64_t* r, uint32_t c);             /* r = r * c, |r*c| < 2^63 */
void __fastcall__ w_rsr(ex64_t* r, int8_t sh);                 /* r = rsr(r, sh)   [ex_rsr] */
int32_t __fastcall__ w_sat32(const ex64_t* a);                 /*                [ex_sat32] */
uint8_t __fastcall__ w_bitlen_abs(const ex64_t* a);            /* bit length of |a| */
int8_t __fastcall__ w_cmp(const ex64_t* a, const ex64_t* b);   /* -1, 0, 1 (signed) */
uint32_t __fastcall__ w_udiv(const ex64_t* n, uint32_t d);     /* n / d, n >= 0, n.hi < d */
uint8_t __fastcall__ bitlen32(uint32_t v);
int32_t __fastcall__ rsr32(int32_t v, int8_t sh);              /* rsr of an int32, sh <= 31 */

/* ---- kernels (exkern.s; C in the host build) --------------------------------------------- */

/* Quarter-square tables of the kernels; once, from the overlay's set-up. */
void ex_tables(void);

/* dot = sum w[j] * m[j], j < n (int16 x int16, 64-bit sum)                     */
void __fastcall__ ex_dot16(ex64_t* dot, const int16_t* w, const int16_t* m, uint8_t n);

#endif
