/*
 * The fault-fixup probe every test kernel that asks "what does this access do?" shares:
 * try an instruction, catch the fault it takes, report it. The instructions go between
 * PROBE_BEGIN and PROBE_END inside one asm statement; a fault there resumes right after
 * PROBE_END with probe.faulted set and the vector and error code recorded, and no fault
 * leaves probe.faulted 0. The kernel's isr_dispatch calls probe_catch() first. Ring 3 may
 * probe too (the state is written from the probing code): a kernel with paging on maps
 * this file's data user-writable, as the test kernels map their low memory.
 * Link lib/probe.c and include this header.
 */
#ifndef VMLAB_TEST_PROBE_H
#define VMLAB_TEST_PROBE_H

#include "klib.h"

struct probe_state {
  uint32_t fixup;   /* where a fault resumes; 0 outside a probe (offset 0: PROBE_BEGIN) */
  uint32_t faulted; /* 1 when the probed instructions faulted (offset 4) */
  uint32_t vector, error;
};
extern volatile struct probe_state probe;

/* Numeric label 9999 marks the resume point; a probe may use its own 1:, 2:, ... */
#define PROBE_BEGIN "movl $0, probe+4\n\tmovl $9999f, probe\n\t"
#define PROBE_END "\n9999:\n\tmovl $0, probe\n\t"

/* In isr_dispatch: 1 when the fault was a probe's (recorded, and the frame resumes at the
 * probe's end), 0 otherwise. */
int probe_catch(struct frame* f);

/* Prints " -> " and the value, or "vector V error E" when the last probe faulted. */
void probe_show(uint32_t value);

/* The dword at sel:off, read or written through ES, which is then reloaded with `restore`
 * (the kernel's data selector): the probe of a segment's base, limit and rights. */
static inline uint32_t probe_read_seg(uint16_t sel, uint32_t off, uint16_t restore) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "mov %w[sel], %%es\n"
                   "movl %%es:(%[off]), %[v]\n" PROBE_END "mov %w[kd], %%es\n"
                   : [v] "+r"(v)
                   : [sel] "r"((uint32_t)sel), [off] "r"(off), [kd] "r"((uint32_t)restore)
                   : "memory");
  return v;
}

static inline void probe_write_seg(uint16_t sel, uint32_t off, uint32_t v, uint16_t restore) {
  __asm__ volatile(
      PROBE_BEGIN
      "mov %w[sel], %%es\n"
      "movl %[v], %%es:(%[off])\n" PROBE_END "mov %w[kd], %%es\n"
      :
      : [sel] "r"((uint32_t)sel), [off] "r"(off), [v] "r"(v), [kd] "r"((uint32_t)restore)
      : "memory");
}

#endif
