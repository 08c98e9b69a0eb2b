/* maths.h - the integer primitives of the forward pass (ca65 on the C64, C in the host build).
 *
 * Every routine computes exactly what build_chain/twin.py names in brackets; the host build
 * (tests/c64/host/shim.c) implements the same prototypes in plain C so that model.c can be
 * compared with the twin in seconds with gcc.
 */
#ifndef MATHS_H
#define MATHS_H

#include <stdint.h>

#if !defined(__CC65__) && !defined(__fastcall__)
#define __fastcall__
/* ---- vec.s: elementwise steps --------------------------------------------------------- */

/* dst[i] = sat16(src[i]) for i < n                                                  [sat16] */
void __fastcall__ vec_sat16(int16_t* dst, const int32_t* src, uint8_t n);

/* x[i] = sat16(x[i] + sat16(src[i])) for i < n                                   [residual] */
void __fastcall__ vec_residual(int16_t* x, const int32_t* src, uint8_t n);

/* hb[i] = sat16((silu(hb[i]) * h3[i] + 2^(F-1)) >> F) for i < n, F = gate_frac    [silu] */
void __fastcall__ vec_gate(int16_t* hb, const int16_t* h3, uint8_t n);
extern const int16_t* gate_tab;  /* the SILU table (set once) */
extern uint8_t gate_frac;        /* FRAC_H */
extern int16_t gate_half;        /* (SILU_LEN - 1) / 2 */
extern int16_t gate_last;        /* SILU_LEN - 1 */

/* The first index of the maximum of v[0..n), n >= 1 (the greedy sampler)           [argmax] */
uint16_t __fastcall__ vec_argmax(const int32_t* v, uint16_t n);

#endif

/* ---- mul.s: scalar primitives ------------------------------------------------------------ */

/* Build the multiply tables (mul.s) and the squares table of the kernel (dot8.s); once. */
void mul_init(void);
void dot_init(void);

/* a * b for signed 16-bit a, b. */
int32_t __fastcall__ mul16s(int16_t a, int16_t b);

/* (a*b + 2^15) >> 16 for unsigned a, b                                          [mulhi16] */
uint16_t __fastcall__ mulhi16(uint16_t a, uint16_t b);

/* (acc*f + 2^(sh-1)) >> sh, 1 <= sh <= 62, floor shift, low 32 bits of the result [rescale] */
int32_t __fastcall__ rescale(int32_t acc, uint16_t f, uint8_t sh);

/* ---- quant.s: activation quantiser ------------------------------------------------------- */

/* q[i] = quant(x)[i] for i < n (n <= 255); returns the pair's shift k and sets quant_s to
 * S = m << k (0 and 0 when x is all zero)                                          [quant] */
uint8_t __fastcall__ quant(const int16_t* x, int8_t* q, uint8_t n);
extern uint16_t quant_s;

/* ---- dot8.s: int8 matrix rows times an int8 vector, rescaled ----------------------------- */

/* Parameters of matvec_run (set them, then call matvec_patch and matvec_run). */
extern int32_t* mv_out;        /* (rows,) s32 outputs, stored or added to (mv_add) */
extern uint32_t mv_reu;        /* REU address of the group's first weight (row 0), w + W8_BIAS */
extern uint16_t mv_stride;     /* bytes from one row to the next in the REU (cols) */
extern const uint8_t* mv_rec;  /* this group's scale record of row 0: {M lo, M hi, e, 0} */
extern uint8_t mv_rec_stride;  /* bytes from one row's record to the next (4 * groups) */
extern uint16_t mv_rows;       /* rows */
extern uint16_t mv_s;          /* input pair S */
extern uint8_t mv_ss;          /* input pair sS */
extern uint8_t mv_add;         /* 0: out[r] = y, 1: out[r] += y */
extern uint8_t* mv_wsq;        /* (rows,) 3-byte sums of squared weights of this group (C64 only) */

/* Patch the kernel for the input group xq[0..n-1] (n <= GROUP); returns sum xq^2. */
uint32_t __fastcall__ matvec_patch(const int8_t* xq, uint8_t n);

/* For every row r: out[r] (=|+=) rescale(dot(W[r], xq), mulhi16(M_r, S), e_r + sS - 16). */
void matvec_run(void);

/* Sum of squares of each row of the group (the C64 kernel's correction term), 3 bytes a row,
 * written to mv_wsq; uses mv_reu, mv_stride, mv_rows and the n of the last matvec_patch. */
