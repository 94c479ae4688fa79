/*
 * The 32-bit form of Adams & Agesen's `cr8wr` nanobenchmark (ASPLOS 2006, section 6.2;
 * references/papers.md): on x86-64 CR8 is the task-priority register, on a 32-bit
 * processor it is the local APIC's TPR at offset 80H of the APIC page. The kernel writes
 * the TPR 1000 times in a tight loop (alternating two priority classes, as a kernel
 * raising and lowering its priority would) and reads it back once. Each write is one
 * `mmio` event in every mode; under a monitor each is also the monitor's work: an
 * APIC-access exit (a `trap` event of reason 44) on the VT CPU, a `hole_access` event under
 * the classic CPU and bt. tests/kernels/tpr/CMakeLists.txt holds the exact counts per
 * mode, and `vmlab compare` can put the modeled cycles side by side.
 */
#include "klib.h"

#define TPR (*(volatile uint32_t*)0xFEE00080u)
#define WRITES 1000

void isr_dispatch(struct frame* f) {
  puts("unexpected vector ");
  putdec(f->vector);
  putc('\n');
  exit_machine(1);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("vmlab tpr kernel (cr8wr)\n");
  for (uint32_t i = 0; i < WRITES; ++i) TPR = (i & 1) ? 0x20 : 0x10;
  puts("tpr writes: ");
  putdec(WRITES);
  puts(", last tpr = ");
  puthex(TPR);
  putc('\n');
  exit_machine(0);
}
