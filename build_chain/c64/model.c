/*
 * model.c - the forward pass and the sampler: build_chain/twin.py, integer for integer.
 *
 * Sections: buffers, set-up, matrices, stages (norm, RoPE, attention, FFN), forward, sampler.
 * The hot loops are asm (maths.h: dot8.s, mul.s, quant.s, att.s); the host build links
 * tests/c64/host/shim.c instead, so gcc runs this same file against the twin.
 *
 * Trace: after each stage model_forward calls an empty global function trace_<stage>()
 * (labels _trace_embed ... in the label file) with trace_layer = the layer; the stage's
 * buffer holds the twin's trace value then (README.md lists them).
 */
#include <stdint.h>
#include "model.h"
#include "maths.h"
#include "hw.h"
#include "exact.h"

/* ---------------------------------------------------------------------------------------------
 * Limits and buffers
 */
#define DIM_MAX     64
#define HIDDEN_MAX  256
#define VOCAB_MAX   512
#define SEQ_MAX     512
#define HS_MAX      16
#define LAYERS_MAX  8
#define KVBUF_BYTES 2048u          /* keys or values of a chunk of positions */
#define REC_BYTES   2048u          /* scale records of one matrix */
#define WSQ_BYTES   1536u          /* weight-square sums of one matrix */
#define N_MATS      7              /* wq wk wv wo w1 w3 w2 */

int16_t model_x[DIM_MAX];          /* residual stream, Q.FRAC_X ('embed', 'L.x_att', 'L.x_ffn') */
int16_t model_q[DIM_MAX];          /* q after RoPE, Q.FRAC_QK ('L.q') */
int16_t model_k[DIM_MAX];          /* k after RoPE, Q.FRAC_QK ('L.k'), kv_dim used */
int16_t model_v[DIM_MAX];          /* v, Q.FRAC_V ('L.v'), kv_dim used */
int16_t model_att[DIM_MAX];        /* attention output, Q.FRAC_V ('L.att') */
int8_t  model_xq[HIDDEN_MAX];      /* int8 matrix input (one quant() group at a time) */
uint8_t trace_layer;               /* layer of the stage just traced */
static int16_t rope_row[HS_MAX];   /* (hs/2, 2) cos, sin Q1.14 at pos */
static int8_t  att_qq[HS_MAX];     /* (hs,) int8 q of one head */
static uint16_t att_m;
static uint8_t  att_e;
static uint32_t ah_kreu, ah_vreu;  /* the head's KV head: keys' and values' REU addresses */
static uint8_t ah_chunk;           /* positions of a kvbuf chunk (model_init) */
static uint16_t ah_stride;         /* bytes of a cached key or value row, 2 hs (model_init) */

#pragma bss-name (push, "HIBSS")
int16_t model_hb[HIDDEN_MAX];      /* silu(h1)*h3, Q.FRAC_H ('L.hb'); h1 before that */
int16_t model_h3[HIDDEN_MAX];      /* h3, Q.FRAC_H */
int32_t model_out[HIDDEN_MAX];     /* s32 matrix outputs before saturation */
static uint8_t recs[REC_BYTES];    /* (rows, groups, 4) scale records of the current matrix */
static uint8_t wsqbuf[WSQ_BYTES];  /* (groups, rows, 3) sums of squared weights, same matrix */
/* keys or values of a chunk of positions; live only inside attention_head's value loop (fetch,
 * att_values), so quant.s keeps its per-vector table TH (3 x 129 bytes) in it too */
int16_t kvbuf[KVBUF_BYTES / 2];
#if KVBUF_BYTES < 387
#error "kvbuf must hold quant.s's table"
#endif
static uint8_t att_p[SEQ_MAX];     /* (pos+1,) u8 exp8 weights */
static uint16_t tab_rsqrt[256];
static uint8_t  tab_exp8[256];
static int16_t  tab_silu[SILU_LEN];
static uint16_t tab_exp16[EXP16_LEN];
#pragma bss-name (pop)

#pragma bss-name (push, "TOPBSS")
int32_t model_logits[VOCAB_MAX];   /* s32 logits, Q.FRAC_LOGIT ('logits') */
static union {                     /* attention scores, or the sampler's work arrays */
    int32_t s[SEQ_MAX];            /* (pos+1,) s32 scores */
    struct {
        uint16_t idx[VOCAB_MAX];   /* (vocab,) exp16 index of each token */
        uint16_t hist[EXP16_LEN];  /* (EXP16_LEN,) tokens per index */
    } smp;
} work;
#pragma bss-name (pop)


