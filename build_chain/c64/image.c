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

#define CHUNK 16                /* table entries fetched from the REU at a time */

model_info_t model;
run_params_t run;

static uint8_t header[REU_HEADER_SIZE];
static uint8_t chunk[CHUNK * REU_REGION_ENTRY_SIZE];  /* (CHUNK, 12) raw entries */
static uint16_t n_regions;
static uint32_t table_at;          /* REU address of the region table */

#define H16(off) (*(uint16_t*)(header + (off)))
#define H32(off) (*(uint32_t*)(header + (off)))

void image_open(void)
/* REU present and large enough, header magic and version right; else fail() with the code. */
{
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
    n_regions = H16(HDR_N_REGIONS);
    table_at = H32(HDR_TABLE_OFFSET);
}

static const uint8_t* find(uint8_t tensor, uint8_t layer)
/* The raw table entry of (tensor, layer), or NULL; the table stays in the REU and is scanned
   CHUNK entries at a time (lookups happen once, at start-up). */
{
    const uint8_t* e;
    uint16_t i;
    uint8_t j, n;

    for (i = 0; i < n_regions; i += n) {
        n = (uint8_t)(n_regions - i < CHUNK ? n_regions - i : CHUNK);
        reu_fetch(chunk, table_at + (uint32_t)i * REU_REGION_ENTRY_SIZE, n * REU_REGION_ENTRY_SIZE);
        e = chunk;
        for (j = 0; j < n; ++j) {
            if (e[RE_TENSOR] == tensor && e[RE_LAYER] == layer) {
                return e;
            }
            e += REU_REGION_ENTRY_SIZE;
        }
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
