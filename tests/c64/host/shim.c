/*
 * shim.c - host (gcc) stand-in for the C64 platform and the asm primitives, so that
 * build_chain/c64/model.c runs on the PC against the integer twin.
 *
 * Usage:
 *   host REU gen TEMP_Q8 TOPP_Q16 SEED STEPS TOKEN...   generated tokens, as Twin.generate
 *   host REU trace TOKEN...                              every stage of every position
 *
 * The asm routines are written here in plain C from their contracts in maths.h; the platform
 * (the REU as the image file in memory) is platform.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "maths.h"
#include "hw.h"
#include "platform.h"

uint8_t params[PARAMS_SIZE];
uint8_t status[STATUS_SIZE];

static uint16_t cur_pos;

/* ---- maths ------------------------------------------------------------------------------- */

void mul_init(void) {}
void dot_init(void) {}

int32_t __fastcall__ mul16s(int16_t a, int16_t b) { return (int32_t)a * b; }

uint16_t __fastcall__ mulhi16(uint16_t a, uint16_t b)
{
    return (uint16_t)(((uint32_t)a * b + 0x8000u) >> 16);
}

int32_t __fastcall__ rescale(int32_t acc, uint16_t f, uint8_t sh)
{
    int64_t p = (int64_t)acc * f + ((int64_t)1 << (sh - 1));
    if (sh < 1 || sh > 62) {
        fprintf(stderr, "rescale shift %u\n", sh);
        exit(4);
    }
    return (int32_t)(uint32_t)(uint64_t)(p >> sh);
}

uint16_t quant_s;

uint8_t __fastcall__ quant(const int16_t* x, int8_t* q, uint8_t n)
{
    int32_t m = 0, r, v;
    uint8_t k = 0, i;
    for (i = 0; i < n; ++i) {
        v = x[i] < 0 ? -x[i] : x[i];
        if (v > m) {
            m = v;
        }
    }
    if (m == 0) {
        memset(q, 0, n);
        quant_s = 0;
        return 0;
    }
    while ((m << k) < (1 << 14)) {
        ++k;
    }
    r = (int32_t)((127LL << 23) / (m << k));
    for (i = 0; i < n; ++i) {
        q[i] = (int8_t)((((int64_t)x[i] << k) * r + (1 << 22)) >> 23);
    }
    quant_s = (uint16_t)(m << k);
    return k;
}

int32_t* mv_out;
uint32_t mv_reu;
uint16_t mv_stride;
const uint8_t* mv_rec;
uint8_t mv_rec_stride;
uint16_t mv_rows;
uint16_t mv_s;
uint8_t mv_ss;
uint8_t mv_add;
uint8_t* mv_wsq;
static const int8_t* mv_x;
static uint8_t mv_n;

uint32_t __fastcall__ matvec_patch(const int8_t* xq, uint8_t n)
{
    uint32_t s = 0;
    uint8_t i;
    mv_x = xq;
    mv_n = n;
    for (i = 0; i < n; ++i) {
        s += (uint32_t)(xq[i] * xq[i]);
    }
    return s;
}

void matvec_run(void)
{
    uint16_t r;
    uint8_t j;
    uint8_t u[64];
    for (r = 0; r < mv_rows; ++r) {
        const uint8_t* rec = mv_rec + (uint32_t)r * mv_rec_stride;
        int32_t acc = 0, y;
        uint16_t f;
        reu_fetch(u, mv_reu + (uint32_t)r * mv_stride, mv_n);
        for (j = 0; j < mv_n; ++j) {
            acc += (u[j] - W8_BIAS) * mv_x[j];
        }
        f = mulhi16((uint16_t)(rec[0] | (rec[1] << 8)), mv_s);
        y = rescale(acc, f, (uint8_t)(rec[2] + mv_ss - 16));
        mv_out[r] = mv_add ? mv_out[r] + y : y;
    }
}

void matvec_wsq(void)
{
    uint16_t r;
    uint8_t j;
    uint8_t u[64];
    for (r = 0; r < mv_rows; ++r) {
        uint32_t s = 0;
        reu_fetch(u, mv_reu + (uint32_t)r * mv_stride, mv_n);
        for (j = 0; j < mv_n; ++j) {
            s += (uint32_t)((u[j] - W8_BIAS) * (u[j] - W8_BIAS));
        }
        mv_wsq[3 * r] = (uint8_t)s;
        mv_wsq[3 * r + 1] = (uint8_t)(s >> 8);
        mv_wsq[3 * r + 2] = (uint8_t)(s >> 16);
    }
}

uint8_t att_hs;
int32_t mv_kmax;
uint8_t mv_krow[32];

