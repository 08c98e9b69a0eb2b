/* exact_host.h - declarations the host build adds to exactfwd.c (gcc -include). */
#include <stdint.h>
void host_exact_trace(const char* name, int layer, const int32_t* v, int n);
