/*
 * kmain(): from boot.S to the first user process.
 *
 * The order matters: the console first (so everything after can report), the
 * command line next (the Multiboot data lives in memory the allocator is about
 * to hand out), then the CPU tables, memory, devices, and finally init.
 */
#include "kernel.h"
#include "mm.h"
#include "multiboot.h"
#include "proc.h"

#define BOOT_PROTOCOL_MULTIBOOT 0
#define BOOT_PROTOCOL_PV 1 /* boot.S saw PV_BOOT_MAGIC: kmain_pv (pv_boot.c) */

const struct pv_ops* pv;

void kmain(u32 protocol, u32 boot_info_phys) __attribute__((noreturn));

void kmain(u32 protocol, u32 boot_info_phys) {
  /* The boot protocol chooses the pv_ops table, once: Multiboot (native,
   * trap-and-emulate, binary translation) the native one, PV the paravirt one. */
  if (protocol == BOOT_PROTOCOL_PV) kmain_pv(boot_info_phys);
  pv = &pv_ops_native;
  uart_init();
  if (protocol != BOOT_PROTOCOL_MULTIBOOT) panic("unknown boot protocol %u", protocol);

  /* boot.S mapped only the first 16 MiB; loaders put their data low. */
  if (boot_info_phys >= (16u << 20))
    panic("Multiboot information at %x, above the 16 MiB boot mapping", boot_info_phys);
  const struct multiboot_info* mbi = P2V(boot_info_phys);
  const char* cmdline = 0;
  if ((mbi->flags & MBI_FLAG_CMDLINE) && mbi->cmdline < (16u << 20)) cmdline = P2V(mbi->cmdline);
  cmdline_init(cmdline);

  gdt_init();
  idt_init();
  pmm_init(mbi);
  vm_init();

  kprintf("vmlab-guest 0.1 boot=multiboot pv_ops=%s ring=%u mem_kib=%u cmdline=\"%s\"\n", pv->name,
          pv->kernel_ring, pmm_total_count() * 4, boot_cmdline);

  pic_init();
  pv->timer_init(HZ);
  uart_enable_rx_irq();
  proc_create_init();
  sched_start();
}
