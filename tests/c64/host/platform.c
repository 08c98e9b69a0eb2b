/*
 * platform.c - host (gcc) stand-in for the C64 platform shared by both host harnesses: the REU is
 * the image file in memory (reu_fetch / reu_stash), the region table is read from it, and fail()
 * exits. shim.c (fast mode) and exact_shim.c (exact mode) link it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "hw.h"
#include "platform.h"

model_info_t model;
run_params_t run;

static uint8_t* reu;
static uint32_t reu_bytes;

static uint16_t rd16(uint32_t a) { return (uint16_t)(reu[a] | (reu[a + 1] << 8)); }
static uint32_t rd32(uint32_t a) { return rd16(a) | ((uint32_t)rd16(a + 2) << 16); }

static uint32_t region_field(uint8_t tensor, uint8_t layer, int field)
{
    uint32_t t = rd32(HDR_TABLE_OFFSET);
    uint16_t n = rd16(HDR_N_REGIONS), i;
    for (i = 0; i < n; ++i, t += REU_REGION_ENTRY_SIZE) {
        if (reu[t] == tensor && reu[t + 1] == layer) {
            return rd32(t + field);
        }
    }
    return 0;
}

uint32_t __fastcall__ region_offset(uint8_t tensor, uint8_t layer) { return region_field(tensor, layer, 4); }
uint32_t __fastcall__ region_length(uint8_t tensor, uint8_t layer) { return region_field(tensor, layer, 8); }

void __fastcall__ fail(uint8_t error)
{
    fprintf(stderr, "fail(%u)\n", error);
    exit(2);
}

void __fastcall__ status_phase(uint8_t layer, uint8_t phase) { (void)layer; (void)phase; }

void __fastcall__ reu_fetch(void* dst, uint32_t a, uint16_t len)
{
    a &= 0xFFFFFF;
    if (a + len > reu_bytes) {
        fprintf(stderr, "reu_fetch out of range %u+%u\n", a, len);
        exit(3);
    }
    memcpy(dst, reu + a, len);
}

void __fastcall__ reu_stash(const void* src, uint32_t a, uint16_t len)
{
    a &= 0xFFFFFF;
    if (a + len > reu_bytes) {
        fprintf(stderr, "reu_stash out of range %u+%u\n", a, len);
        exit(3);
    }
    memcpy(reu + a, src, len);
}

int host_open_reu(const char* path)
{
    FILE* f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    reu_bytes = (uint32_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    reu = malloc(reu_bytes);
    if (fread(reu, 1, reu_bytes, f) != reu_bytes) {
        fclose(f);
        return 1;
    }
    fclose(f);
    model.dim = rd16(HDR_DIM);
    model.hidden_dim = rd16(HDR_HIDDEN_DIM);
    model.n_layers = rd16(HDR_N_LAYERS);
    model.n_heads = rd16(HDR_N_HEADS);
    model.n_kv_heads = rd16(HDR_N_KV_HEADS);
    model.vocab_size = rd16(HDR_VOCAB_SIZE);
    model.seq_len = rd16(HDR_SEQ_LEN);
    model.image_size = rd32(HDR_IMAGE_SIZE);
    model.reu_size = rd32(HDR_REU_SIZE);
    model.reu_found = reu_bytes;
    return 0;
}
