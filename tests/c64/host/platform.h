/* platform.h - the host harnesses' shared platform stand-in (platform.c). */
#ifndef HOST_PLATFORM_H
#define HOST_PLATFORM_H

/* Load an REU image file as the REU and fill `model` from its header; 0 on success. */
int host_open_reu(const char* path);

#endif
