/* Memory and string functions shared by the kernel and user programs (common/string.c). */
#ifndef VMLAB_GUEST_COMMON_STRING_H
#define VMLAB_GUEST_COMMON_STRING_H

#include "types.h"

void* memset(void* dst, int c, u32 n);
void* memcpy(void* dst, const void* src, u32 n);
u32 strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, u32 n);

#endif
