/*
 * exact_shim.c - host (gcc) stand-in for the C64 platform and the exact mode's asm kernels,
 * so that build_chain/c64/exactfwd.c + exwide.c run on the PC against ExactTwin.
 *
 * Usage:
 *   exact_host REU gen STEPS TOKEN...     greedy generated tokens, as ExactTwin.generate
 *   exact_host REU trace TOKEN...         every stage of every position ("pos name values")
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "hw.h"
#include "exact.h"

model_info_t model;
run_params_t run;
uint16_t ex_best;

static uint8_t* reu;
static uint32_t reu_bytes;
static unsigned cur_pos;
static int tracing;

static uint16_t rd16(uint32_t a) { return (uint16_t)(reu[a] | (reu[a + 1] << 8)); }
static uint32_t rd32(uint32_t a) { return rd16(a) | ((uint32_t)rd16(a + 2) << 16); }

static uint32_t region_field(uint8_t tensor, uint8_t layer, int field)
{
    uint32_t t = rd32(HDR_TABLE_OFFSET);
    uint16_t n = rd16(HDR_N_REGIONS), i;
    for (i = 0; i < n; ++i, t += REU_REGION_ENTRY_SIZE) {
        if (reu[t] == tensor && reu[t + 1] == layer) {
            return rd32(t + field);
        }
    }
    return 0;
}

uint32_t __fastcall__ region_offset(uint8_t tensor, uint8_t layer) { return region_field(tensor, layer, 4); }
uint32_t __fastcall__ region_length(uint8_t tensor, uint8_t layer) { return region_field(tensor, layer, 8); }

void __fastcall__ fail(uint8_t error)
{
    fprintf(stderr, "fail(%u)\n", error);
    exit(2);
}

void __fastcall__ status_phase(uint8_t layer, uint8_t phase) { (void)layer; (void)phase; }

void __fastcall__ reu_fetch(void* dst, uint32_t a, uint16_t len)
{
    if (a + len > reu_bytes) {
        fprintf(stderr, "reu_fetch out of range %u+%u\n", a, len);
        exit(3);
    }
    memcpy(dst, reu + a, len);
}

void __fastcall__ reu_stash(const void* src, uint32_t a, uint16_t len)
{
    if (a + len > reu_bytes) {
        fprintf(stderr, "reu_stash out of range %u+%u\n", a, len);
        exit(3);
    }
    memcpy(reu + a, src, len);
}

/* ---- kernels ----------------------------------------------------------------------------- */

void ex_tables(void) {}

void __fastcall__ ex_dot16(ex64_t* dot, const int16_t* w, const int16_t* m, uint8_t n)
{
    int64_t s = 0;
    uint8_t j;
    for (j = 0; j < n; ++j) {
        s += (int64_t)w[j] * m[j];
    }
    dot->lo = (uint32_t)s;
    dot->hi = (uint32_t)((uint64_t)s >> 32);
}

/* ---- trace ------------------------------------------------------------------------------- */

void host_exact_trace(const char* name, int layer, const int32_t* v, int n)
{
    int i;
    if (!tracing) {
        return;
    }
    if (layer == 255) {
        printf("%u %s", cur_pos, name);
    } else {
        printf("%u L%d.%s", cur_pos, layer, name);
    }
    for (i = 0; i < n; ++i) {
        printf(" %d", v[i]);
    }
    printf("\n");
}

/* ---- driver ------------------------------------------------------------------------------ */

int main(int argc, char** argv)
{
    FILE* f;
    int a = 3;
    if (argc < 3) {
        fprintf(stderr, "usage: exact_host REU gen|trace ...\n");
        return 1;
    }
    f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    reu_bytes = (uint32_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    reu = malloc(reu_bytes);
    if (fread(reu, 1, reu_bytes, f) != reu_bytes) {
        return 1;
    }
    fclose(f);
    model.dim = rd16(HDR_DIM);
    model.hidden_dim = rd16(HDR_HIDDEN_DIM);
    model.n_layers = rd16(HDR_N_LAYERS);
    model.n_heads = rd16(HDR_N_HEADS);
    model.n_kv_heads = rd16(HDR_N_KV_HEADS);
    model.vocab_size = rd16(HDR_VOCAB_SIZE);
    model.seq_len = rd16(HDR_SEQ_LEN);
    model.image_size = rd32(HDR_IMAGE_SIZE);
    model.reu_size = rd32(HDR_REU_SIZE);
    model.reu_found = reu_bytes;
    if (strcmp(argv[2], "gen") == 0) {
        int steps = atoi(argv[a++]), n_prompt, out = 0;
        uint16_t token, pos;
        n_prompt = argc - a;
        token = (uint16_t)atoi(argv[a]);
        for (pos = 0; pos < model.seq_len; ++pos) {
            cur_pos = pos;
            ex_run(token, pos);
            if (pos + 1 < n_prompt) {
                token = (uint16_t)atoi(argv[a + pos + 1]);
                continue;
            }
            token = ex_best;
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
        ex_run((uint16_t)atoi(argv[a]), (uint16_t)cur_pos);
        ++cur_pos;
    }
    return 0;
}