uint32_t __fastcall__ matvec_krow(const int16_t* k, uint8_t n)
{
    uint32_t c = 0;
    uint8_t j;
    for (j = 0; j < n; ++j) {
        int8_t lo = (int8_t)((uint8_t)k[j] ^ 0x80), hi = (int8_t)(k[j] >> 8);
        mv_krow[j] = (uint8_t)(lo + W8_BIAS);
        mv_krow[n + j] = (uint8_t)(hi + W8_BIAS);
        c += (uint32_t)(lo * lo) + ((uint32_t)(hi * hi) << 8);
    }
    return c;
}

void matvec_kdots(void)
/* As dot8.s: sums of squares of (q + row) less sum q^2 for the rows L_t, H_t, then C_t. */
{
    uint16_t t;
    uint8_t j;
    uint8_t u[2 * 64];
    int64_t xsq = 0, kq = 0;
    for (j = 0; j < mv_n; ++j) {
        xsq += mv_x[j] * mv_x[j];
        kq += 256 * mv_x[j];
    }
    mv_kmax = (int32_t)0x80000000UL;
    for (t = 0; t < mv_rows; ++t) {
        int64_t vl = -xsq, vh = -xsq, c;
        const uint8_t* cp = mv_wsq + 4u * t;
        reu_fetch(u, mv_reu + (uint32_t)t * 2 * mv_stride, 2 * mv_n);
        for (j = 0; j < mv_n; ++j) {
            int l = u[j] - W8_BIAS, h = u[mv_n + j] - W8_BIAS;
            vl += (mv_x[j] + l) * (mv_x[j] + l);
            vh += (mv_x[j] + h) * (mv_x[j] + h);
        }
        c = (int64_t)((uint32_t)cp[0] | (uint32_t)cp[1] << 8 | (uint32_t)cp[2] << 16 | (uint32_t)cp[3] << 24);
        mv_out[t] = (int32_t)((vl + 256 * vh - c + kq) / 2);
        if (mv_out[t] > mv_kmax) {
            mv_kmax = mv_out[t];
        }
    }
}

static int32_t att_sums[16];       /* att.s keeps the sums itself (att_acc) */

void __fastcall__ att_values(const int16_t* v, const uint8_t* p, uint16_t n)
{
    uint16_t t;
    uint8_t i;
    for (t = 0; t < n; ++t) {
        for (i = 0; i < att_hs; ++i) {
            att_sums[i] = (int32_t)((uint32_t)att_sums[i] + (uint32_t)((int32_t)v[t * att_hs + i] * p[t]));
        }
    }
}

static int16_t host_sat16(int32_t v);
uint16_t att_inv;
uint8_t att_ish;

uint16_t __fastcall__ att_recip(uint16_t d)
{
    return d == 0x8000u ? 0xFFFF : (uint16_t)(0x80000000UL / d);
}

void __fastcall__ att_out(int16_t* dst, uint8_t n)
{
    uint8_t i;
    for (i = 0; i < n; ++i) {
        dst[i] = host_sat16(rescale(att_sums[i], att_inv, att_ish));
        att_sums[i] = 0;
    }
}

const uint8_t* att_exp8;
uint8_t att_zc;
uint16_t att_f;
uint8_t att_sh;
int32_t att_best;

void __fastcall__ att_weights(uint8_t* p, const int32_t* s, uint16_t n)
{
    uint16_t t;
    int32_t best = att_best, idx;
    uint32_t total = 0, norm;
    uint8_t k;
    for (t = 0; t < n; ++t) {
        idx = rescale(best - s[t], att_f, att_sh);
        p[t] = att_exp8[idx > 255 ? 255 : idx];
        total += p[t];
    }
    if (total >= 0x10000UL) {
        att_ish = 32;
        att_inv = att_recip((uint16_t)(total >> 1));
    } else if (total == 0) {
        att_ish = 31;
        att_inv = 0;
    } else {
        norm = total;
        for (k = 0; norm < 0x8000UL; ++k) {
            norm <<= 1;
        }
        att_ish = (uint8_t)(31 - k);
        att_inv = att_recip((uint16_t)norm);
    }
}

static int16_t host_sat16(int32_t v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
}

void __fastcall__ vec_sat16(int16_t* dst, const int32_t* src, uint8_t n)
{
    uint8_t i;
    for (i = 0; i < n; ++i) {
        dst[i] = host_sat16(src[i]);
    }
}

void __fastcall__ vec_residual(int16_t* x, const int32_t* src, uint8_t n)
{
    uint8_t i;
    for (i = 0; i < n; ++i) {
        x[i] = host_sat16((int32_t)x[i] + host_sat16(src[i]));
    }
}

const int16_t* gate_tab;
uint8_t gate_frac;
int16_t gate_half;
int16_t gate_last;

