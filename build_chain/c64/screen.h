/*
 * screen.h - the 40x25 text screen: a header line and a word-wrapping story window.
 */
#ifndef SCREEN_H
#define SCREEN_H

#include <stdint.h>

#define SCR_COLS 40
#define SCR_ROWS 25
#define SCR_TOP  2              /* first row of the story window (row 0 header, row 1 rule) */

void scr_init(void);                                  /* VIC set-up, clear, header bar */
void scr_clear(uint8_t from_row);                     /* blank rows from_row..24 */
void __fastcall__ scr_home(uint8_t row);              /* story cursor to (row, 0) */
void __fastcall__ scr_putc(char c);                   /* ASCII with word wrap and scrolling */
void __fastcall__ scr_puts(const char* s);
void __fastcall__ scr_newline(void);
/* Text at (row, col) without wrapping; rvs != 0: reversed. Returns the next column. */
uint8_t __fastcall__ scr_at(uint8_t row, uint8_t col, const char* s, uint8_t rvs);
void __fastcall__ scr_colour(uint8_t row, uint8_t colour);  /* colour of a whole row */
void __fastcall__ scr_cursor(uint8_t row, uint8_t col, uint8_t on); /* reverse one cell */

#endif
