/*
 * keys.h - keyboard input from the CIA1 matrix (kbd.s): key codes with auto-repeat.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stdint.h>

#define KEY_NONE   0
#define KEY_STOP   3
#define KEY_DEL    8
#define KEY_RETURN 13
#define KEY_DOWN   17
#define KEY_HOME   19
#define KEY_RIGHT  29
#define KEY_UP     145
#define KEY_LEFT   157
#define KEY_F1     133

/* The key pressed since the last call (ASCII for printable keys), with auto-repeat; KEY_NONE. */
uint8_t key_get(void);

#endif
