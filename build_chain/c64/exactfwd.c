/*
 * exactfwd.c - the exact mode's forward pass (overlay): build_chain/twin_exact.py's
 * ExactTwin.forward integer for integer. The docstring there is the spec; the names in
 * brackets below are its primitives.
 *
 * Formats: every vector between steps is int32 Q.EX_FRAC; weights int16 with one exact scale
 * (M, e) per row; matrix inputs are int16 mantissas with one exponent E (ex_m, ex_e).
 * The trace hook EX_TRACE (host build only) prints each stage as ExactTwin's trace keys.
 */
#include <stdint.h>
#include "exact.h"
#include "model.h"
#include "hw.h"

#ifndef EX_TRACE
#define EX_TRACE(name, layer, buf, n)
#endif

#define DIM_MAX    64
#define HIDDEN_MAX 192
#define VOCAB_MAX  512
#define SEQ_MAX    512
#define HS_MAX     16
#define LAYERS_MAX 8
#define N_MATS     7               /* wq wk wv wo w1 w3 w2 */
#define KVCHUNK    8               /* positions of keys or values per REU fetch */
#define RECCHUNK   64              /* rows of scale records per REU fetch */

#pragma code-name (push, "EXCODE")
#pragma rodata-name (push, "EXCODE")
#pragma data-name (push, "EXCODE")
#pragma bss-name (push, "EXBSS")

static uint8_t ex_ready = 0;       /* tables and addresses loaded (kept in the exact slot) */

static int32_t x[DIM_MAX];         /* residual stream */
static int32_t q[DIM_MAX], k[DIM_MAX], v[DIM_MAX], att[DIM_MAX];
static int32_t h1[HIDDEN_MAX], h3[HIDDEN_MAX];
static int16_t ex_e;               /* exponent E of the matrix input */
static int32_t rope_row[HS_MAX];   /* (hs/2, 2) cos, sin Q1.30 at pos */
#pragma bss-name (push, "EXHBSS")  /* in $A000-$CFFF after the code */
static int16_t ex_m[HIDDEN_MAX];   /* matrix input mantissas */
static int16_t wrow[HIDDEN_MAX];   /* one weight row */
static uint8_t recs[RECCHUNK * 4];  /* scale records of RECCHUNK rows */
static int32_t kvbuf[KVCHUNK * HS_MAX];
#pragma bss-name (pop)
static ex64_t acc8[HS_MAX];
int32_t ex_logits10[VOCAB_MAX];    /* the logits; p of each position in the attention */
static uint32_t a_exp2;            /* REU address of EX_TAB_EXP2 (3, 256) u32 */
static uint32_t e2;
static uint32_t c_att, c_log2e;
static ex64_t c_eps;

static uint8_t dim, hidden, n_layers, n_heads, n_kv, hs, kv_dim, kv_mul;
static uint16_t vocab, seq_len;
static uint32_t a_w[LAYERS_MAX][N_MATS], a_s[LAYERS_MAX][N_MATS];
static uint32_t a_kc[LAYERS_MAX], a_vc[LAYERS_MAX];
static uint32_t a_emb, a_rope, a_cls, a_scls;
static ex64_t t64, u64;

/* ---------------------------------------------------------------------------------------------
 * Set-up
 */
