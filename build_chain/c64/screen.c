/*
 * screen.c - text output on the 40x25 screen at $0400 (lower/upper case charset):
 * ASCII -> screen codes (table from bootrom/chargen.py), a word-wrapping, scrolling story
 * window below the header, and fixed-position text for the header and the dialogs.
 */
#include <stdint.h>
#include <string.h>
#include "hw.h"
#include "scrcode.h"
#include "screen.h"

#define SCREEN    ((uint8_t*)0x0400)  /* text screen (vic.s selects it) */
#define COLOUR    ((uint8_t*)0xD800)  /* colour RAM */
#define TEXT_COLOUR   14              /* light blue */
#define HEADER_COLOUR 1               /* white */
#define BLANK 32                      /* screen code of a space */

static const uint8_t scrcode[95] = SCRCODE_TABLE;

static uint8_t row, col;              /* story cursor */
static uint8_t* line;                 /* SCREEN + row * 40 */
static uint8_t soft;                  /* the last line break was a wrap: drop a space at col 0 */
static uint8_t skip_cont;             /* inside a UTF-8 sequence: skip continuation bytes */

static uint8_t* row_ptr(uint8_t r)
{
    return SCREEN + (uint16_t)r * SCR_COLS;
}

void scr_init(void)
/* Text mode, blank screen in light blue, white header row. */
{
    vic_text_mode();
    memset(SCREEN, BLANK, SCR_COLS * SCR_ROWS);
    memset(COLOUR, TEXT_COLOUR, SCR_COLS * SCR_ROWS);
    scr_colour(0, HEADER_COLOUR);
    scr_home(SCR_TOP);
}

void scr_clear(uint8_t from_row)
{
    memset(row_ptr(from_row), BLANK, (uint16_t)(SCR_ROWS - from_row) * SCR_COLS);
}

void __fastcall__ scr_colour(uint8_t r, uint8_t colour)
{
    memset(COLOUR + (uint16_t)r * SCR_COLS, colour, SCR_COLS);
}

void __fastcall__ scr_home(uint8_t r)
{
    row = r;
    col = 0;
    line = row_ptr(r);
    soft = 0;
    skip_cont = 0;
}

static uint8_t code_of(char c)
/* Screen code of printable ASCII; '?' for anything else. */
{
    if ((uint8_t)c < 32 || (uint8_t)c > 126) {
        c = '?';
    }
    return scrcode[(uint8_t)c - 32];
}

void __fastcall__ scr_newline(void)
/* Next row of the story window; scroll it up at the bottom. */
{
    col = 0;
    soft = 0;
    if (row < SCR_ROWS - 1) {
        ++row;
        line += SCR_COLS;
        return;
    }
    memmove(row_ptr(SCR_TOP), row_ptr(SCR_TOP + 1), (SCR_ROWS - 1 - SCR_TOP) * SCR_COLS);
    memset(line, BLANK, SCR_COLS);
}

static void wrap(void)
/* The row is full: move its last (partial) word to a new row. */
{
    uint8_t s, n;
    uint8_t carry[SCR_COLS];

    s = SCR_COLS - 1;
    while (s > 0 && line[s] != BLANK) {
        --s;
    }
    n = 0;
    if (s > 0) {
        n = SCR_COLS - 1 - s;
        memcpy(carry, line + s + 1, n);
        memset(line + s + 1, BLANK, n);
    }
    scr_newline();
    memcpy(line, carry, n);
    col = n;
    soft = (n == 0);
}

void __fastcall__ scr_putc(char c)
/* One ASCII character of story text. A UTF-8 sequence shows as one '?'. */
{
    uint8_t b = (uint8_t)c;

    if (b == '\n') {
        scr_newline();
        return;
    }
    if (b >= 0x80) {
        if (b < 0xC0 && skip_cont) {
            return;                   /* continuation byte */
        }
        skip_cont = 1;
        c = '?';
    } else {
        skip_cont = 0;
        if (b < 32) {
            return;                   /* other control characters print nothing */
        }
    }
    if (c == ' ' && col == 0 && soft) {
        soft = 0;
        return;                       /* the space where the line was wrapped */
    }
    soft = 0;
    line[col] = code_of(c);
    if (++col == SCR_COLS) {
        wrap();
    }
}

void __fastcall__ scr_puts(const char* s)
{
    while (*s) {
        scr_putc(*s++);
    }
}

uint8_t __fastcall__ scr_at(uint8_t r, uint8_t c, const char* s, uint8_t rvs)
{
    uint8_t* p;

    p = row_ptr(r);
    rvs = rvs ? 0x80 : 0;
    while (*s && c < SCR_COLS) {
        p[c++] = code_of(*s++) | rvs;
    }
    return c;
}

void __fastcall__ scr_cursor(uint8_t r, uint8_t c, uint8_t on)
{
    uint8_t* p;

    p = row_ptr(r) + c;
    *p = on ? (*p | 0x80) : (*p & 0x7F);
}
