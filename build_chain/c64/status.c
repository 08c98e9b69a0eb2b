/*
 * status.c - status block updates: state, position, phase + heartbeat, the emitted-token ring.
 */
#include <stdint.h>
#include <string.h>
#include "blocks.h"
#include "fields.h"
#include "hw.h"
#include "status.h"

#define STATUS16(off) (*(uint16_t*)(status + (off)))
#define STATUS32(off) (*(uint32_t*)(status + (off)))

void status_init(void)
/* Clear the block, then write the magic last so the host never sees a half-made block. */
{
    memset(status, 0, STATUS_SIZE);
    status[S_STATE] = STATE_BOOTING;
    status[S_MAGIC + 0] = STATUS_MAGIC_0;
    status[S_MAGIC + 1] = STATUS_MAGIC_1;
    status[S_MAGIC + 2] = STATUS_MAGIC_2;
    status[S_MAGIC + 3] = STATUS_MAGIC_3;
}

static void stamp(void)
/* The cycle counter now, for the host's clock. */
{
    STATUS32(S_CYCLES) = cycles_now();
}

void __fastcall__ status_set_state(uint8_t state)
{
    status[S_STATE] = state;
    stamp();
}

void __fastcall__ status_set_pos(uint16_t pos)
{
    STATUS16(S_POS) = pos;
}

void __fastcall__ status_begin(uint8_t n_prompt)
/* A new story: no tokens yet, the generation clock starts now. */
{
    STATUS16(S_COUNT) = 0;
    STATUS16(S_N_PROMPT) = n_prompt;
    STATUS16(S_POS) = 0;
    stamp();
    STATUS32(S_CYCLES_START) = STATUS32(S_CYCLES);
}

void __fastcall__ status_phase(uint8_t layer, uint8_t phase)
{
    status[S_LAYER] = layer;
    status[S_PHASE] = phase;
    ++STATUS16(S_HEARTBEAT);
    stamp();
}

void __fastcall__ status_emit(uint16_t token)
/* Fill ring entry count % RING_SIZE first, then bump count: the host reads count, then entries. */
{
    uint8_t* entry;

    entry = status + RING_OFFSET + (uint8_t)(STATUS16(S_COUNT) % RING_SIZE) * RING_ENTRY_SIZE;
    stamp();
    *(uint16_t*)entry = token;
    *(uint32_t*)(entry + 2) = STATUS32(S_CYCLES);
    ++STATUS16(S_COUNT);
}