static void setup(void)
{
    uint8_t l, m;
    uint32_t consts[EX_N_CONST];

    dim = (uint8_t)model.dim;
    hidden = (uint8_t)model.hidden_dim;
    n_layers = (uint8_t)model.n_layers;
    n_heads = (uint8_t)model.n_heads;
    n_kv = (uint8_t)model.n_kv_heads;
    vocab = model.vocab_size;
    seq_len = model.seq_len;
    hs = dim / n_heads;
    kv_dim = hs * n_kv;
    kv_mul = n_heads / n_kv;
    if (model.dim > DIM_MAX || model.hidden_dim > HIDDEN_MAX || model.vocab_size > VOCAB_MAX
        || model.seq_len > SEQ_MAX || hs > HS_MAX || model.n_layers > LAYERS_MAX) {
        fail(ERR_MODEL_TOO_LARGE);
    }
    ex_tables();
    a_exp2 = region_offset(T_EX_TAB_EXP2, REU_NO_LAYER);
    reu_fetch(consts, region_offset(T_EX_TAB_CONST, REU_NO_LAYER), sizeof consts);
    if (consts[EX_CONST_FRAC] != EX_FRAC) {
        fail(ERR_BAD_VERSION);
    }
    c_att = consts[EX_CONST_ATT];
    c_log2e = consts[EX_CONST_LOG2E];
    c_eps.lo = consts[EX_CONST_EPS];
    c_eps.hi = consts[EX_CONST_EPS_HI];
    a_emb = region_offset(T_EX_EMB, REU_NO_LAYER);
    a_rope = region_offset(T_EX_TAB_ROPE, REU_NO_LAYER);
    a_cls = region_offset(T_EX_WCLS, REU_NO_LAYER);
    a_scls = region_offset(T_EX_SCLS, REU_NO_LAYER);
    for (l = 0; l < n_layers; ++l) {
        a_kc[l] = region_offset(T_EX_KCACHE, l);
        a_vc[l] = region_offset(T_EX_VCACHE, l);
        for (m = 0; m < N_MATS; ++m) {
            a_w[l][m] = region_offset((uint8_t)(T_EX_WQ + m), l);
            a_s[l][m] = region_offset((uint8_t)(T_EX_SQ + m), l);
        }
    }
    ex_ready = 1;
}

/* ---------------------------------------------------------------------------------------------
 * Matrix inputs
 */
static uint32_t maxabs32(const int32_t* y, uint8_t n)
{
    uint32_t mx, a;
    uint8_t i;

    mx = 0;
    for (i = 0; i < n; ++i) {
        a = y[i] < 0 ? (uint32_t)0 - (uint32_t)y[i] : (uint32_t)y[i];
        if (a > mx) {
            mx = a;
        }
    }
    return mx;
}

static int16_t clamp16(int32_t v)
{
    if (v > 32767L) {
        return 32767;
    }
    if (v < -32767L) {
        return -32767;
    }
    return (int16_t)v;
}

static int8_t block16(int16_t* m, const int32_t* y, uint8_t n)
/* int32 vector -> mantissas m and exponent t                                      [block16] */
{
    uint32_t mx;
    int8_t t;
    uint8_t i;

    mx = maxabs32(y, n);
    if (mx == 0) {
        for (i = 0; i < n; ++i) {
            m[i] = 0;
        }
        return 0;
    }
    t = (int8_t)(bitlen32(mx) - 15);
    for (i = 0; i < n; ++i) {
        m[i] = clamp16(rsr32(y[i], t));
    }
    return t;
}

static void plain(const int32_t* y, uint8_t n)
/* A Q.F vector as a matrix input: E = t - F                                        [plain] */
{
    ex_e = (int16_t)block16(ex_m, y, n) - EX_FRAC;
}

static uint32_t div78(uint32_t u)
/* floor(2^78 / u) for u in [2^30, 2^32), < 2^48: returned in t64 too. */
{
    uint32_t rem;
    uint8_t i, top;

    rem = 0;
    t64.lo = 0;
    t64.hi = 0;
    for (i = 79; i != 0; --i) {
        top = (uint8_t)(rem >> 31);
        rem = (rem << 1) | (i == 79 ? 1 : 0);
        t64.hi = (t64.hi << 1) | (t64.lo >> 31);
        t64.lo <<= 1;
        if (top || rem >= u) {
            rem -= u;
            t64.lo |= 1;
        }
    }
    return t64.lo;
}

