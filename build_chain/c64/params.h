/*
 * params.h - a story's parameters: from the host's parameter block or the on-screen dialog.
 */
#ifndef PARAMS_H
#define PARAMS_H

#include <stdint.h>
#include "blocks.h"

extern char prompt[PROMPT_MAX + 1];     /* the story's prompt, ASCII */

uint8_t params_host_ready(void);        /* the host wrote a block (magic + VALID) */
uint8_t params_autorun(void);           /* ... with AUTORUN set */
uint8_t params_take(void);              /* block -> run + prompt, clears VALID; 0 or ERR_BAD_PARAMS */
uint8_t params_dialog(void);            /* on-screen dialog until RETURN or a host block; 0 or error */

#endif
