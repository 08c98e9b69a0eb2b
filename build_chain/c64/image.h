/*
 * image.h - the weights.reu image as the program sees it: the header's model shape, the
 * region table, and the story's run parameters. Filled by image_open() (image.c).
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stdint.h>

/* The model shape from the REU header (reu_format.py HEADER). */
typedef struct {
    uint16_t dim;
    uint16_t hidden_dim;
    uint16_t n_layers;
    uint16_t n_heads;
    uint16_t n_kv_heads;
    uint16_t vocab_size;
    uint16_t seq_len;
    uint16_t max_token_length;
    uint32_t image_size;            /* bytes used in the REU */
    uint32_t reu_size;              /* REU bytes the image needs */
    uint32_t reu_found;             /* REU bytes this machine has (reu_size_detect) */
} model_info_t;

/* One story's parameters (from the parameter block or the on-screen dialog). */
typedef struct {
    uint16_t steps;                 /* tokens to generate after the prompt */
    uint16_t temperature_q8;        /* temperature * 256; 0 = greedy */
    uint16_t top_p_q16;             /* top-p * 65536; 0 = off */
    uint32_t seed;                  /* never 0 */
    uint8_t  mode;                  /* 0 fast (integer), 1 exact (reserved) */
} run_params_t;

extern model_info_t model;
extern run_params_t run;

/* REU address of region (tensor, layer); layer REU_NO_LAYER for tensors without one.
   0 when the image has no such region (offset 0 is the header, never a tensor). */
uint32_t __fastcall__ region_offset(uint8_t tensor, uint8_t layer);
/* Its length in bytes (0 when missing). */
uint32_t __fastcall__ region_length(uint8_t tensor, uint8_t layer);

/* Checks the REU and reads the header + region table; on failure it shows the message and
   stops (fail()). */
void image_open(void);

#endif
