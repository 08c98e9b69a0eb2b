/*
 * tokenizer.c - llama2.c's byte-pair tokenizer with run.c's semantics, integers only.
 *
 * The vocabulary comes from the REU image (reu_format.py): TOK_STRINGS (all pieces
 * concatenated), TOK_OFFSETS ((vocab,) u16 start offsets, then (vocab,) u8 lengths),
 * TOK_SORTED ((vocab,) u16 ids sorted bytewise by piece) and TOK_RANKS ((vocab,) u16 merge
 * ranks: higher merges first; equal float scores share a rank). The Python reference is
 * build_chain/tokenizer.py Tokenizer.encode(use_ranks=True) / decode().
 */
#include <stdint.h>
#include <string.h>
#include "blocks.h"
#include "hw.h"
#include "image.h"
#include "reu_format.h"
#include "tokenizer.h"

#define TOK_SPACE 6144          /* RAM for the four tables (tok512: 5711 bytes) */
#define MAX_PIECE 64            /* longest piece we accept (tok512: 7) */
#define MAX_TOKENS 256          /* longest token sequence tok_encode works on */

static uint8_t space[TOK_SPACE];
static const uint8_t* strings;  /* (total,) bytes */
static const uint16_t* offset;  /* (vocab,) u16 */
static const uint8_t* length;   /* (vocab,) u8 */
static const uint16_t* sorted;  /* (vocab,) u16 */
static const uint16_t* rank;    /* (vocab,) u16 */
static uint16_t vocab;
static int16_t space_id;        /* the " " token (dummy prefix) */

static uint8_t buf[2 * MAX_PIECE + 1];
/* In HIBSS: only tok_encode uses it, after model_init and outside the forward pass (main.c). */
#pragma bss-name (push, "HIBSS")
static uint16_t pair[MAX_TOKENS];       /* pair[i]: token of out[i] + out[i+1], or TOK_NONE */
#pragma bss-name (pop)

static uint8_t* load(uint8_t* at, uint8_t tensor, uint16_t len)
/* Fetch a region (at most len bytes) into RAM at `at`; NULL when it is missing or too long. */
{
    uint32_t off, have;

    off = region_offset(tensor, REU_NO_LAYER);
    have = region_length(tensor, REU_NO_LAYER);
    if (off == 0 || have < len || at + len > space + TOK_SPACE) {
        return 0;
    }
    reu_fetch(at, off, len);
    return at;
}

