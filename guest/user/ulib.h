/*
 * The tiny user library: system-call wrappers, strings, printf, and RDTSC.
 */
#ifndef VMLAB_GUEST_ULIB_H
#define VMLAB_GUEST_ULIB_H

#include "../common/abi.h"
#include "../common/fmt.h"

/* System calls (ulib.c) */
void exit(int status) __attribute__((noreturn));
int write(int fd, const void* buf, u32 len);
int read(int fd, void* buf, u32 len);
int getpid(void);
int getppid(void);
int fork(void);
int wait(int* status);
int exec(const char* name, const char* const* argv);
int yield(void);
void* sbrk(int increment);
void* mmap(u32 len);
int munmap(void* addr, u32 len);
int pipe(int fds[2]);
int close(int fd);
int open(const char* device);
int catch_faults(struct ucatch* pad);
int bench(u32 op, u32 iters, u32 arg, u64* cycles);

/* ucatch.S */
int ucatch_set(struct ucatch* pad) __attribute__((returns_twice));

/* Strings and output (ulib.c) */
u32 strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, u32 n);
void* memset(void* dst, int c, u32 n);
void* memcpy(void* dst, const void* src, u32 n);
u32 parse_u32(const char* s, bool* ok);
int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

static inline u64 rdtsc(void) {
  u64 v;
  __asm__ volatile("rdtsc" : "=A"(v));
  return v;
}

#endif
