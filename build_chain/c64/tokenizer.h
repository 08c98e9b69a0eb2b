/*
 * tokenizer.h - llama2.c's BPE tokenizer on the C64 (run.c's encode/decode, integers only).
 */
#ifndef TOKENIZER_H
#define TOKENIZER_H

#include <stdint.h>

#define TOK_BOS 1               /* starts a sequence; ends generation when sampled */
#define TOK_BYTE_OFFSET 3       /* raw byte b is token b + 3 */
#define TOK_NONE 0xFFFF         /* tok_encode: the text needs more than max tokens */

/* Load TOK_STRINGS/OFFSETS/SORTED/RANKS from the REU into RAM; 0 ok, else ERR_MODEL_TOO_LARGE. */
uint8_t tok_load(void);
/* run.c encode(text, bos=1, eos=0): token ids into out; their number, or TOK_NONE. */
uint16_t __fastcall__ tok_encode(const char* text, uint16_t* out, uint16_t max);
/* run.c decode(prev, tok): the piece's text (NUL-terminated, valid until the next call). */
const char* __fastcall__ tok_piece(uint16_t prev, uint16_t tok);

#endif
