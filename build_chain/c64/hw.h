/*
 * hw.h - the hardware routines in assembly (cia.s, reu.s, kbd.s, vic.s, start.s).
 */
#ifndef HW_H
#define HW_H

#include <stdint.h>

/* cia.s: 32-bit cycle counter (CIA2 timers A+B chained) */
void cycles_start(void);
uint32_t cycles_now(void);

/* reu.s: REU size in bytes (0 = none) and DMA transfers (len 0 moves nothing) */
uint32_t reu_size_detect(void);
void __fastcall__ reu_fetch(void* dst, uint32_t reu, uint16_t len);
void __fastcall__ reu_stash(const void* src, uint32_t reu, uint16_t len);

/* kbd.s: the 8x8 keyboard matrix, out[column] bit row = 1 when down */
void __fastcall__ kbd_matrix(uint8_t* out);

/* vic.s: text screen set-up; 1 on PAL, 0 on NTSC */
void vic_text_mode(void);
uint8_t vic_is_pal(void);

#endif
