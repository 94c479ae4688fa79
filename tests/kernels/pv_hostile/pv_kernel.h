/* What the paravirtual test kernels share (pv_hostile, pv_cpuid, pmu_pv, each with this
 * folder's start.S and pv_hostile.ld): the hypercall instruction of the hypercall page
 * (INT 0x82, the number in EAX and the arguments in EBX, ECX, EDX), the hypercall numbers,
 * and the console and shutdown hypercalls (docs/pv-abi.md). */
#ifndef VMLAB_TEST_PV_KERNEL_H
#define VMLAB_TEST_PV_KERNEL_H

typedef unsigned int u32;
typedef int i32;
typedef unsigned char u8;

enum {
  SET_TRAP_TABLE = 0,
  MMU_UPDATE = 1,
  STACK_SWITCH = 3,
  SET_CALLBACKS = 4,
  UPDATE_VA_MAPPING = 14,
  CONSOLE_IO = 18,
  MMUEXT_OP = 26,
  SCHED_OP = 29,
  EVENT_CHANNEL_OP = 32,
};

static inline i32 hypercall(u32 nr, u32 a1, u32 a2, u32 a3) {
  i32 r;
  __asm__ volatile("int $0x82" : "=a"(r) : "a"(nr), "b"(a1), "c"(a2), "d"(a3) : "memory");
  return r;
}

/* console_io write of a string. */
static inline void print(const char* s) {
  u32 n = 0;
  while (s[n]) n++;
  hypercall(CONSOLE_IO, 0, n, (u32)s);
}

static inline void print_hex(u32 v) {
  char buf[11];
  buf[0] = '0';
  buf[1] = 'x';
  for (int i = 0; i < 8; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xF];
  buf[10] = 0;
  print(buf);
}

/* sched_op shutdown (2) with `status`: the run's exit status. */
static inline void shutdown(u32 status) {
  for (;;) hypercall(SCHED_OP, 2, status, 0);
}

#endif
