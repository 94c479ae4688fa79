/*
 * The PUSHF-halt test kernel: a kernel that decides from the flags PUSHF shows it, as
 * Linux's local_irq_save/restore do (docs/outside-kernels.md, "Why classic halts"). It
 * disables interrupts, reads EFLAGS back with PUSHF and, when IF still reads 1, believes its
 * timer can wake it and waits with HLT. Natively, under the VT CPU and under binary
 * translation PUSHF shows IF = 0 and the kernel exits 0. On the classic CPU PUSHF in ring 1
 * does not trap and shows the real IF, which the monitor keeps at 1 (the Popek-Goldberg
 * hole): the kernel halts with its interrupts off for good, and vmlab's stop message must
 * name the PUSHF and its EIP, which the kernel prints first (check_stop_message.sh).
 */
#include "klib.h"

void isr_dispatch(struct frame* f) {
  puts("unexpected exception ");
  putdec(f->vector);
  puts("\n");
  exit_machine(2);
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)mbi;
  console_init();
  puts("vmlab pushf_halt test kernel\n");
  if (magic != 0x2BADB002) exit_machine(1);
  extern const char pushf_insn[];
  puts("pushf at ");
  puthex((uint32_t)pushf_insn);
  puts("\n");
  uint32_t flags;
  __asm__ volatile(
      "cli\n"
      ".global pushf_insn\n"
      "pushf_insn: pushf\n"
      "pop %0"
      : "=r"(flags)::"memory");
  if (flags & 0x200) {
    /* Wrong: IF is 0. The kernel waits for a timer tick that can never come. */
    puts("IF reads 1 after CLI: waiting for the timer\n");
    __asm__ volatile("hlt");
    puts("woken\n");
    exit_machine(3);
  }
  puts("IF reads 0 after CLI\n");
  exit_machine(0);
}
