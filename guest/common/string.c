/*
 * The string and memory functions the kernel and the user library share (one copy,
 * compiled into each image).
 */
#include "string.h"

/*
 * memset/memcpy with the string instructions: one REP STOS/MOVS per call is
 * far fewer instructions for a simulated CPU (or a BT translator) than a C byte
 * loop, and zeroing and copying pages is most of what fork and exec do.
 */
void* memset(void* dst, int c, u32 n) {
  void* d = dst;
  if ((((u32)dst | n) & 3) == 0) {
    u32 word = (u8)c * 0x01010101u;
    u32 count = n / 4;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(count) : "a"(word) : "memory");
  } else {
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  }
  return dst;
}

void* memcpy(void* dst, const void* src, u32 n) {
  void* d = dst;
  if ((((u32)dst | (u32)src | n) & 3) == 0) {
    u32 count = n / 4;
    __asm__ volatile("rep movsl" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
  } else {
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  }
  return dst;
}

u32 strlen(const char* s) {
  u32 n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (u8)*a - (u8)*b;
}

int strncmp(const char* a, const char* b, u32 n) {
  for (; n > 0; n--, a++, b++) {
    if (*a != *b || !*a) return (u8)*a - (u8)*b;
  }
  return 0;
}
