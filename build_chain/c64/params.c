/*
 * params.c - the story's parameters: taken from the host's parameter block (autorun, or
 * written while the dialog is up), or typed into the on-screen dialog on a real C64.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "blocks.h"
#include "fields.h"
#include "image.h"
#include "keys.h"
#include "params.h"
#include "screen.h"
#include "status.h"

#define PARAM16(off) (*(uint16_t*)(params + (off)))
#define PARAM32(off) (*(uint32_t*)(params + (off)))

#define PROMPT_ROW 6            /* the prompt takes rows 6..11 */
#define PROMPT_ROWS 6
#define FIELD_ROW 13            /* steps, temperature, top-p, seed, mode: rows 13..17 */
#define VALUE_COL 14
#define N_FIELDS 6              /* prompt + 5 numbers */

char prompt[PROMPT_MAX + 1];

static char f_steps[6], f_temp[6], f_topp[6], f_seed[11], f_mode[2];
static char* const value[N_FIELDS] = { prompt, f_steps, f_temp, f_topp, f_seed, f_mode };
static const uint8_t room[N_FIELDS] = { PROMPT_MAX, 5, 5, 4, 10, 1 };
static const char* const label[N_FIELDS] = { "Prompt", "Steps", "Temperature", "Top-p", "Seed",
                                             "Mode 1=exact" };  /* 0 fast, 1 exact (float32's text) */

uint8_t params_host_ready(void)
{
    return params[P_MAGIC] == PARAMS_MAGIC_0 && params[P_MAGIC + 1] == PARAMS_MAGIC_1
        && params[P_MAGIC + 2] == PARAMS_MAGIC_2 && params[P_MAGIC + 3] == PARAMS_MAGIC_3
        && (params[P_FLAGS] & FLAG_VALID);
}

uint8_t params_autorun(void)
{
    return params[P_FLAGS] & FLAG_AUTORUN;
}

uint8_t params_take(void)
/* Copy the host's block into run + prompt and clear VALID (the host sees it was taken). */
{
    params[P_FLAGS] &= (uint8_t)~FLAG_VALID;
    if (params[P_VERSION] != PARAMS_VERSION) {
        return ERR_BAD_PARAMS;
    }
    run.steps = PARAM16(P_STEPS);
    run.temperature_q8 = PARAM16(P_TEMPERATURE);
    run.top_p_q16 = PARAM16(P_TOP_P);
    run.seed = PARAM32(P_SEED);
    if (run.seed == 0) {
        run.seed = 1;
    }
    run.mode = params[P_MODE];
    memcpy(prompt, params + PROMPT_OFFSET, PROMPT_MAX);
    prompt[PROMPT_MAX] = 0;
    return 0;
}

/* ---------------------------------------------------------------- numbers <-> text */

static void hundredths_text(char* out, uint16_t h)
/* "1.05" from 105 */
{
    utoa(h / 100, out, 10);
    out += strlen(out);
    *out++ = '.';
    *out++ = '0' + (h / 10) % 10;
    *out++ = '0' + h % 10;
    *out = 0;
}

static uint32_t text_hundredths(const char* s)
/* 105 from "1.05" (more decimals are cut); 0xFFFFFFFF when it is no number. */
{
    uint32_t v;
    uint8_t decimals, seen;

    v = 0;
    decimals = 0;
    seen = 0;
    for (; *s; ++s) {
        if (*s == '.' && !seen) {
            seen = 1;
        } else if (*s >= '0' && *s <= '9') {
            if (!seen) {
                v = v * 10 + (*s - '0');
            } else if (decimals < 2) {
                v = v * 10 + (*s - '0');
                ++decimals;
            }
        } else {
            return 0xFFFFFFFFUL;
        }
    }
    while (decimals++ < 2) {
        v *= 10;
    }
    return v;
}

static void fields_from_run(void)
{
    utoa(run.steps, f_steps, 10);
    hundredths_text(f_temp, (uint16_t)(((uint32_t)run.temperature_q8 * 100 + 128) >> 8));
    hundredths_text(f_topp, run.top_p_q16 == 0 ? 100
                    : (uint16_t)(((uint32_t)run.top_p_q16 * 100 + 32768UL) >> 16));
    ultoa(run.seed, f_seed, 10);
    f_mode[0] = (char)('0' + run.mode);
}