static uint8_t dim, hidden, n_layers, n_heads, n_kv, hs, kv_dim, kv_mul, n_g2;
static uint16_t vocab, seq_len;
static uint32_t reu_w[LAYERS_MAX][N_MATS];  /* REU address of each matrix ... */
static uint32_t reu_s[LAYERS_MAX][N_MATS];  /* ... and of its scale records */
static uint32_t reu_kc[LAYERS_MAX], reu_vc[LAYERS_MAX];
static uint32_t kv_hstep;          /* bytes from one KV head's cache to the next */
static uint32_t reu_kcon[LAYERS_MAX];  /* the keys' C_t (reu_format KEY_ROWS: in EX_KCACHE) */
static uint32_t reu_emb, reu_rope, reu_cls, reu_scls;

/* Sums of squared weights per (row, group), 3 bytes each, for the C64 kernel: computed by
 * model_init and kept in the REU's free tail, after the image. */
static uint32_t reu_wsq[LAYERS_MAX][N_MATS];
static uint32_t reu_wsq_cls;

static uint32_t rng;

/* ---------------------------------------------------------------------------------------------
 * Trace points: empty, global, one per stage (the lead's `gui64 trace` stops at their labels).
 */
#ifndef TRACE_HOOK
#define TRACE_HOOK(stage)          /* the host build records the stage here */
#endif
void trace_embed(void) { TRACE_HOOK(0); }
void trace_q(void) { TRACE_HOOK(1); }
void trace_k(void) { TRACE_HOOK(2); }
void trace_v(void) { TRACE_HOOK(3); }
void trace_att(void) { TRACE_HOOK(4); }
void trace_x_att(void) { TRACE_HOOK(5); }
void trace_h1(void) { TRACE_HOOK(9); }
void trace_h3(void) { TRACE_HOOK(10); }
void trace_hb(void) { TRACE_HOOK(6); }
void trace_x_ffn(void) { TRACE_HOOK(7); }
void trace_logits(void) { TRACE_HOOK(8); }

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 */

static void fetch_table(void* dst, uint8_t tensor, uint16_t len)
/* Copy a table region into RAM. */
{
    reu_fetch(dst, region_offset(tensor, REU_NO_LAYER), len);
}

/* ---------------------------------------------------------------------------------------------
 * Set-up
 */
static const uint8_t mat_ids[N_MATS] = {T_WQ, T_WK, T_WV, T_WO, T_W1, T_W3, T_W2};

static void mat_shape(uint8_t m, uint16_t* rows, uint16_t* cols)
/* Rows and columns of matrix m (index into mat_ids). */
{
    switch (m) {
    case 0: case 3: *rows = dim; *cols = dim; break;
    case 1: case 2: *rows = kv_dim; *cols = dim; break;
    case 4: case 5: *rows = hidden; *cols = dim; break;
    default: *rows = dim; *cols = hidden; break;
    }
}

static uint8_t groups_of(uint16_t cols)
{
    return (uint8_t)((cols + GROUP - 1) / GROUP);
}

static uint32_t wsq_fill(uint32_t dst, uint32_t w, uint16_t rows, uint16_t cols)
/* Sums of squared weights of every (row, group) of one matrix, group-major, stored in the REU
 * at dst; returns the next free REU address. */
{
    static const int8_t zeros[GROUP] = {0};
    uint8_t g, ng, len;
    uint16_t bytes;

    ng = groups_of(cols);
    bytes = 3u * rows * ng;
    if (bytes > WSQ_BYTES || dst + bytes > model.reu_found) {
        fail(ERR_MODEL_TOO_LARGE);
    }
    for (g = 0; g < ng; ++g) {
        len = (uint8_t)((cols - (uint16_t)g * GROUP) < GROUP ? cols - (uint16_t)g * GROUP : GROUP);
        matvec_patch(zeros, len);
        mv_reu = w + (uint16_t)g * GROUP;
        mv_stride = cols;
        mv_rows = rows;
        mv_wsq = wsqbuf + (uint16_t)g * rows * 3;
        matvec_wsq();
    }
    reu_stash(wsqbuf, dst, bytes);
    return dst + bytes;
}

