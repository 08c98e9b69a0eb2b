/*
 * model.h - the contract between the platform (start-up, screen, tokenizer, main loop) and
 * the maths (forward pass + sampler) of llama64.prg.
 *
 * The platform calls, in this order:
 *   1. model_init()      once, after the REU image header and region table passed the checks
 *                        (model.dim ... are filled in, region_offset() works, the tokenizer
 *                        is loaded). Load tables into RAM, check buffers fit; on failure call
 *                        fail(ERR_MODEL_TOO_LARGE) (it does not return).
 *   2. model_reset()     at the start of every story, after `run` holds the story's parameters
 *                        (reseed the sampler's PRNG from run.seed here).
 *   3. model_forward(token, pos) for pos = 0, 1, ... (the logits stay in the maths' own buffer),
 *      then model_sample() when the next token is not a prompt token.
 *
 * Inside model_forward/model_sample, report progress with status_phase(layer, phase)
 * (status.h; PHASE_* from blocks.h). The platform sets state, pos and the emitted tokens.
 *
 * RAM: see README.md. The maths owns the segments HIBSS ($A000-$CFFF) and TOPBSS ($E000-$FFF9)
 * and whatever is left of MAIN; its zero page goes in segment ZEROPAGE.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdint.h>
#include "blocks.h"
#include "reu_format.h"
#include "status.h"
#include "image.h"

/* Maths: forward pass and sampler (build_chain/c64/model*.c, forward*, sample*, dot*.s, mul*.s). */
void model_init(void);
void model_reset(void);
void __fastcall__ model_forward(uint16_t token, uint16_t pos);
uint16_t model_sample(void);       /* greedy when run.temperature_q8 == 0 */

#endif
