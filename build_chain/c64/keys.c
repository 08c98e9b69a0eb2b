/*
 * keys.c - turn the C64 keyboard matrix into key codes: shift, edge detection, auto-repeat.
 */
#include <stdint.h>
#include "hw.h"
#include "keys.h"

#define LSHIFT (1 * 8 + 7)      /* matrix index col * 8 + row */
#define RSHIFT (6 * 8 + 4)
#define CTRL   (7 * 8 + 2)
#define CBM    (7 * 8 + 5)
#define REPEAT_DELAY 400000UL   /* cycles before a held key repeats (~0.4 s) */
#define REPEAT_RATE   60000UL   /* cycles between repeats */

/* Unshifted and shifted key codes by matrix index (0 = modifier or nothing). */
static const uint8_t plain[64] = {
    KEY_DEL, KEY_RETURN, KEY_RIGHT, 0, KEY_F1, 0, 0, KEY_DOWN,
    '3', 'w', 'a', '4', 'z', 's', 'e', 0,
    '5', 'r', 'd', '6', 'c', 'f', 't', 'x',
    '7', 'y', 'g', '8', 'b', 'h', 'u', 'v',
    '9', 'i', 'j', '0', 'm', 'k', 'o', 'n',
    '+', 'p', 'l', '-', '.', ':', '@', ',',
    '\\', '*', ';', KEY_HOME, 0, '=', '^', '/',
    '1', '_', 0, '2', ' ', 0, 'q', KEY_STOP
};
static const uint8_t shifted[64] = {
    KEY_DEL, KEY_RETURN, KEY_LEFT, 0, KEY_F1, 0, 0, KEY_UP,
    '#', 'W', 'A', '$', 'Z', 'S', 'E', 0,
    '%', 'R', 'D', '&', 'C', 'F', 'T', 'X',
    '\'', 'Y', 'G', '(', 'B', 'H', 'U', 'V',
    ')', 'I', 'J', '0', 'M', 'K', 'O', 'N',
    '+', 'P', 'L', '-', '>', '[', '@', '<',
    '|', '*', ']', KEY_HOME, 0, '=', '~', '?',
    '!', '_', 0, '"', ' ', 0, 'Q', KEY_STOP
};

static uint8_t matrix[8];
static uint8_t held = 0xFF;     /* matrix index of the key being held, 0xFF none */
static uint32_t due;            /* cycle count when it repeats */

uint8_t key_get(void)
{
    uint8_t col, row, bits, idx, shift;
    uint32_t now;

    kbd_matrix(matrix);
    shift = (matrix[LSHIFT >> 3] & (1 << (LSHIFT & 7))) || (matrix[RSHIFT >> 3] & (1 << (RSHIFT & 7)));
    idx = 0xFF;
    for (col = 0; col < 8 && idx == 0xFF; ++col) {
        bits = matrix[col];
        for (row = 0; row < 8; ++row) {
            if ((bits & (1 << row)) && plain[col * 8 + row]) {
                idx = col * 8 + row;
                break;
            }
        }
    }
    now = cycles_now();
    if (idx == 0xFF) {
        held = 0xFF;
        return KEY_NONE;
    }
    if (idx == held) {
        if ((int32_t)(now - due) < 0) {
            return KEY_NONE;
        }
        due = now + REPEAT_RATE;
    } else {
        held = idx;
        due = now + REPEAT_DELAY;
    }
    return shift ? shifted[idx] : plain[idx];
}
