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
/* The same for an outcome kept from an earlier probe. */
void probe_show_outcome(uint32_t faulted, uint32_t vector, uint32_t error, uint32_t value);
/* One console line: `what`, then probe_show(value). */
void probe_print(const char* what, uint32_t value);
/* Ring 3 cannot print (no I/O privilege): it records each line (`what` and the last probe's
 * outcome with `value`), and the kernel prints them after the system call that ends ring 3.
 * probe_print_recorded() prints the lines as probe_print would have, and forgets them. */
void probe_record(const char* what, uint32_t value);
void probe_print_recorded(void);

/* --- Far transfers (probe.c) ------------------------------------------------------------
 * Each keeps ESP in ESI and restores it at the end, since a fault at the target leaves the
 * transfer's pushes behind, and returns EAX as the target left it (0x0BADBAD0 when the
 * target did not set it). A target returns with LRET (IRET for an interrupt gate's); for a
 * JMP or a far RET or IRET the helper pushes a return frame `back`:1f first, `back` being
 * the prober's own code selector. */
/* Writes a target for them at `at`: mov $marker, %eax; lret. */
void probe_put_stub(volatile uint8_t* at, uint32_t marker);
/* lcall *m16:32 to sel:off (the far pointer in memory, as probe_farptr). */
uint32_t probe_call_far(uint16_t sel, uint32_t off);
/* ljmp *m16:32 to sel:off. */
uint32_t probe_jump_far(uint16_t back, uint16_t sel, uint32_t off);
/* lret to sel:off. */
uint32_t probe_return_far(uint16_t back, uint16_t sel, uint32_t off);
/* iret to sel:off, with EFLAGS as they are. */
uint32_t probe_return_iret(uint16_t back, uint16_t sel, uint32_t off);
/* pushl value; popl with SS = ss and ESP = esp: the value popped. */
uint32_t probe_push_pop_ss(uint16_t ss, uint32_t esp, uint32_t value);

/* --- Accesses at linear addresses, through the kernel's flat segments (probe.c) --------- */
uint32_t probe_read(uint32_t linear);
void probe_write(uint32_t linear, uint32_t value);
/* PUSH `value` with ESP = `esp`, then POP it back: what POP read. */
uint32_t probe_push_pop(uint32_t esp, uint32_t value);
/* REP MOVSD of `count` dwords from `src` to `dst`, upwards. */
void probe_rep_movsd(uint32_t dst, uint32_t src, uint32_t count);
/* probe_print, and after a page fault's error code the faulting address (CR2, which only
 * ring 0 may read). */
void probe_print_cr2(const char* what, uint32_t value);

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
