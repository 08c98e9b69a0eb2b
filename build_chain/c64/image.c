/*
 * image.c - the REU check and the weights.reu header + region table (reu_format.py).
 */
#include <stdint.h>
#include <string.h>
#include "blocks.h"
#include "fields.h"
#include "hw.h"
#include "image.h"
#include "reu_format.h"
#include "status.h"

#define MAX_REGIONS 128         /* stories260K: 94 */

model_info_t model;
run_params_t run;

static uint8_t header[REU_HEADER_SIZE];
static uint8_t table[MAX_REGIONS * REU_REGION_ENTRY_SIZE];  /* (n_regions, 12) raw entries */
static uint8_t n_regions;

#define H16(off) (*(uint16_t*)(header + (off)))
#define H32(off) (*(uint32_t*)(header + (off)))

void image_open(void)
/* REU present and large enough, header magic and version right; else fail() with the code. */
{
    uint16_t n;

    model.reu_found = reu_size_detect();
    if (model.reu_found == 0) {
        fail(ERR_NO_REU);
    }
    reu_fetch(header, 0, REU_HEADER_SIZE);
    if (header[0] != REU_MAGIC0 || header[1] != REU_MAGIC1 || header[2] != REU_MAGIC2
        || header[3] != REU_MAGIC3) {
        fail(ERR_BAD_MAGIC);
    }
    if (H16(HDR_VERSION) != REU_FORMAT_VERSION) {
        fail(ERR_BAD_VERSION);
    }
    model.image_size = H32(HDR_IMAGE_SIZE);
    model.reu_size = H32(HDR_REU_SIZE);
    model.dim = H16(HDR_DIM);
    model.hidden_dim = H16(HDR_HIDDEN_DIM);
    model.n_layers = H16(HDR_N_LAYERS);
    model.n_heads = H16(HDR_N_HEADS);
    model.n_kv_heads = H16(HDR_N_KV_HEADS);
    model.vocab_size = H16(HDR_VOCAB_SIZE);
    model.seq_len = H16(HDR_SEQ_LEN);
    model.max_token_length = H16(HDR_MAX_TOKEN_LENGTH);
    if (model.reu_found < model.reu_size) {
        fail(ERR_REU_TOO_SMALL);
    }
    n = H16(HDR_N_REGIONS);
    if (n > MAX_REGIONS) {
        fail(ERR_MODEL_TOO_LARGE);
    }
    n_regions = (uint8_t)n;
    reu_fetch(table, H32(HDR_TABLE_OFFSET), n * REU_REGION_ENTRY_SIZE);
}

static const uint8_t* find(uint8_t tensor, uint8_t layer)
/* The raw table entry of (tensor, layer), or NULL. */
{
    const uint8_t* e;
    uint8_t i;

    e = table;
    for (i = 0; i < n_regions; ++i) {
        if (e[RE_TENSOR] == tensor && e[RE_LAYER] == layer) {
            return e;
        }
        e += REU_REGION_ENTRY_SIZE;
    }
    return 0;
}

uint32_t __fastcall__ region_offset(uint8_t tensor, uint8_t layer)
{
    const uint8_t* e;

    e = find(tensor, layer);
    return e ? *(const uint32_t*)(e + RE_OFFSET) : 0;
}

uint32_t __fastcall__ region_length(uint8_t tensor, uint8_t layer)
{
    const uint8_t* e;

    e = find(tensor, layer);
    return e ? *(const uint32_t*)(e + RE_LENGTH) : 0;
}
