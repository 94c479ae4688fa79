/*
 * The scheduler: preemptive round robin over the process table.
 *
 * The kernel is not preemptible (it runs with interrupts off, see idt.c); a
 * process gives up the CPU only inside the kernel: when it blocks (sleep_on),
 * exits, yields, or when the PIT interrupt finds that its time slice of
 * QUANTUM_TICKS ticks is used up while it was in user mode. Ticks are the only
 * notion of time, so under a simulated machine the schedule is deterministic.
 *
 * When nothing is runnable the CPU idles on the current kernel stack with
 * interrupts enabled (pv->safe_halt) until an interrupt makes something runnable.
 */
#include "kernel.h"
#include "proc.h"

extern void swtch(u32* save_esp, u32 new_esp); /* swtch.S */

static u32 slice_ticks;

static struct proc* pick_next(void) {
  u32 start = cur ? (u32)(cur - procs) + 1 : 0;
  for (u32 k = 0; k < NPROC; k++) {
    struct proc* p = &procs[(start + k) % NPROC];
    if (p->state == RUNNABLE) return p;
  }
  return 0;
}

/* Runs the next process; the caller has already set cur->state. */
void sched_switch_away(void) {
  struct proc* next;
  while ((next = pick_next()) == 0) {
    pv->safe_halt();
    pv->irq_disable();
  }
  slice_ticks = 0;
  next->state = RUNNING;
  if (next == cur) return;
  struct proc* prev = cur;
  cur = next;
  pv->set_kernel_stack(proc_kstack_top(next));
  vm_switch(next->pd_phys);
  kstat.switches++;
  swtch(&prev->kesp, next->kesp);
  /* We are back: someone switched to prev again. */
}

void sched_start(void) {
  static u32 boot_stack_esp; /* the boot stack is abandoned */
  struct proc* first = pick_next();
  if (!first) panic("sched_start: nothing to run");
  cur = first;
  first->state = RUNNING;
  pv->set_kernel_stack(proc_kstack_top(first));
  vm_switch(first->pd_phys);
  swtch(&boot_stack_esp, first->kesp);
  panic("sched_start: returned to the boot stack");
}

void sched_yield(void) {
  cur->state = RUNNABLE;
  sched_switch_away();
}

void sleep_on(const void* chan) {
  cur->wait_chan = chan;
  cur->state = SLEEPING;
  sched_switch_away();
  cur->wait_chan = 0;
}

void wakeup(const void* chan) {
  for (u32 i = 0; i < NPROC; i++)
    if (procs[i].state == SLEEPING && procs[i].wait_chan == chan) procs[i].state = RUNNABLE;
}

void sched_tick(bool from_user) {
  if (from_user && cur && ++slice_ticks >= QUANTUM_TICKS) {
    kstat.preemptions++;
    sched_yield();
  }
}