static uint8_t run_from_fields(void)
/* Parse the fields into run; 0, or the field number (1..) that is wrong. */
{
    uint32_t t, p;

    t = text_hundredths(f_temp);
    p = text_hundredths(f_topp);
    if (f_steps[0] == 0 || text_hundredths(f_steps) > 6553500UL) {
        return 1;
    }
    if (t == 0xFFFFFFFFUL || t > 25500UL) {
        return 2;
    }
    if (p == 0xFFFFFFFFUL) {
        return 3;
    }
    run.steps = (uint16_t)atoi(f_steps);
    run.temperature_q8 = (uint16_t)((t * 256 + 50) / 100);
    run.top_p_q16 = p >= 100 ? 0 : (uint16_t)((p * 65536UL + 50) / 100);
    if (p < 100 && run.top_p_q16 == 0) {
        run.top_p_q16 = 1;
    }
    run.seed = strtoul(f_seed, 0, 10);
    if (run.seed == 0) {
        run.seed = 1;
    }
    if (f_mode[0] != '0' && f_mode[0] != '1') {
        return 5;
    }
    run.mode = (uint8_t)(f_mode[0] - '0');
    return 0;
}

/* ---------------------------------------------------------------- the dialog */

static void draw(uint8_t active)
/* The whole dialog; the active field's label reversed, a cursor after its text. */
{
    uint8_t i, r, len;
    char num[12];

    scr_clear(2);
    scr_at(2, 0, "Model: dim ", 0);
    utoa(model.dim, num, 10);
    len = scr_at(2, 11, num, 0);
    len = scr_at(2, len, ", layers ", 0);
    utoa(model.n_layers, num, 10);
    len = scr_at(2, len, num, 0);
    len = scr_at(2, len, ", vocab ", 0);
    utoa(model.vocab_size, num, 10);
    scr_at(2, len, num, 0);
    scr_at(3, 0, "REU: ", 0);
    ultoa(model.reu_found >> 10, num, 10);
    len = scr_at(3, 5, num, 0);
    scr_at(3, len, " KB", 0);
    for (i = 0; i < N_FIELDS; ++i) {
        r = i == 0 ? PROMPT_ROW - 1 : FIELD_ROW + i - 1;
        scr_at(r, 0, label[i], i == active);
    }
    for (i = 0; i < PROMPT_ROWS; ++i) {
        len = (uint8_t)strlen(prompt);
        if (len > i * SCR_COLS) {
            scr_at(PROMPT_ROW + i, 0, prompt + i * SCR_COLS, 0);
        }
    }
    for (i = 1; i < N_FIELDS; ++i) {
        scr_at(FIELD_ROW + i - 1, VALUE_COL, value[i], 0);
    }
    scr_at(19, 0, "CRSR up/down: field    DEL: erase", 0);
    scr_at(20, 0, "RETURN: write the story", 0);
    len = (uint8_t)strlen(value[active]);
    if (active == 0) {
        r = PROMPT_ROW + len / SCR_COLS;
        if (r >= PROMPT_ROW + PROMPT_ROWS) {
            r = PROMPT_ROW + PROMPT_ROWS - 1;
        }
        scr_cursor(r, len % SCR_COLS, 1);
    } else {
        scr_cursor(FIELD_ROW + active - 1, VALUE_COL + len, 1);
    }
}

uint8_t params_dialog(void)
/* Edit prompt and numbers; RETURN starts. A host block written meanwhile wins. */
{
    uint8_t active, key, len, bad;
    char* v;

    params[P_FLAGS] &= (uint8_t)~FLAG_VALID;  /* only a block written from now on counts */
    if (run.seed == 0) {
        run.steps = 64;
        run.top_p_q16 = 58982U;               /* 0.90 */
        run.seed = 1;
    }
    fields_from_run();
    active = 0;
    draw(active);
    for (;;) {
        if (params_host_ready()) {
            return params_take();
        }
        key = key_get();
        if (key == KEY_NONE) {
            continue;
        }
        v = value[active];
        len = (uint8_t)strlen(v);
        if (key == KEY_RETURN) {
            bad = run_from_fields();
            if (bad == 0) {
                return 0;
            }
            active = bad + 1;
        } else if (key == KEY_DOWN) {
            active = active + 1 < N_FIELDS ? active + 1 : 0;
        } else if (key == KEY_UP) {
            active = active > 0 ? active - 1 : N_FIELDS - 1;
        } else if (key == KEY_DEL) {
            if (len > 0) {
                v[len - 1] = 0;
            }
        } else if (key >= 32 && key < 127 && len < room[active]) {
            if (active == 0 || (key >= '0' && key <= '9') || key == '.') {
                v[len] = key;
                v[len + 1] = 0;
            }
        }
        draw(active);
    }
}