static uint32_t isqrt48(void)
/* floor(sqrt(t64)) for t64 < 2^50. */
{
    uint32_t r, c;
    uint8_t b;

    r = 0;
    for (b = 25; b != 0; --b) {
        c = r | (1UL << (b - 1));
        w_umul(&u64, c, c);
        if (w_cmp(&u64, &t64) <= 0) {
            r = c;
        }
    }
    return r;
}

static void rms(const int32_t* y)
/* RMSNorm input -> (ex_m, ex_e) of y / rms(y) / sqrt(dim)                             [rms] */
{
    int8_t a, j, jj, t;
    uint8_t i, bl;
    uint32_t u, r, mx;
    int32_t s;

    mx = maxabs32(y, dim);
    a = (int8_t)(bitlen32(mx) - 23);
    if (a < 0) {
        a = 0;
    }
    t64 = c_eps;
    w_rsr(&t64, 0);
    if (a != 0) {               /* EPS >> 2a: floor, EPS >= 0 */
        u64.lo = 1UL << (2 * a - 1);
        u64.hi = 0;
        w_sub(&t64, &u64);      /* rsr adds half: take it away first */
        w_rsr(&t64, (int8_t)(2 * a));
    }
    for (i = 0; i < dim; ++i) {
        s = y[i] >> a;
        w_smul(&u64, s, s);
        w_add(&t64, &u64);
    }
    bl = w_bitlen_abs(&t64);
    jj = (int8_t)(bl - 31);
    j = jj >= 0 ? jj / 2 : -((-jj + 1) / 2);
    if (j > 0) {                /* U >> 2j, floor */
        u64.lo = 1UL << (2 * j - 1);
        u64.hi = 0;
        w_sub(&t64, &u64);
    }
    w_rsr(&t64, (int8_t)(2 * j));
    u = t64.lo;
    div78(u);
    r = isqrt48();
    /* block16(y * r): t from max|y| * r */
    w_umul(&u64, mx, r);
    if (u64.hi == 0 && u64.lo == 0) {
        for (i = 0; i < dim; ++i) {
            ex_m[i] = 0;
        }
        t = 0;
    } else {
        t = (int8_t)(w_bitlen_abs(&u64) - 15);
        for (i = 0; i < dim; ++i) {
            w_smul(&u64, y[i], (int32_t)r);
            w_rsr(&u64, t);
            ex_m[i] = clamp16(w_sat32(&u64));
        }
    }
    ex_e = (int16_t)t - a - j - 39;
}

/* ---------------------------------------------------------------------------------------------
 * Matrices
 */
static void matvec(int32_t* out, uint32_t w, uint32_t s, uint16_t rows, uint8_t cols)
/* out[r] = sat32(rsr((sum_j W_rj m_j) * M_r, e_r - E - F))                         [matvec] */
{
    uint16_t r, mm;
    uint8_t* rec;
    int16_t sh;

    rec = recs + RECCHUNK * 4;
    for (r = 0; r < rows; ++r, rec += 4, w += (uint16_t)cols * 2) {
        if (rec == recs + RECCHUNK * 4) {
            reu_fetch(recs, s + (uint32_t)r * 4, RECCHUNK * 4);
            rec = recs;
        }
        mm = rec[0] | ((uint16_t)rec[1] << 8);
        if (mm == 0) {
            out[r] = 0;
            continue;
        }
        reu_fetch(wrow, w, (uint16_t)cols * 2);
        ex_dot16(&t64, wrow, ex_m, cols);
        w_mulu32(&t64, mm);
        sh = (int16_t)rec[2] - ex_e - EX_FRAC;
        if (sh < 1) {
            sh = 1;             /* the twin raises here: never for an exported image */
        }
        w_rsr(&t64, sh > 63 ? 63 : (int8_t)sh);
        out[r] = w_sat32(&t64);
    }
}

static void layer_matrix(int32_t* out, uint8_t l, uint8_t m, uint16_t rows, uint8_t cols)
{
    matvec(out, a_w[l][m], a_s[l][m], rows, cols);
}

