/*
 * trap(): where every exception, interrupt and system call lands (from
 * trapentry.S), and what the kernel does about each.
 *
 * Faults in user mode that the kernel cannot resolve are "true" faults for the
 * process: it is resumed at its registered landing pad (SYS_catch), which is how
 * the divzero, pgfault and protfault workloads return from their faults, or it
 * is killed. A fault in kernel mode is a kernel bug, except page faults on user
 * memory touched on behalf of a system call, which vm_fault() resolves.
 */
#include "../common/abi.h"
#include "kernel.h"
#include "proc.h"

struct kstat kstat;

static const char* const exception_names[] = {
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range",
    "invalid opcode",
    "no FPU",
    "double fault",
    "coprocessor overrun",
    "invalid TSS",
    "segment not present",
    "stack fault",
    "general protection",
    "page fault",
    "reserved",
    "x87 error",
    "alignment check",
};

static const char* exception_name(u32 v) {
  return v < sizeof(exception_names) / sizeof(exception_names[0]) ? exception_names[v]
                                                                  : "exception";
}

/* Resumes the process at its landing pad, or kills it. */
static void user_fault(struct trapframe* tf, u32 fault_addr) {
  kstat.true_faults++;
  if (cur->catch_pad && user_range_ok(cur->catch_pad, sizeof(struct ucatch), false)) {
    const struct ucatch* c = (const struct ucatch*)cur->catch_pad;
    tf->eip = c->eip;
    tf->user_esp = c->esp;
    tf->ebp = c->ebp;
    tf->ebx = c->ebx;
    tf->esi = c->esi;
    tf->edi = c->edi;
    tf->eax = CATCH_FLAG | tf->vector;
    return;
  }
  kprintf("kill pid=%d name=%s fault=\"%s\" vector=%u eip=%x addr=%x\n", cur->pid, cur->name,
          exception_name(tf->vector), tf->vector, tf->eip, fault_addr);
  proc_exit(128 + (int)tf->vector);
}

static void page_fault(struct trapframe* tf, bool from_user) {
  u32 va = pv->read_fault_addr();
  if (cur && vm_fault(cur->pd_phys, cur->vmas, va, tf->error) == 0) {
    kstat.hidden_faults++;
    return;
  }
  if (from_user) {
    user_fault(tf, va);
    return;
  }
  panic("kernel page fault at %x, eip=%x error=%x", va, tf->eip, tf->error);
}

void trap(struct trapframe* tf) {
  bool from_user = trap_from_user(tf);
  u32 v = tf->vector;

  if (v == T_SYSCALL) {
    kstat.syscalls++;
    syscall_dispatch(tf);
  } else if (v == T_PAGE_FAULT) {
    page_fault(tf, from_user);
  } else if (v == T_IRQ0 + 0) {
    kstat.ticks++;
    pic_eoi(0);
    sched_tick(from_user);
  } else if (v == T_IRQ0 + 4) {
    uart_intr();
    pic_eoi(4);
  } else if (v == T_IRQ0 + 7 || v == T_IRQ0 + 15) {
    /* Spurious interrupts of the 8259A: no EOI for the chip that raised it. */
    if (v == T_IRQ0 + 15) pic_eoi(0);
  } else if (v >= T_IRQ0 && v < T_IRQ0 + 16) {
    pic_eoi(v - T_IRQ0);
  } else if (from_user) {
    user_fault(tf, 0);
  } else {
    panic("%s (vector %u) in kernel mode at eip=%x error=%x", exception_name(v), v, tf->eip,
          tf->error);
  }
}
