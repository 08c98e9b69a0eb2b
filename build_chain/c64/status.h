/*
 * status.h - the parameter and status blocks (blocks.s) and the status updates the host polls.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stdint.h>
#include "blocks.h"

extern uint8_t params[PARAMS_SIZE];  /* host -> C64, layout in blocks.py */
extern uint8_t status[STATUS_SIZE];  /* C64 -> host */

void status_init(void);                               /* clear, then write the magic */
void __fastcall__ status_set_state(uint8_t state);    /* STATE_* */
void __fastcall__ status_set_pos(uint16_t pos);
void __fastcall__ status_begin(uint8_t n_prompt);     /* new story: count 0, cycles_start */
void __fastcall__ status_phase(uint8_t layer, uint8_t phase); /* PHASE_*; bumps the heartbeat */
void __fastcall__ status_emit(uint16_t token);        /* ring entry with the cycle counter, count++ */

/* Show the error on screen, set state ERROR + code, stop (does not return). */
void __fastcall__ fail(uint8_t error);

#endif
