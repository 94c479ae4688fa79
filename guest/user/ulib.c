#include "ulib.h"

/* One `int 0x80`: number in EAX, arguments in EBX, ECX, EDX, ESI. */
static inline int syscall4(u32 nr, u32 a, u32 b, u32 c, u32 d) {
  int ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
  return ret;
}

void exit(int status) {
  syscall4(SYS_exit, (u32)status, 0, 0, 0);
  for (;;)
    ;
}
int write(int fd, const void* buf, u32 len) {
  return syscall4(SYS_write, (u32)fd, (u32)buf, len, 0);
}
int read(int fd, void* buf, u32 len) {
  return syscall4(SYS_read, (u32)fd, (u32)buf, len, 0);
}
int getpid(void) {
  return syscall4(SYS_getpid, 0, 0, 0, 0);
}
int getppid(void) {
  return syscall4(SYS_getppid, 0, 0, 0, 0);
}
int fork(void) {
  return syscall4(SYS_fork, 0, 0, 0, 0);
}
int wait(int* status) {
  return syscall4(SYS_wait, (u32)status, 0, 0, 0);
}
int exec(const char* name, const char* const* argv) {
  return syscall4(SYS_exec, (u32)name, (u32)argv, 0, 0);
}
int yield(void) {
  return syscall4(SYS_yield, 0, 0, 0, 0);
}
void* sbrk(int increment) {
  return (void*)syscall4(SYS_sbrk, (u32)increment, 0, 0, 0);
}
void* mmap(u32 len) {
  return (void*)syscall4(SYS_mmap, len, 0, 0, 0);
}
int munmap(void* addr, u32 len) {
  return syscall4(SYS_munmap, (u32)addr, len, 0, 0);
}
int pipe(int fds[2]) {
  return syscall4(SYS_pipe, (u32)fds, 0, 0, 0);
}
int close(int fd) {
  return syscall4(SYS_close, (u32)fd, 0, 0, 0);
}
int open(const char* device) {
  return syscall4(SYS_open, (u32)device, 0, 0, 0);
}
int catch_faults(struct ucatch* pad) {
  return syscall4(SYS_catch, (u32)pad, 0, 0, 0);
}
int bench(u32 op, u32 iters, u32 arg, u64* cycles) {
  return syscall4(SYS_bench, op, iters, arg, (u32)cycles);
}


u32 parse_u32(const char* s, bool* ok) {
  u32 v = 0;
  *ok = *s != '\0';
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 429496728u) {
      *ok = false;
      return 0;
    }
    v = v * 10 + (u32)(*s - '0');
  }
  return v;
}

/* printf buffers a line and writes it with one system call. */
struct out {
  char buf[256];
  u32 len;
};

static void out_put(void* ctx, char c) {
  struct out* o = ctx;
  if (o->len == sizeof(o->buf)) {
    write(1, o->buf, o->len);
    o->len = 0;
  }
  o->buf[o->len++] = c;
}

int printf(const char* fmt, ...) {
  struct out o;
  o.len = 0;
  va_list ap;
  va_start(ap, fmt);
  vfmt(out_put, &o, fmt, ap);
  va_end(ap);
  if (o.len) write(1, o.buf, o.len);
  return (int)o.len;
}
