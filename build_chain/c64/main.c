/*
 * main.c - llama64's main flow: status magic, REU/header checks, parameters (host block or
 * dialog), prompt encoding, then the token loop (forward, sample, emit, print) until BOS,
 * `steps` generated tokens or the model's context is full. Then wait for the next story.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "blocks.h"
#include "fields.h"
#include "hw.h"
#include "image.h"
#include "keys.h"
#include "model.h"
#include "params.h"
#include "screen.h"
#include "status.h"
#include "tokenizer.h"

#define MAX_PROMPT_TOKENS 255   /* n_prompt is a byte in the status block's users */
#define TENTH_PAL  98525UL      /* cycles per 0.1 s: PAL 985248 Hz, NTSC 1022727 Hz */
#define TENTH_NTSC 102273UL

/* In HIBSS: written after model_init (which saves the exact overlay that starts there) and read
   between forward passes, when the fast mode's HIRAM is in place. */
#pragma bss-name (push, "HIBSS")
uint16_t prompt_tokens[MAX_PROMPT_TOKENS + 1];  /* the encoded prompt, BOS first (label for tests) */
#pragma bss-name (pop)
static uint32_t tenth;          /* cycles per 0.1 s on this machine */
static uint16_t generated;      /* tokens generated in this story */
static char num[12];

/* ---------------------------------------------------------------- header line */

static uint8_t put_num(uint8_t col, uint32_t v)
{
    ultoa(v, num, 10);
    return scr_at(0, col, num, 1);
}

static void header(const char* what, uint8_t counts)
/* Row 0, reversed: title, what is going on, tokens, position, C64 time since the story began. */
{
    uint8_t c;
    uint32_t t;

    memset((uint8_t*)0x0400, 0xA0, SCR_COLS);    /* reversed spaces */
    c = scr_at(0, 1, "LLAMA64 ", 1);
    c = scr_at(0, c, what, 1);
    if (!counts) {
        return;
    }
    c = scr_at(0, c + 1, "T", 1);
    c = put_num(c, generated);
    c = scr_at(0, c, "/", 1);
    c = put_num(c, run.steps);
    c = scr_at(0, c, " P", 1);
    c = put_num(c, *(uint16_t*)(status + S_POS));
    t = (cycles_now() - *(uint32_t*)(status + S_CYCLES_START)) / tenth;
    c = put_num(c + 1, t / 10);
    c = scr_at(0, c, ".", 1);
    c = put_num(c, t % 10);
    scr_at(0, c, "s", 1);
}

/* ---------------------------------------------------------------- errors */

static const char* const message[] = {
    "",
    "NO REU FOUND. Attach a RAM Expansion Unit (VICE: -reu; Ultimate: enable the REU) and start again.",
    "The REU is too small for this model: set a larger REU size.",
    "The REU holds no gui64 weights image: load weights.reu into the REU.",
    "The REU image comes from another gui64 version: export it again.",
    "The prompt is too long for the model's context: shorten it.",
    "The parameter block is invalid.",
    "The model's buffers do not fit in C64 RAM.",
};

static void show_error(uint8_t error)
/* The message in plain words and the code in the status block; state ERROR. */
{
    status[S_ERROR] = error;
    header("ERROR", 0);
    scr_clear(SCR_TOP);
    scr_home(SCR_TOP + 2);
    scr_puts("Error ");
    scr_puts(utoa(error, num, 10));
    scr_puts(": ");
    if (error < sizeof message / sizeof message[0]) {
        scr_puts(message[error]);
    }
    if (error == ERR_REU_TOO_SMALL) {
        scr_newline();
        scr_newline();
        scr_puts(ultoa(model.reu_found >> 10, num, 10));
        scr_puts(" KB found, ");
        scr_puts(ultoa(model.reu_size >> 10, num, 10));
        scr_puts(" KB needed.");
    }
    status_set_state(STATE_ERROR);      /* last: the message is on screen when the host looks */
}

void __fastcall__ fail(uint8_t error)
/* A fault that no new parameters can fix: show it and stop here. */
{
    show_error(error);
    for (;;) {
    }
}

/* ---------------------------------------------------------------- one story */

static void story(void)
{
    uint16_t n, pos, token, next;

    status[S_ERROR] = ERR_NONE;
    status_set_state(STATE_ENCODING);
    generated = 0;
    scr_clear(1);
    scr_home(SCR_TOP);
    header("encoding", 0);
    n = tok_encode(prompt, prompt_tokens, MAX_PROMPT_TOKENS);
    if (n == TOK_NONE || n > model.seq_len) {
        show_error(ERR_PROMPT_TOO_LONG);
        return;
    }
    status_begin((uint8_t)n);
    model_reset();
    token = prompt_tokens[0];
    for (pos = 0; pos < model.seq_len; ) {
        if (pos + 1 >= n && generated >= run.steps) {
            break;
        }
        status_set_pos(pos);
        status_set_state(STATE_FORWARD);
        model_forward(token, pos);
        if (pos + 1 < n) {
            next = prompt_tokens[pos + 1];
        } else {
            status_set_state(STATE_SAMPLING);
            next = model_sample();
        }
        ++pos;
        if (next == TOK_BOS) {
            break;
        }
        if (pos >= n) {
            status_emit(next);
            ++generated;
        }
        scr_puts(tok_piece(token, next));
        token = next;
        header("writing", 1);
    }
    header("done", 1);
    status_set_state(STATE_DONE);
}

/* ---------------------------------------------------------------- main */

static uint8_t wait_next(void)
/* After a story: a new host block starts the next one (1); a key opens the dialog (0). */
{
    uint8_t key;

    for (;;) {
        if (params_host_ready()) {
            return 1;
        }
        key = key_get();
        if (key == KEY_RETURN || key == ' ') {
            return 0;
        }
    }
}

int main(void)
{
    uint8_t err, from_host;

    status_init();
    cycles_start();
    scr_init();
    tenth = vic_is_pal() ? TENTH_PAL : TENTH_NTSC;
    header("starting", 0);
    image_open();
    err = tok_load();
    if (err) {
        fail(err);
    }
    model_init();
    from_host = params_host_ready() && params_autorun();
    for (;;) {
        status_set_state(STATE_READY);
        header("ready", 0);
        err = from_host ? params_take() : params_dialog();
        if (err) {
            show_error(err);
        } else {
            story();
        }
        from_host = wait_next();
    }
    return 0;
}