/* ---------------------------------------------------------------------------------------------
 * RoPE
 */
static void rope(int32_t* vec, uint8_t n)
/* r0 = sat32(rsr(v0*c - v1*s, 30)), r1 = sat32(rsr(v0*s + v1*c, 30)) */
{
    uint8_t i, f;
    int32_t v0, v1, c, s;

    for (i = 0; i < n; i += 2) {
        f = (uint8_t)(i % hs);
        c = rope_row[f];
        s = rope_row[f + 1];
        v0 = vec[i];
        v1 = vec[i + 1];
        w_smul(&t64, v0, c);
        w_smul(&u64, v1, s);
        w_sub(&t64, &u64);
        w_rsr(&t64, EX_ROPE_FRAC);
        vec[i] = w_sat32(&t64);
        w_smul(&t64, v0, s);
        w_smul(&u64, v1, c);
        w_add(&t64, &u64);
        w_rsr(&t64, EX_ROPE_FRAC);
        vec[i + 1] = w_sat32(&t64);
    }
}

/* ---------------------------------------------------------------------------------------------
 * exp2neg
 */
static uint32_t tab(uint8_t i, uint8_t idx)
/* EX_TAB_EXP2[i][idx], read from the REU */
{
    reu_fetch(&e2, a_exp2 + ((uint16_t)i * 256 + idx) * 4, 4);
    return e2;
}

static uint32_t exp2_v(uint32_t u)
/* v of exp2neg_parts(u): 2^(-(u mod 2^24) / 2^24) in Q.31 (before the shift by u >> 24). */
{
    uint32_t t1;

    t1 = tab(0, (uint8_t)(u >> 16));
    w_umul(&u64, t1, tab(1, (uint8_t)(u >> 8)));
    w_rsr(&u64, 31);
    w_umul(&u64, u64.lo, tab(2, (uint8_t)u));
    w_rsr(&u64, 31);
    return u64.lo;
}

static uint32_t rsr32u(uint32_t val, uint8_t sh)
/* rsr of an unsigned value, 1 <= sh */
{
    if (sh >= 33) {
        return 0;
    }
    if (sh == 32) {
        return val >> 31;
    }
    return (val >> sh) + ((val >> (sh - 1)) & 1);
}

/* ---------------------------------------------------------------------------------------------
 * Attention
 */
static void score(const int32_t* kv)
/* t64 = S_t = sum_i qm_i K_ti */
{
    uint8_t n;

    t64.lo = 0;
    t64.hi = 0;
    for (n = 0; n < hs; ++n) {
        w_smul(&u64, kv[n], ex_m[n]);
        w_add(&t64, &u64);
    }
}

static void score_u(uint8_t ts, int8_t tq)
/* t64 = U = rsr(rsr(S, ts) * c_att, 2F + 7 - ts - tq) */
{
    if (ts) {
        w_rsr(&t64, (int8_t)ts);
    }
    w_mulu32(&t64, c_att);
    w_rsr(&t64, (int8_t)(2 * EX_FRAC + 7 - ts - tq));
}

