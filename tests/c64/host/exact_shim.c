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
#include "platform.h"

uint16_t ex_best;

static unsigned cur_pos;
static int tracing;

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
    int a = 3;
    if (argc < 3) {
        fprintf(stderr, "usage: exact_host REU gen|trace ...\n");
        return 1;
    }
    if (host_open_reu(argv[1])) {
        return 1;
    }
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
