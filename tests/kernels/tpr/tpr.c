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
 *
 * Then the SDM's rule for a TPR write (Vol. 3A, 10.8.3.1 and 10.8.4): a fixed interrupt
 * that a raised TPR held back is delivered as soon as a TPR write lowers the priority
 * below its class, if IF is set: at the next instruction boundary, before the instruction
 * after the store. The handler records the EIP it interrupted, and the kernel compares it
 * with the address of the instruction after the store.
 */
#include "klib.h"

#define APIC(off) (*(volatile uint32_t*)(0xFEE00000u + (off)))
#define TPR APIC(0x80)
#define WRITES 1000
#define HELD_VECTOR 0x45 /* class 4 */

static volatile uint32_t hits, taken_at;

void isr_dispatch(struct frame* f) {
  if (f->vector == HELD_VECTOR) {
    hits++;
    taken_at = f->eip;
    APIC(0xB0) = 0; /* EOI */
    return;
  }
  puts("unexpected vector ");
  putdec(f->vector);
  putc('\n');
  exit_machine(1);
}

static void show(const char* name, uint32_t v) {
  puts(name);
  puts(" = ");
  puthex(v);
  putc('\n');
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

  puts("-- a tpr write that unmasks a held interrupt\n");
  pic_mask_all(); /* the PICs quiet */
  APIC(0xF0) = 0x1FF; /* software enable, spurious vector 0xFF */
  TPR = 0x50;         /* class 5 holds class 4 back */
  APIC(0x300) = 0x00040000u | HELD_VECTOR; /* a fixed self-IPI */
  show("irr bits 64-95 (held)", APIC(0x220));
  uint32_t boundary;
  __asm__ volatile(
      "sti\n\t"
      "nop\n\t"               /* the STI shadow ends here; nothing is deliverable yet */
      "movl $0, (%1)\n"        /* TPR = 0: the held interrupt is now deliverable */
      "1:\n\t"
      "movl $1b, %0\n\t"
      "cli"
      : "=r"(boundary)
      : "r"(&TPR)
      : "memory");
  show("taken", hits);
  show("taken at the instruction after the tpr write", taken_at == boundary);
  show("irr bits 64-95", APIC(0x220));
  exit_machine(0);
}