static void attention_head(uint8_t l, uint8_t h, uint16_t pos)
/* att[h*hs ..] = one query head over positions 0..pos                          [attention] */
{
    uint8_t kvh, i, ts, n, bl;
    int8_t tq;
    uint16_t t, cnt, m;
    uint32_t kbase, vbase, stride, total, p;
    uint32_t* pt;
    int32_t* kv;
    ex64_t smax, umax;

    kvh = h / kv_mul;
    tq = block16(ex_m, q + h * hs, hs);
    cnt = pos + 1;
    stride = (uint32_t)hs * 4;
    kbase = a_kc[l] + (uint32_t)kvh * seq_len * stride;
    vbase = a_vc[l] + (uint32_t)kvh * seq_len * stride;
    bl = 0;
    for (t = 0; t < cnt; t += m) {          /* pass 1: max S and max bit length of |S| */
        m = cnt - t < KVCHUNK ? cnt - t : KVCHUNK;
        reu_fetch(kvbuf, kbase + t * stride, m * (uint16_t)stride);
        for (kv = kvbuf, i = 0; i < m; ++i, kv += hs) {
            score(kv);
            n = w_bitlen_abs(&t64);
            if (n > bl) {
                bl = n;
            }
            if ((t == 0 && i == 0) || w_cmp(&t64, &smax) > 0) {
                smax = t64;
            }
        }
    }
    ts = bl > 31 ? (uint8_t)(bl - 31) : 0;
    t64 = smax;
    score_u(ts, tq);
    umax = t64;
    total = 0;
    pt = (uint32_t*)ex_logits10;
    for (t = 0; t < cnt; t += m) {          /* pass 2: p_t */
        m = cnt - t < KVCHUNK ? cnt - t : KVCHUNK;
        reu_fetch(kvbuf, kbase + t * stride, m * (uint16_t)stride);
        for (kv = kvbuf, i = 0; i < m; ++i, kv += hs) {
            score(kv);
            score_u(ts, tq);
            u64 = umax;
            w_sub(&u64, &t64);      /* D = max U - U_t >= 0 */
            if (u64.hi != 0 || u64.lo >= (32UL << 24)) {
                p = 0;
            } else {
                n = (uint8_t)(u64.lo >> 24);
                p = rsr32u(exp2_v(u64.lo), (uint8_t)(n + 8));
            }
            pt[t + i] = p;
            total += p;
        }
    }
    for (i = 0; i < hs; ++i) {
        acc8[i].lo = 0;
        acc8[i].hi = 0;
    }
    for (t = 0; t < cnt; t += m) {          /* pass 3: A = sum p_t V_t */
        m = cnt - t < KVCHUNK ? cnt - t : KVCHUNK;
        reu_fetch(kvbuf, vbase + t * stride, m * (uint16_t)stride);
        for (kv = kvbuf, i = 0; i < m; ++i, kv += hs) {
            p = pt[t + i];
            if (p == 0) {
                continue;
            }
            for (n = 0; n < hs; ++n) {
                w_smul(&u64, kv[n], (int32_t)p);
                w_add(&acc8[n], &u64);
            }
        }
    }
    for (i = 0; i < hs; ++i) {   /* floor((A + (P >> 1)) / P) */
        t64.lo = total >> 1;
        t64.hi = 0;
        w_add(&t64, &acc8[i]);
        if ((int32_t)t64.hi < 0) {
            w_neg(&t64);
            u64.lo = total - 1;
            u64.hi = 0;
            w_add(&t64, &u64);
            att[h * hs + i] = -(int32_t)w_udiv(&t64, total);
        } else {
            att[h * hs + i] = (int32_t)w_udiv(&t64, total);
        }
    }
}

static void attention(uint8_t l, uint16_t pos)
{
    uint8_t h;
    uint32_t stride;

    stride = (uint32_t)hs * 4;
    for (h = 0; h < n_kv; ++h) {
        reu_stash(k + h * hs, a_kc[l] + ((uint32_t)h * seq_len + pos) * stride, (uint16_t)stride);
        reu_stash(v + h * hs, a_vc[l] + ((uint32_t)h * seq_len + pos) * stride, (uint16_t)stride);
    }
    for (h = 0; h < n_heads; ++h) {
        attention_head(l, h, pos);
    }
}

/* ---------------------------------------------------------------------------------------------
 * FFN
 */
