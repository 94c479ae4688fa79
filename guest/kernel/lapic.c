/*
 * The local APIC's task-priority register, for the `tpr` workload: Adams & Agesen's
 * `cr8wr` nanobenchmark (ASPLOS 2006, Fig. 4) in its 32-bit form. On x86-64, CR8 is an
 * alias of the TPR; a 32-bit processor has no CR8, and a 32-bit kernel raises and lowers
 * its priority by a store to the TPR at offset 80H of the APIC's register page (Intel SDM
 * Vol. 3A, 10.8.3.1 and 10.4.1: the page is at 0xFEE00000 after reset).
 *
 * The kernel does not keep the APIC mapped (nothing else uses it: the PIT and the 8259A
 * drive the kernel). For the loop it maps the page, uncached, at the last page below the
 * hypervisor hole in the current page directory, with a page table of its own, and
 * removes both afterwards, so no other workload sees a different address space. Each
 * write is an ordinary MMIO store: natively the APIC takes it; under a monitor it is what
 * the monitor does with the APIC page (docs/guest.md, "tpr").
 */
#include "../common/abi.h"
#include "kernel.h"
#include "mm.h"
#include "proc.h"

#define LAPIC_PA 0xFEE00000u                   /* IA32_APIC_BASE after reset      */
#define LAPIC_VA (HYPERVISOR_HOLE - PAGE_SIZE) /* inside the kernel's segments    */
#define LAPIC_TPR 0x80u                        /* task priority (SDM 10.8.3.1)    */
#define PTE_PWT 0x008u                         /* write-through                   */
#define PTE_PCD 0x010u                         /* cache disabled: device memory   */
#define CPUID1_EDX_APIC (1u << 9)

/* CPUID.1:EDX.APIC: the processor has a local APIC, globally enabled (SDM 10.4.3). */
static bool has_local_apic(void) {
  u32 a = 1, b, c, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  return (d & CPUID1_EDX_APIC) != 0;
}

int lapic_tpr_loop(u32 iters, u64* cycles) {
  /* A paravirtual guest has no local APIC: Xen's (2003) guests have no APIC page and
   * no virtual TPR; their interrupts are event channels masked in the shared-info page. */
  if (pv != &pv_ops_native) return BENCH_NO_APIC_PV;
  if (!has_local_apic()) return BENCH_NO_APIC;
  pte_t* pd = P2V(cur->pd_phys);
  if (pd[PDX(LAPIC_VA)] & PTE_P) return -1; /* the kernel never maps the hole's edge */
  const u32 pt_pa = pmm_alloc();
  if (!pt_pa) return -1;
  pte_t* pt = P2V(pt_pa);
  pv->pte_batch_begin();
  pv->pte_write(&pt[PTX(LAPIC_VA)], LAPIC_PA | PTE_PCD | PTE_PWT | PTE_W | PTE_P);
  pv->pte_write(&pd[PDX(LAPIC_VA)], pt_pa | PTE_W | PTE_P);
  pv->pte_batch_flush();

  volatile u32* tpr = (volatile u32*)(LAPIC_VA + LAPIC_TPR);
  const u32 saved = *tpr;
  u64 t0 = rdtsc();
  /* Two priority classes in turn, as a kernel raising and lowering its priority. */
  for (u32 i = 0; i < iters; i++) *tpr = (i & 1) ? 0x20 : 0x10;
  *cycles = rdtsc() - t0;
  *tpr = saved;

  pv->pte_write(&pd[PDX(LAPIC_VA)], 0);
  pv->pte_write(&pt[PTX(LAPIC_VA)], 0);
  vm_invalidate(cur->pd_phys, LAPIC_VA);
  pmm_decref(pt_pa);
  return 0;
}
