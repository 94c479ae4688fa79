/*
 * pv_ops: every operation a hypervisor cares about, in one table.
 *
 * The kernel never executes a privileged (or Popek-Goldberg sensitive) instruction
 * itself: it calls through `pv`, chosen once at boot from the entry protocol
 * (kmain.c). The native table (pv_ops_native.c) executes the instructions; a
 * paravirtual table would turn them into hypercalls or writes to a shared page,
 * exactly as Linux's paravirt_ops and XenoLinux do (Barham et al. 2003, sec. 2-3).
 *
 * Rules the rest of the kernel follows so that a paravirtual table can work:
 *  - Page-table memory (page directories and page tables) is written only with
 *    pte_write(). Reading it directly is fine (Xen maps it read-only).
 *  - PTE writes may be queued between pte_batch_begin() and pte_batch_flush().
 *    Pending writes must be flushed before any TLB flush, INVLPG or CR3 load,
 *    and at the start of the page-fault handler (Barham et al. sec. 3.3).
 *    vm.c's helpers do this; nothing else calls the TLB entries directly.
 *  - The kernel does not assume CPL 0: kernel selectors carry kernel_ring as RPL
 *    and "came from user mode" means CS.RPL == 3.
 */
#ifndef VMLAB_GUEST_PV_OPS_H
#define VMLAB_GUEST_PV_OPS_H

#include "x86.h"

struct blk_ops;

struct pv_ops {
  const char* name; /* "native", or "paravirt" for the hypercall table */
  u32 kernel_ring;  /* 0 native; 1 when the kernel runs deprivileged (PV) */

  /* Descriptor tables and the ring-0 stack (gdt.c, idt.c, sched.c). */
  void (*load_gdt)(const void* base, u16 limit, u16 code_sel, u16 data_sel);
  void (*load_idt)(const void* base, u16 limit);
  void (*load_tr)(u16 sel);
  void (*set_kernel_stack)(u32 esp0); /* TSS.esp0 on every context switch */

  /* MMU (vm.c). */
  void (*load_cr3)(u32 pd_phys);
  u32 (*read_fault_addr)(void); /* CR2; under Xen, from the trap frame */
  void (*flush_tlb)(void);
  void (*invlpg)(u32 va);
  void (*pte_write)(pte_t* ptep, pte_t val);
  void (*pte_batch_begin)(void);
  void (*pte_batch_flush)(void);
  /* A frame becomes a page table (level 1) or directory (level 2), or stops being
   * one. Natively nothing; under PV the frame is made read-only in the kernel's
   * direct map and pinned, and the reverse (Linux's paravirt alloc_pte/release_pte). */
  void (*pt_alloc)(u32 pa, u32 level);
  void (*pt_release)(u32 pa, u32 level);

  /* The interrupt flag (a virtual flag in a shared page under PV). */
  u32 (*irq_save)(void); /* returns the old flags, interrupts off  */
  void (*irq_restore)(u32 flags);
  void (*irq_disable)(void);
  void (*irq_enable)(void);
  void (*safe_halt)(void); /* enable interrupts and wait for one     */
  void (*halt_forever)(void) __attribute__((noreturn));

  /* Port I/O (devices: uart.c, pic.c, pit.c, and the exit port). */
  u8 (*inb)(u16 port);
  void (*outb)(u16 port, u8 val);

  /* Platform services a PV guest gets from the hypervisor instead of devices. */
  void (*console_write)(const char* buf, u32 len);
  void (*timer_init)(u32 hz);
  void (*machine_exit)(u32 status) __attribute__((noreturn));

  /* Where a new process's first switch "returns" to leave for user mode
   * (proc.c): trapentry.S's trap_return natively; under PV a return path that
   * also turns events back on (Linux's pv_cpu_ops.iret plays this role). */
  void (*user_return)(void);

  /* 16-bit port I/O, for the ATA data port (ata.c). NULL where the platform offers no
   * emulated disk (PV: its block device is the hypervisor's business, docs/disk.md). */
  u16 (*inw)(u16 port);
  void (*outw)(u16 port, u16 val);
  /* 32-bit port I/O, for PCI configuration mechanism #1 (0xCF8/0xCFC) and the IDE bus
   * master's table address (ata_dma.c). NULL under PV, as inw and outw. */
  u32 (*inl)(u16 port);
  void (*outl)(u16 port, u32 val);

  /* The block device (blk.h): the ATA driver natively, the block ring's front end under
   * PV (blkfront.c). */
  const struct blk_ops* blk;
};

/* The table in use; set once by kmain() before anything else runs. */
extern const struct pv_ops* pv;

/* pv_ops_native.c */
extern const struct pv_ops pv_ops_native;
/* The `in` nanobenchmark's loop on the native table (bench.c): `iters` bare
 * `in al, 0x80`, as Adams & Agesen's loop; returns the sum of the bytes read. */
u32 native_post_port_loop(u32 iters);

/* pv_ops_paravirt.c */
extern const struct pv_ops pv_ops_paravirt;

#endif
