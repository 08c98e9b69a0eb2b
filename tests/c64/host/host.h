/* host.h - declarations the host build adds to model.c (gcc -include). */
void host_trace(int stage);
