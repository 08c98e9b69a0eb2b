/*
 * xorshift.h - the sim65 harnesses' pseudo-random numbers: xorshift32 from the seed XS_SEED,
 * which the harness defines before including this file.
 */
#include <stdint.h>

static uint32_t xs_state = XS_SEED;

static uint32_t rnd(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 17;
    xs_state ^= xs_state << 5;
    return xs_state;
}