void model_init(void)
/* Read shapes and tables, locate every region, precompute the kernel's weight sums. */
{
    uint8_t l, m;
    uint16_t rows, cols, consts[N_CONST];
    uint32_t tail;

    if (region_offset(T_EX_WQ, 0)) {
        exact_init();              /* first: saves the exact overlay before HIRAM is used */
    }
    mul_init();
    dot_init();
    dim = (uint8_t)model.dim;
    hidden = (uint8_t)model.hidden_dim;
    n_layers = (uint8_t)model.n_layers;
    n_heads = (uint8_t)model.n_heads;
    n_kv = (uint8_t)model.n_kv_heads;
    vocab = model.vocab_size;
    seq_len = model.seq_len;
    if (model.dim > DIM_MAX || model.hidden_dim > HIDDEN_MAX || model.n_layers > LAYERS_MAX
        || model.vocab_size > VOCAB_MAX || model.seq_len > SEQ_MAX || model.dim % model.n_heads != 0
        || model.dim / model.n_heads > HS_MAX || model.n_heads % model.n_kv_heads != 0) {
        fail(ERR_MODEL_TOO_LARGE);
    }
    hs = dim / n_heads;
    kv_dim = hs * n_kv;
    kv_mul = n_heads / n_kv;
    n_g2 = groups_of(hidden);
    att_hs = hs;
    kv_hstep = (uint32_t)seq_len * hs * 2;
    ah_chunk = (uint8_t)(KVBUF_BYTES / 2 / hs);
    ah_stride = (uint16_t)hs * 2;
    if ((uint16_t)n_g2 * dim * 4 > REC_BYTES || vocab * 4 > REC_BYTES || (uint16_t)hidden * 4 > REC_BYTES) {
        fail(ERR_MODEL_TOO_LARGE);
    }

    fetch_table(tab_rsqrt, T_TAB_RSQRT, sizeof tab_rsqrt);
    fetch_table(tab_exp8, T_TAB_EXP8, sizeof tab_exp8);
    fetch_table(tab_silu, T_TAB_SILU, sizeof tab_silu);
    fetch_table(tab_exp16, T_TAB_EXP16, sizeof tab_exp16);
    fetch_table(consts, T_TAB_CONST, sizeof consts);
    att_m = consts[CONST_ATT_M];
    att_e = (uint8_t)consts[CONST_ATT_E];
    gate_tab = tab_silu;
    gate_frac = FRAC_H;
    gate_half = (SILU_LEN - 1) / 2;
    gate_last = SILU_LEN - 1;
    rope_hs = hs;
    att_exp8 = tab_exp8;
    att_zc = 255;                      /* min(255, first index from which exp8 is 0) */
    if (tab_exp8[255] == 0) {
        while (att_zc != 0 && tab_exp8[att_zc - 1] == 0) {
            --att_zc;
        }
    }
    reu_emb = region_offset(T_EMB, REU_NO_LAYER);
    reu_rope = region_offset(T_TAB_ROPE, REU_NO_LAYER);
    reu_cls = region_offset(T_WCLS, REU_NO_LAYER);
    reu_scls = region_offset(T_SCLS, REU_NO_LAYER);

    tail = (model.image_size + 255) & ~255UL;
    for (l = 0; l < n_layers; ++l) {
        reu_kc[l] = region_offset(T_KCACHE, l);
        reu_kcon[l] = region_offset(T_EX_KCACHE, l);
        if (reu_kcon[l] == 0 || region_length(T_EX_KCACHE, l) < (uint32_t)n_kv * seq_len * 4) {
            fail(ERR_MODEL_TOO_LARGE);
        }
        reu_vc[l] = region_offset(T_VCACHE, l);
        for (m = 0; m < N_MATS; ++m) {
            reu_w[l][m] = region_offset(mat_ids[m], l);
            reu_s[l][m] = region_offset((uint8_t)(mat_ids[m] + (T_SQ - T_WQ)), l);
            mat_shape(m, &rows, &cols);
            reu_wsq[l][m] = tail;
            tail = wsq_fill(tail, reu_w[l][m], rows, cols);
        }
    }
    reu_wsq_cls = tail;
    wsq_fill(tail, reu_cls, vocab, dim);
}