void __fastcall__ vec_gate(int16_t* hb, const int16_t* h3, uint8_t n)
{
    uint8_t i, step = (uint8_t)(gate_frac - 4);
    int64_t h, u, a, b, s;
    for (i = 0; i < n; ++i) {
        h = hb[i];
        u = (h >> step) + gate_half;
        if (u < 0) {
            s = 0;
        } else if (u >= gate_last) {
            s = h;
        } else {
            a = gate_tab[u];
            b = gate_tab[u + 1];
            s = a + (((b - a) * (h & ((1 << step) - 1)) + (1 << (step - 1))) >> step);
        }
        hb[i] = host_sat16((int32_t)((s * h3[i] + (1 << (gate_frac - 1))) >> gate_frac));
    }
}

uint8_t rope_hs;

void __fastcall__ vec_rope(int16_t* v, const int16_t* row, uint8_t n)
{
    uint8_t i;
    int64_t v0, v1, c, s;
    for (i = 0; i < n; i += 2) {
        c = row[i % rope_hs];
        s = row[i % rope_hs + 1];
        v0 = v[i];
        v1 = v[i + 1];
        v[i] = host_sat16((int32_t)((v0 * c - v1 * s + (1 << 13)) >> FRAC_ROPE));
        v[i + 1] = host_sat16((int32_t)((v0 * s + v1 * c + (1 << 13)) >> FRAC_ROPE));
    }
}

uint16_t __fastcall__ vec_argmax(const int32_t* v, uint16_t n)
{
    uint16_t i, best = 0;
    for (i = 1; i < n; ++i) {
        if (v[i] > v[best]) {
            best = i;
        }
    }
    return best;
}

/* ---- exact mode (exact.c): model.c's hooks; tests/c64/test_exact_host.py tests it ------- */

void exact_init(void) {}
void __fastcall__ exact_forward(uint16_t token, uint16_t pos) { (void)token; (void)pos; fail(99); }
uint16_t exact_argmax(void) { return 0; }

/* ---- trace ------------------------------------------------------------------------------- */

extern int16_t model_x[], model_q[], model_k[], model_v[], model_att[], model_hb[], model_h3[];
extern int32_t model_logits[];
extern uint8_t trace_layer;
static int tracing;

static void dump16(const char* name, const int16_t* v, int n)
{
    int i;
    if (trace_layer == 0xFF) {
        printf("%u %s", cur_pos, name);
    } else {
        printf("%u L%u.%s", cur_pos, trace_layer, name);
    }
    for (i = 0; i < n; ++i) {
        printf(" %d", v[i]);
    }
    printf("\n");
}

void host_trace(int stage)
{
    int dim = model.dim, kv = model.dim / model.n_heads * model.n_kv_heads, i;
    uint8_t keep = trace_layer;
    if (!tracing) {
        return;
    }
    switch (stage) {
    case 0: trace_layer = 0xFF; dump16("embed", model_x, dim); break;
    case 1: dump16("q", model_q, dim); break;
    case 2: dump16("k", model_k, kv); break;
    case 3: dump16("v", model_v, kv); break;
    case 4: dump16("att", model_att, dim); break;
    case 5: dump16("x_att", model_x, dim); break;
    case 6: dump16("hb", model_hb, model.hidden_dim); break;
    case 7: dump16("x_ffn", model_x, dim); break;
    case 9: dump16("h1", model_hb, model.hidden_dim); break;
    case 10: dump16("h3", model_h3, model.hidden_dim); break;
    default:
        printf("%u logits", cur_pos);
        for (i = 0; i < model.vocab_size; ++i) {
            printf(" %d", model_logits[i]);
        }
        printf("\n");
    }
    trace_layer = keep;
}

/* ---- driver ------------------------------------------------------------------------------ */

int main(int argc, char** argv)
{
    int a = 3;
    if (argc < 3) {
        fprintf(stderr, "usage: host REU gen|trace ...\n");
        return 1;
    }
    if (host_open_reu(argv[1])) {
        return 1;
    }
    model_init();
    if (strcmp(argv[2], "gen") == 0) {
        int steps, n_prompt, out = 0;
        uint16_t token, pos;
        run.temperature_q8 = (uint16_t)atoi(argv[a++]);
        run.top_p_q16 = (uint16_t)atoi(argv[a++]);
        run.seed = (uint32_t)strtoul(argv[a++], 0, 10);
        steps = atoi(argv[a++]);
        n_prompt = argc - a;
        model_reset();
        token = (uint16_t)atoi(argv[a]);
        for (pos = 0; pos < model.seq_len; ++pos) {
            cur_pos = pos;
            model_forward(token, pos);
            if (pos + 1 < n_prompt) {
                token = (uint16_t)atoi(argv[a + pos + 1]);
                continue;
            }
            token = model_sample();
            if (token == 1 || out >= steps) {
                break;
            }
            printf("%u\n", token);
            if (++out >= steps) {
                break;
            }
        }
        return 0;
    }
    tracing = 1;
    for (; a < argc; ++a) {
        model_forward((uint16_t)atoi(argv[a]), cur_pos);
        ++cur_pos;
    }
    return 0;
}