static void swiglu(void)
/* h1 = silu(h1) * h3                                                               [swiglu] */
{
    uint8_t c, n;
    int32_t a;
    uint32_t e, d, s;

    for (c = 0; c < hidden; ++c) {
        a = h1[c];
        w_umul(&t64, a < 0 ? (uint32_t)0 - (uint32_t)a : (uint32_t)a, c_log2e);
        w_rsr(&t64, 30 + EX_FRAC - 24);
        if (t64.hi != 0 || t64.lo >= (32UL << 24)) {
            e = 0;
        } else {
            n = (uint8_t)(t64.lo >> 24);
            e = exp2_v(t64.lo);
            if (n != 0) {
                e = rsr32u(e, n);
            }
        }
        if (e >= 0x80000000UL) {
            s = 0x40000000UL;       /* D = 2^32 */
        } else {
            d = 0x80000000UL + e;
            t64.hi = 0x40000000UL;
            t64.lo = d >> 1;
            s = w_udiv(&t64, d);
        }
        if (a < 0) {
            s = 0x80000000UL - s;
        }
        w_umul(&t64, a < 0 ? (uint32_t)0 - (uint32_t)a : (uint32_t)a, s);
        if (a < 0) {
            w_neg(&t64);
        }
        w_rsr(&t64, 31);
        w_smul(&t64, (int32_t)t64.lo, h3[c]);
        w_rsr(&t64, EX_FRAC);
        h1[c] = w_sat32(&t64);
    }
}

static void residual(const int32_t* y)
{
    uint8_t i;

    for (i = 0; i < dim; ++i) {
        w_set32(&t64, x[i]);
        w_set32(&u64, y[i]);
        w_add(&t64, &u64);
        x[i] = w_sat32(&t64);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Forward pass
 */
void __fastcall__ ex_run(uint16_t token, uint16_t pos)
{
    uint8_t l;
    uint16_t i;
    int32_t best;

    if (!ex_ready) {
        setup();
    }
    status_phase(0, PHASE_EMBED);
    reu_fetch(x, a_emb + (uint32_t)token * dim * 4, dim * 4);
    reu_fetch(rope_row, a_rope + (uint32_t)pos * hs * 4, hs * 4);
    EX_TRACE("embed", 255, x, dim);
    for (l = 0; l < n_layers; ++l) {
        status_phase(l, PHASE_QKV);
        rms(x);
        layer_matrix(q, l, 0, dim, dim);
        rope(q, dim);
        EX_TRACE("q", l, q, dim);
        layer_matrix(k, l, 1, kv_dim, dim);
        rope(k, kv_dim);
        EX_TRACE("k", l, k, kv_dim);
        layer_matrix(v, l, 2, kv_dim, dim);
        EX_TRACE("v", l, v, kv_dim);
        status_phase(l, PHASE_ATTENTION);
        attention(l, pos);
        EX_TRACE("att", l, att, dim);
        status_phase(l, PHASE_OUTPUT);
        plain(att, dim);
        layer_matrix(q, l, 3, dim, dim);
        residual(q);
        EX_TRACE("x_att", l, x, dim);
        status_phase(l, PHASE_FFN);
        rms(x);
        layer_matrix(h1, l, 4, hidden, dim);
        layer_matrix(h3, l, 5, hidden, dim);
        swiglu();
        EX_TRACE("hb", l, h1, hidden);
        plain(h1, hidden);
        layer_matrix(q, l, 6, dim, hidden);
        residual(q);
        EX_TRACE("x_ffn", l, x, dim);
    }
    status_phase(n_layers, PHASE_CLASSIFIER);
    rms(x);
    matvec(ex_logits10, a_cls, a_scls, vocab, dim);
    EX_TRACE("logits", 255, ex_logits10, vocab);
    ex_best = 0;
    best = ex_logits10[0];
    for (i = 0; i < vocab; ++i) {
        if (ex_logits10[i] > best) {
            best = ex_logits10[i];
            ex_best = i;
        }
        ex_logits10[i] = rsr32(ex_logits10[i], EX_FRAC - FRAC_LOGIT);
    }
}

#pragma bss-name (pop)
#pragma data-name (pop)
#pragma rodata-name (pop)
#pragma code-name (pop)
