/*
 * SYS_bench: nanobenchmarks whose measured operation must run in the kernel.
 *
 * Adams & Agesen's `in`, `cr8wr` and `ptemod` are privileged operations, and
 * their `call/ret` matters only in kernel code (under binary translation only
 * kernel code is translated; user code runs directly). So the user program
 * asks the kernel to run the operation `iters` times in a tight loop and the
 * kernel times the loop with RDTSC, leaving the system call itself out.
 * `irqmask`, `ptemod` and `callret` go through pv_ops exactly as the rest of
 * the kernel would use them, so every mode sees the instructions it would see
 * in real use. `in` and `ptemod_same` are the paper's FrobOS loops, one bare
 * instruction each (an `in` from port 0x80, in native_post_port_loop, since
 * privileged instructions live in pv_ops_native.c; a store of a PTE's own value),
 * wherever the kernel runs on the native table, whose pv->inb and
 * pv->pte_write are exactly that instruction; the indirect call around it
 * would be measured too (under binary translation an inline-cache lookup and
 * a return each time). Under pv the operation is the hypercall, through
 * pv_ops: a paravirtual kernel may neither read a port nor store to its page
 * tables itself (docs/reproduce.md, "adams-agesen-2006").
 */
#include "../common/abi.h"
#include "kernel.h"
#include "proc.h"

#define POST_PORT 0x80 /* the BIOS POST-code port, as in Adams & Agesen's `in` test */

static volatile u32 bench_sink;

/* noipa: gcc must neither inline this nor drop the calls as side-effect free. */
static __attribute__((noipa)) u32 bench_callee(u32 x) {
  return x + 1;
}

static int ptemod(u32 iters, u32 va, u64* cycles) {
  pte_t* ptep = vm_walk(cur->pd_phys, va, false);
  if (!ptep || (*ptep & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || va >= KERNBASE) return -1;
  pte_t original = *ptep;
  u64 t0 = rdtsc();
  for (u32 i = 0; i < iters; i++) {
    /* A real change (R/W toggled) so that a shadow must really be updated. */
    pv->pte_write(ptep, original ^ ((i & 1) ? 0 : PTE_W));
    pv->pte_batch_flush();
    pv->invlpg(va);
  }
  u64 t1 = rdtsc();
  pv->pte_write(ptep, original);
  vm_invalidate(cur->pd_phys, va);
  *cycles = t1 - t0;
  return 0;
}

/* A&A's ptemod "unchanged": the PTE of a present user page rewritten with its
 * own value, no INVLPG (nothing changed, so no TLB entry is stale). */
static int ptemod_same(u32 iters, u32 va, u64* cycles) {
  pte_t* ptep = vm_walk(cur->pd_phys, va, false);
  if (!ptep || (*ptep & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || va >= KERNBASE) return -1;
  const pte_t original = *ptep;
  volatile pte_t* slot = ptep;
  u64 t0 = rdtsc();
  if (pv == &pv_ops_native) {
    for (u32 i = 0; i < iters; i++) *slot = original;
  } else {
    for (u32 i = 0; i < iters; i++) {
      pv->pte_write(ptep, original);
      pv->pte_batch_flush();
    }
  }
  *cycles = rdtsc() - t0;
  return 0;
}

int sys_bench(u32 op, u32 iters, u32 arg, u32 cycles_out) {
  if (!user_range_ok(cycles_out, sizeof(u64), true)) return -1;
  u64 t0, t1, cycles;
  u32 sink = 0;
  switch (op) {
    case BENCH_IN:
      t0 = rdtsc();
      if (pv == &pv_ops_native) {
        sink += native_post_port_loop(iters); /* (privileged: pv_ops_native.c's) */
      } else {
        for (u32 i = 0; i < iters; i++) sink += pv->inb(POST_PORT);
      }
      t1 = rdtsc();
      cycles = t1 - t0;
      break;
    case BENCH_IRQMASK:
      /* The kernel runs with interrupts off; each iteration opens and closes
       * the window, as a kernel's critical-section exit and entry would. */
      t0 = rdtsc();
      for (u32 i = 0; i < iters; i++) {
        pv->irq_enable();
        pv->irq_disable();
      }
      t1 = rdtsc();
      cycles = t1 - t0;
      break;
    case BENCH_CALLRET:
      t0 = rdtsc();
      for (u32 i = 0; i < iters; i++) sink = bench_callee(sink);
      t1 = rdtsc();
      cycles = t1 - t0;
      break;
    case BENCH_PTEMOD:
      if (ptemod(iters, arg, &cycles) < 0) return -1;
      break;
    case BENCH_PTEMOD_SAME:
      if (ptemod_same(iters, arg, &cycles) < 0) return -1;
      break;
    case BENCH_TPR: { /* lapic.c: maps the APIC page around the loop */
      const int rc = lapic_tpr_loop(iters, &cycles);
      if (rc != 0) return rc;
      break;
    }
    case BENCH_PV_HOSTILE: /* pv_boot.c: refused outside --mode pv */
      t0 = rdtsc();
      for (u32 i = 0; i < iters; i++)
        if (pv_hostile_run() < 0) return -1;
      cycles = rdtsc() - t0;
      break;
    default: return -1;
  }
  bench_sink = sink; /* the loops' results are used, so they are not dropped */
  *(u64*)cycles_out = cycles;
  return 0;
}
