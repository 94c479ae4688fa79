/*
 * The IDT (SDM 3A 6.10-6.11): one 32-bit interrupt gate per vector we handle.
 *
 * Interrupt gates clear IF on entry, and the kernel never sets it again except
 * while idle (sched.c): kernel code is therefore never interrupted and needs no
 * locks. Only the system-call gate has DPL 3, so `int 0x80` is the one software
 * interrupt a user program may execute; `int n` for any other n is a #GP.
 */
#include "kernel.h"

#define IDT_ENTRIES 256
#define GATE_INTERRUPT32 0xE

/* trapentry.S: entry stubs for vectors 0..47, and the system-call stub. */
extern const u32 trap_vectors[48];
extern void trap_syscall_entry(void);

static u64 idt[IDT_ENTRIES] __attribute__((aligned(8)));

static u64 gate(u32 handler, u16 sel, u32 dpl) {
  u64 g = handler & 0xFFFF;
  g |= (u64)sel << 16;
  g |= (u64)(0x80 | (dpl << 5) | GATE_INTERRUPT32) << 40;
  g |= (u64)(handler >> 16) << 48;
  return g;
}

void idt_init(void) {
  for (u32 v = 0; v < 48; v++) idt[v] = gate(trap_vectors[v], kernel_cs, 0);
  idt[T_SYSCALL] = gate((u32)trap_syscall_entry, kernel_cs, 3);
  pv->load_idt(idt, sizeof(idt) - 1);
}