void model_reset(void)
/* A new story: the sampler's PRNG restarts from seed_state(seed) = seed * 0x9E3779B1 mod 2^32,
 * or 1 if that is 0 (the KV cache is rewritten from pos 0). */
{
    rng = run.seed * 0x9E3779B1UL;
    if (rng == 0) {
        rng = 1;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Matrices
 */
static uint8_t pair_ss;            /* sS of the current input pair */
static uint16_t pair_s;            /* S of the current input pair */

static void normed(const int16_t* x)
/* quant(x) into model_xq, patch the kernel, (S, sS) = rms_pair                 [rms_pair] */
{
    uint32_t u;
    int8_t k2;

    quant(x, model_xq, dim);
    u = matvec_patch(model_xq, dim);
    if (u == 0) {
        pair_s = 0;
        pair_ss = 23;
        return;
    }
    k2 = 0;
    while (u >= 0x10000UL) {
        u >>= 2;
        ++k2;
    }
    while (u < 0x4000UL) {
        u <<= 2;
        --k2;
    }
    pair_s = tab_rsqrt[(uint16_t)u >> 8];
    pair_ss = (uint8_t)(23 + k2);
}

static void run_matrix(int32_t* out, uint32_t w, uint32_t s, uint32_t wsqa, uint16_t rows, uint16_t cols,
                       uint8_t g, uint8_t add)
/* out (=|+=) the rescaled rows of group g of a matrix times the patched input (pair_s, pair_ss). */
{
    uint8_t ng;

    ng = groups_of(cols);
    if (g == 0) {
        reu_fetch(recs, s, rows * ng * 4);
        reu_fetch(wsqbuf, wsqa, rows * ng * 3);
    }
    mv_out = out;
    mv_reu = w + (uint16_t)g * GROUP;
    mv_stride = cols;
    mv_rec = recs + g * 4;
    mv_rec_stride = (uint8_t)(ng * 4);
    mv_rows = rows;
    mv_s = pair_s;
    mv_ss = pair_ss;
    mv_add = add;
    mv_wsq = wsqbuf + (uint16_t)g * rows * 3;
    matvec_run();
}

static void layer_matrix(int32_t* out, uint8_t l, uint8_t m)
/* out = matrix m of layer l times the patched single-group input. */
{
    uint16_t rows, cols;

    mat_shape(m, &rows, &cols);
    run_matrix(out, reu_w[l][m], reu_s[l][m], reu_wsq[l][m], rows, cols, 0, 0);
}

static void quant_pair(const int16_t* x, uint8_t n)
/* quant(x) into model_xq and patch the kernel; (S, sS) = (m << k, k)                [quant] */
{
    pair_ss = quant(x, model_xq, n);
    pair_s = quant_s;
    matvec_patch(model_xq, n);
}

static void saturate(int16_t* dst, const int32_t* src, uint8_t n)
{
    vec_sat16(dst, src, n);
}

static void residual(const int32_t* src)
/* x = sat16(x + sat16(src)) */
{
    vec_residual(model_x, src, dim);
}

/* ---------------------------------------------------------------------------------------------
 * RoPE
 */
static void rope(int16_t* v, uint8_t n)
/* Rotate pairs (v0, v1) of each head by the (cos, sin) row at pos, Q1.14, round half up. */
{
    vec_rope(v, rope_row, n);
}

/* ---------------------------------------------------------------------------------------------
 * Attention
 */
static void attention_head(const int16_t* qh, int16_t* oh, uint16_t n)
/* One query head qh over positions 0..n-1 of the KV head at ah_kreu, ah_vreu, whose keys' C_t
 * attention() has fetched into recs: oh = o                                    [attention] */
{
    uint8_t k;
    uint16_t t, m, bytes;
    uint32_t base;

    k = quant(qh, att_qq, hs);
    matvec_patch(att_qq, hs);              /* scores: s_t = k_t.q by the matvec kernel (it sums q too) */
    mv_reu = ah_kreu;
    mv_stride = hs;
    mv_rows = n;
    mv_wsq = recs;
    mv_out = work.s;
    matvec_kdots();
    att_best = mv_kmax;
    att_f = mulhi16(att_m, quant_s);
    att_sh = (uint8_t)(att_e + k - 16);
    att_weights(att_p, work.s, n);     /* and att_inv, att_ish from sum p */
    base = ah_vreu;
    for (t = 0; t < n; t += m) {
        m = n - t < ah_chunk ? n - t : ah_chunk;
        bytes = m * ah_stride;
        reu_fetch(kvbuf, base, bytes);
        base += bytes;
        att_values(kvbuf, att_p + t, m);   /* sums in att.s */
    }
    att_out(oh, hs);                   /* and zeroes them */
}

static void attention(uint8_t l, uint16_t pos)
/* Store k, v at pos in the REU cache (keys as matvec_kdots reads them), then every head; the
 * heads of one KV head share its keys' C_t (fetched once into recs) and REU addresses. */
{
    uint8_t h, j;
    uint16_t stride, n;
    uint32_t off, coff, c;
    const int16_t* qh;
    int16_t* oh;

    stride = (uint16_t)hs * 2;
    off = (uint32_t)pos * stride;
    coff = (uint32_t)pos << 2;
    for (h = 0; h < n_kv; ++h) {
        c = matvec_krow(model_k + h * hs, hs);
        reu_stash(mv_krow, reu_kc[l] + off, stride);
        reu_stash(&c, reu_kcon[l] + coff, 4);
        reu_stash(model_v + h * hs, reu_vc[l] + off, stride);
        off += kv_hstep;
        coff += (uint32_t)seq_len * 4;
    }
    n = pos + 1;
    ah_kreu = reu_kc[l];
    ah_vreu = reu_vc[l];
    coff = reu_kcon[l];
    qh = model_q;
    oh = model_att;
    for (h = 0; h < n_kv; ++h) {
        reu_fetch(recs, coff, n * 4);
        for (j = 0; j < kv_mul; ++j) {
            attention_head(qh, oh, n);
            qh += hs;
            oh += hs;
        }
        ah_kreu += kv_hstep;
        ah_vreu += kv_hstep;
        coff += (uint32_t)seq_len * 4;
    }
}

/* ---------------------------------------------------------------------------------------------
 * FFN
 */
static void ffn(uint8_t l)
{
    uint8_t i, g, len;
    uint16_t c;

    normed(model_x);
    layer_matrix(model_out, l, 4);
    saturate(model_hb, model_out, hidden);
    trace_layer = l;
    trace_h1();
    layer_matrix(model_out, l, 5);
    saturate(model_h3, model_out, hidden);
    trace_h3();
    vec_gate(model_hb, model_h3, hidden);   /* hb = sat16((silu(h1) * h3 + 2^(FRAC_H-1)) >> FRAC_H) */
    trace_layer = l;
    trace_hb();
    for (g = 0; g < n_g2; ++g) {
        c = (uint16_t)g * GROUP;
        len = (uint8_t)(hidden - c < GROUP ? hidden - c : GROUP);
        quant_pair(model_hb + c, len);
        run_matrix(model_out, reu_w[l][6], reu_s[l][6], reu_wsq[l][6], dim, hidden, g, g != 0);
    }
    (void)i;
    residual(model_out);
}

/* ---------------------------------------------------------------------------------------------
 * Forward pass
 */
void __fastcall__ model_forward(uint16_t token, uint16_t pos)
/* Logits for token at pos into model_logits; stores k, v at pos in the REU cache. */
{
    uint8_t l;

    if (run.mode == 1) {
        exact_forward(token, pos);
        return;
    }
    status_phase(0, PHASE_EMBED);
    reu_fetch(model_x, reu_emb + (uint32_t)token * dim * 2, dim * 2);
    reu_fetch(rope_row, reu_rope + (uint32_t)pos * hs * 2, hs * 2);
    trace_layer = 0;
    trace_embed();
    for (l = 0; l < n_layers; ++l) {
        trace_layer = l;
        status_phase(l, PHASE_QKV);
        normed(model_x);
        layer_matrix(model_out, l, 0);
        saturate(model_q, model_out, dim);
        rope(model_q, dim);
        trace_q();
        layer_matrix(model_out, l, 1);
        saturate(model_k, model_out, kv_dim);
        rope(model_k, kv_dim);
        trace_k();
        layer_matrix(model_out, l, 2);
        saturate(model_v, model_out, kv_dim);
        trace_v();
        status_phase(l, PHASE_ATTENTION);
        attention(l, pos);
        trace_att();
        status_phase(l, PHASE_OUTPUT);
        quant_pair(model_att, dim);
        layer_matrix(model_out, l, 3);
        residual(model_out);
        trace_x_att();
        status_phase(l, PHASE_FFN);
        ffn(l);
        trace_layer = l;
        trace_x_ffn();
    }
    status_phase(n_layers, PHASE_CLASSIFIER);
    normed(model_x);
    run_matrix(model_logits, reu_cls, reu_scls, reu_wsq_cls, vocab, dim, 0, 0);
    trace_logits();
}

/* ---------------------------------------------------------------------------------------------
 * Sampler
 */
static uint32_t xorshift32(uint32_t s)
{
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

static uint16_t nth_with_p(uint16_t p, uint16_t r)
/* The r-th token (0-based, id order) whose weight is p. */
{
    uint16_t i;

    for (i = 0; i < vocab; ++i) {
        if (tab_exp16[work.smp.idx[i]] == p) {
            if (r == 0) {
                return i;
            }
            --r;
        }
    }
    return 0;
}

uint16_t model_sample(void)
/* Next token from model_logits: greedy at temperature 0, else temperature + top-p  [sample] */
{
    uint16_t i, j, t, kt, inv, p, cnt, top;
    int32_t best, d;
    int32_t id;
    uint32_t total, thresh, c, kept, target, step, span;

    if (run.mode == 1 && run.temperature_q8 == 0) {
        return exact_argmax();
    }
    status_phase(n_layers, PHASE_SAMPLE);
    if (run.temperature_q8 == 0) {
        return vec_argmax(model_logits, vocab);
    }
    best = model_logits[vec_argmax(model_logits, vocab)];
    t = run.temperature_q8;
    kt = 0;
    while (t < 0x8000u) {
        t <<= 1;
        ++kt;
    }
    inv = att_recip(t);
    total = 0;
    for (i = 0; i < vocab; ++i) {
        d = best - model_logits[i];
        if (d > 0x1000000L) {
            d = 0x1000000L;
        }
        id = rescale(d, inv, (uint8_t)(28 - kt));
        work.smp.idx[i] = id > EXP16_LEN - 1 ? EXP16_LEN - 1 : (uint16_t)id;
        total += tab_exp16[work.smp.idx[i]];
    }
    rng = xorshift32(rng);
    top = run.top_p_q16;
    if (top == 0 || top == 0xFFFF) {
        target = rng % total;
        c = 0;
        for (i = 0; i < vocab; ++i) {
            c += tab_exp16[work.smp.idx[i]];
            if (c > target) {
                return i;
            }
        }
        return vocab - 1;
    }
    /* top-p: tokens sorted by (p desc, id asc) = levels of equal p by rising index. */
    for (i = 0; i < EXP16_LEN; ++i) {
        work.smp.hist[i] = 0;
    }
    for (i = 0; i < vocab; ++i) {
        ++work.smp.hist[work.smp.idx[i]];
    }
    thresh = (total >> 8) * (top >> 8);
    c = 0;
    kept = 0;
    p = 0;
    cnt = 0;
    for (i = 0; i < EXP16_LEN; i = j) {
        p = tab_exp16[i];
        cnt = 0;
        for (j = i; j < EXP16_LEN && tab_exp16[j] == p; ++j) {
            cnt += work.smp.hist[j];
        }
        if (cnt == 0 || p == 0) {
            continue;
        }
        span = (uint32_t)p * cnt;
        if (c + span >= thresh) {
            /* keep the first k of this level: smallest k >= 1 with c + p*k >= thresh */
            step = thresh > c ? (thresh - c + p - 1) / p : 1;
            if (step == 0) {
                step = 1;
            }
            cnt = (uint16_t)step;
            kept = c + (uint32_t)p * cnt;
            break;
        }
        c += span;
    }
    target = rng % kept;
    /* walk the same levels again up to the kept one */
    c = 0;
    for (i = 0; i < EXP16_LEN; i = j) {
        uint16_t q = tab_exp16[i];
        uint16_t n = 0;
        for (j = i; j < EXP16_LEN && tab_exp16[j] == q; ++j) {
            n += work.smp.hist[j];
        }
        if (n == 0 || q == 0) {
            continue;
        }
        if (q == p) {
            n = cnt;               /* the last level is kept in part */
        }
        if (target < c + (uint32_t)q * n) {
            return nth_with_p(q, (uint16_t)((target - c) / q));
        }
        c += (uint32_t)q * n;
    }
    return 0;
}