void matvec_wsq(void);

/* Attention scores out[t] = k_t.q for t < mv_rows, q the patched int8 vector (n = hs), each
 * key k_t stored as reu_format's KEY_ROWS says: rows L_t = lo - 128, H_t = hi (int8, n each,
 * back to back from mv_reu, mv_stride = n) and C_t = sum L^2 + 256 sum H^2 (u32, mv_wsq[4 t]);
 * q is read again (the vector given to matvec_patch must be unchanged); mv_kmax = max out[t]
 * (-2^31 for no rows). */
extern int32_t mv_kmax;
void matvec_kdots(void);

/* A key k (n = hs int16) as matvec_kdots reads it: rows L, H into mv_krow; returns C. */
extern uint8_t mv_krow[32];
uint32_t __fastcall__ matvec_krow(const int16_t* k, uint8_t n);

/* ---- att.s: attention inner loops -------------------------------------------------------- */

/* acc[i] += p[t] * v[t][i] (wrapping s32) for t < n, i < hs; v (n, hs) int16 rows. The sums
 * acc are att.s's own (att_acc; zero at start and after each att_out). */
void __fastcall__ att_values(const int16_t* v, const uint8_t* p, uint16_t n);

/* min(65535, 2^31 // d) for 2^15 <= d < 2^16 (the attention and sampler normalisers). */
uint16_t __fastcall__ att_recip(uint16_t d);

/* dst[i] = sat16(rescale(acc[i], att_inv, att_ish)) for i < n (1..16), then acc[i] = 0. */
void __fastcall__ att_out(int16_t* dst, uint8_t n);
extern uint16_t att_inv;
extern uint8_t att_ish;

/* Head size used by att_values (set once by model_init). */
extern uint8_t att_hs;

/* p[t] = exp8[min(255, rescale(att_best - s[t], att_f, att_sh))] for t < n (n >= 1), att_best =
 * max(s[0..n)) (the caller's, e.g. matvec_kdots's mv_kmax); then
 * att_inv, att_ish for att_out from T = sum p: T >= 2^16: N = T >> 1, ish = 32; else
 * N = T << k in [2^15, 2^16), ish = 31 - k; inv = att_recip(N). att_zc = min(255, first index
 * from which att_exp8 is 0) lets it skip the rescale where the index is past it. [attention] */
void __fastcall__ att_weights(uint8_t* p, const int32_t* s, uint16_t n);
extern int32_t att_best;         /* max s (per call) */
extern const uint8_t* att_exp8;  /* the EXP8 table (set once) */
extern uint8_t att_zc;           /* min(255, first zero index of EXP8) (set once) */
extern uint16_t att_f;           /* mulhi16(ATT_M, S of q) (per head) */
extern uint8_t att_sh;           /* ATT_E + sS of q - 16, 1..47 (per head) */

/* ---- vec.s: elementwise steps --------------------------------------------------------- */

/* dst[i] = sat16(src[i]) for i < n                                                  [sat16] */
void __fastcall__ vec_sat16(int16_t* dst, const int32_t* src, uint8_t n);

/* x[i] = sat16(x[i] + sat16(src[i])) for i < n                                   [residual] */
void __fastcall__ vec_residual(int16_t* x, const int32_t* src, uint8_t n);

/* hb[i] = sat16((silu(hb[i]) * h3[i] + 2^(F-1)) >> F) for i < n, F = gate_frac    [silu] */
void __fastcall__ vec_gate(int16_t* hb, const int16_t* h3, uint8_t n);
extern const int16_t* gate_tab;  /* the SILU table (set once) */
extern uint8_t gate_frac;        /* FRAC_H */
extern int16_t gate_half;        /* (SILU_LEN - 1) / 2 */
extern int16_t gate_last;        /* SILU_LEN - 1 */

/* The first index of the maximum of v[0..n), n >= 1 (the greedy sampler)           [argmax] */
uint16_t __fastcall__ vec_argmax(const int32_t* v, uint16_t n);

/* RoPE: for each pair i (even, < n) with f = i % rope_hs, (c, s) = row[f], row[f + 1]:
 * v[i], v[i+1] = sat16((v0*c - v1*s + 2^13) >> 14), sat16((v0*s + v1*c + 2^13) >> 14)  [rope] */
void __fastcall__ vec_rope(int16_t* v, const int16_t* row, uint8_t n);
extern uint8_t rope_hs;          /* head size (set once; even, <= 127) */

#endif