static int16_t lookup(const uint8_t* s, uint8_t len)
/* run.c str_lookup: binary search over the sorted pieces; -1 when s is no piece. */
{
    int16_t lo, hi, mid;
    uint16_t id;
    uint8_t n, tl;
    int cmp;

    lo = 0;
    hi = (int16_t)vocab - 1;
    while (lo <= hi) {
        mid = (lo + hi) >> 1;
        id = sorted[mid];
        tl = length[id];
        n = len < tl ? len : tl;
        cmp = memcmp(s, strings + offset[id], n);
        if (cmp == 0) {
            cmp = len < tl ? -1 : (len > tl ? 1 : 0);
        }
        if (cmp == 0) {
            return (int16_t)id;
        }
        if (cmp < 0) {
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    return -1;
}

uint8_t tok_load(void)
{
    uint32_t total;
    uint8_t* at;
    uint16_t i;

    vocab = model.vocab_size;
    total = region_length(T_TOK_STRINGS, REU_NO_LAYER);
    if (model.max_token_length > MAX_PIECE || total + 7UL * vocab > TOK_SPACE) {
        return ERR_MODEL_TOO_LARGE;
    }
    at = space;
    strings = load(at, T_TOK_STRINGS, (uint16_t)total);
    at += (uint16_t)total;
    offset = (const uint16_t*)load(at, T_TOK_OFFSETS, 3 * vocab);
    length = (const uint8_t*)offset + 2 * vocab;
    at += 3 * vocab;
    sorted = (const uint16_t*)load(at, T_TOK_SORTED, 2 * vocab);
    at += 2 * vocab;
    rank = (const uint16_t*)load(at, T_TOK_RANKS, 2 * vocab);
    if (!strings || !offset || !sorted || !rank) {
        return ERR_MODEL_TOO_LARGE;
    }
    for (i = 0; i < vocab; ++i) {
        if (offset[i] + length[i] > total || length[i] > MAX_PIECE) {
            return ERR_MODEL_TOO_LARGE;
        }
    }
    buf[0] = ' ';
    space_id = lookup(buf, 1);
    return space_id < 0 ? ERR_MODEL_TOO_LARGE : 0;
}

static uint16_t merged(uint16_t a, uint16_t b)
/* The token whose piece is piece(a) + piece(b), or TOK_NONE. */
{
    uint8_t la, lb;
    int16_t id;

    la = length[a];
    lb = length[b];
    memcpy(buf, strings + offset[a], la);
    memcpy(buf + la, strings + offset[b], lb);
    id = lookup(buf, la + lb);
    return id < 0 ? TOK_NONE : (uint16_t)id;
}

uint16_t __fastcall__ tok_encode(const char* text, uint16_t* out, uint16_t max)
/* run.c encode with bos=1, eos=0: dummy prefix, code points (byte fallback), then merges. */
{
    const uint8_t* s;
    uint16_t n, i, best, best_rank, id;
    uint8_t len;
    int16_t found;

    s = (const uint8_t*)text;
    if (max > MAX_TOKENS) {
        max = MAX_TOKENS;
    }
    if (max < 2 + strlen(text)) {
        return TOK_NONE;            /* at most one token per byte, plus BOS and the prefix */
    }
    n = 0;
    out[n++] = TOK_BOS;
    if (*s) {
        out[n++] = (uint16_t)space_id;
    }
    while (*s) {
        len = 1;                    /* a UTF-8 code point: lead byte + continuation bytes */
        while (len < 4 && (s[len] & 0xC0) == 0x80) {
            ++len;
        }
        found = lookup(s, len);
        if (found >= 0) {
            out[n++] = (uint16_t)found;
        } else {
            for (i = 0; i < len; ++i) {
                out[n++] = s[i] + TOK_BYTE_OFFSET;
            }
        }
        s += len;
    }
    for (i = 0; i + 1 < n; ++i) {
        pair[i] = merged(out[i], out[i + 1]);
    }
    for (;;) {
        best = TOK_NONE;            /* the first pair with the highest rank (strict >) */
        best_rank = 0;
        for (i = 0; i + 1 < n; ++i) {
            id = pair[i];
            if (id != TOK_NONE && (best == TOK_NONE || rank[id] > best_rank)) {
                best = i;
                best_rank = rank[id];
            }
        }
        if (best == TOK_NONE) {
            break;
        }
        out[best] = pair[best];     /* merge out[best], out[best+1] */
        memmove(out + best + 1, out + best + 2, (n - best - 2) * sizeof(uint16_t));
        if (best + 3 < n) {
            memmove(pair + best + 1, pair + best + 2, (n - best - 3) * sizeof(uint16_t));
        }
        --n;
        if (best > 0) {
            pair[best - 1] = merged(out[best - 1], out[best]);
        }
        if (best + 1 < n) {
            pair[best] = merged(out[best], out[best + 1]);
        }
    }
    return n;
}

static uint8_t hex(uint8_t c)
/* Value of a hex digit, 0xFF for anything else. */
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return 0xFF;
}

const char* __fastcall__ tok_piece(uint16_t prev, uint16_t tok)
/* run.c decode: drop a leading space after BOS; "<0xXX>" (1-2 hex digits) is that raw byte. */
{
    uint8_t* p;
    uint8_t len, hi, lo;

    if (tok >= vocab) {
        buf[0] = 0;
        return (const char*)buf;
    }
    len = length[tok];
    memcpy(buf, strings + offset[tok], len);
    buf[len] = 0;
    p = buf;
    if (prev == TOK_BOS && p[0] == ' ') {
        ++p;
    }
    if (p[0] == '<' && p[1] == '0' && p[2] == 'x' && (hi = hex(p[3])) != 0xFF) {
        lo = hex(p[4]);
        buf[0] = lo != 0xFF ? (uint8_t)(hi << 4 | lo) : hi;
        buf[1] = 0;
        p = buf;
    }
    return (const char*)p;
}
