/*
 * exact.c - the exact mode's resident part (MAIN): keeps the overlay (exactfwd.c, exwide.c,
 * exkern.s) and the fast mode apart in the same RAM.
 *
 * The maths RAM is HIRAM ($A000-$CFFF) + TOPRAM ($E000-$FFF9) (llama64.cfg). The fast mode
 * keeps its tables and buffers there (HIBSS, TOPBSS); the exact mode's overlay has its code
 * there (EXCODE, loaded with the program at $A000) and its buffers (EXBSS). Two REU slots at
 * the top of the REU hold the RAM of the mode that is not running: exact_forward saves the
 * fast mode's RAM, brings the overlay in, runs it, and swaps back, then copies the logits from
 * the overlay's slot into model_logits. About 80 000 cycles per position.
 */
#include <stdint.h>
#include "exact.h"
#include "model.h"
#include "hw.h"

#define HIRAM_START 0xA000u        /* llama64.cfg HIRAM / EXRAM */
#define HIRAM_SIZE  0x3000u
#define TOPRAM_START 0xE000u       /* llama64.cfg TOPRAM / EXTOP */
#define TOPRAM_SIZE 0x1FFAu
#define SLOT_SIZE   0x5000UL       /* HIRAM_SIZE + TOPRAM_SIZE rounded up */

extern int32_t model_logits[];

uint16_t ex_best;                  /* ex_run's argmax */
static uint8_t ex_ok;              /* overlay saved, slots fit */
static uint32_t slot_ex, slot_fast;

void exact_init(void)
/* Before the fast mode's model_init writes HIRAM: save the overlay into its slot. */
{
    uint32_t tail;
    uint16_t dim, kv, groups;

    if (ex_ok) {
        return;
    }
    dim = model.dim;
    kv = dim / model.n_heads * model.n_kv_heads;
    groups = (uint16_t)((model.hidden_dim + GROUP - 1) / GROUP);
    /* the fast mode's weight-square sums after the image (model.c wsq_fill), 3 bytes per
     * (row, group) of every matrix */
    tail = ((model.image_size + 255) & ~255UL)
        + 3UL * model.n_layers * (2UL * dim + 2UL * kv + 2UL * model.hidden_dim + (uint32_t)dim * groups)
        + 3UL * model.vocab_size;
    slot_ex = (model.reu_found - SLOT_SIZE) & ~255UL;
    slot_fast = slot_ex - SLOT_SIZE;
    if (model.reu_found < 2 * SLOT_SIZE || slot_fast < tail) {
        return;                    /* no exact mode on this REU */
    }
    reu_stash((void*)HIRAM_START, slot_ex, HIRAM_SIZE);
    ex_ok = 1;
}

static void swap(uint32_t save, uint32_t load)
{
    reu_stash((void*)HIRAM_START, save, HIRAM_SIZE);
    reu_stash((void*)TOPRAM_START, save + HIRAM_SIZE, TOPRAM_SIZE);
    reu_fetch((void*)HIRAM_START, load, HIRAM_SIZE);
    reu_fetch((void*)TOPRAM_START, load + HIRAM_SIZE, TOPRAM_SIZE);
}

void __fastcall__ exact_forward(uint16_t token, uint16_t pos)
{
    uint16_t a;

    if (!ex_ok) {
        fail(ERR_REU_TOO_SMALL);
    }
    swap(slot_fast, slot_ex);
    ex_run(token, pos);
    swap(slot_ex, slot_fast);
    a = (uint16_t)ex_logits10;
    reu_fetch(model_logits, slot_ex + (a >= TOPRAM_START ? HIRAM_SIZE + (a - TOPRAM_START) : a - HIRAM_START),
              model.vocab_size * 4);
}

uint16_t exact_argmax(void)
{
    return ex_best;
}
