/*
 * model_stub.c - TEMPORARY stand-in for the maths (tests only): model_sample() returns the
 * previous token + 1 (wrapping below the vocabulary, skipping BOS) so the platform's flow
 * can be tested in VICE before the forward pass lands.
 */
#include <stdint.h>
#include "model.h"

static uint16_t last;

void model_init(void)
{
}

void model_reset(void)
{
}

void __fastcall__ model_forward(uint16_t token, uint16_t pos)
{
    uint8_t layer;

    for (layer = 0; layer < model.n_layers; ++layer) {
        status_phase(layer, PHASE_QKV);
        status_phase(layer, PHASE_FFN);
    }
    status_phase(0, PHASE_CLASSIFIER);
    last = token;
    (void)pos;
}

uint16_t model_sample(void)
{
    uint16_t next;

    next = last + 1;
    if (next >= model.vocab_size) {
        next = 2;
    }
    return next;
}
