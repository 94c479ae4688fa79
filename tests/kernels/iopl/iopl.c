/*
 * IOPL through POPF and IRET (issue 12, item 3; SDM Vol. 1, 3.4.3.3 and 19.5.1; Vol. 2,
 * POPF and IRET: only CPL 0 changes IOPL, and CLI, STI, IN and OUT at CPL > IOPL fault).
 * The kernel sets IOPL with POPF and reads it back with PUSHF, then enters ring 3 with
 * IOPL 3 in the EFLAGS image of its IRET; user code reads IOPL back, uses a port that its
 * TSS (no I/O bitmap) would refuse, and runs CLI and STI, which IOPL 3 allows. A system
 * call that returns keeps the IOPL. Then ring 3 again with IOPL 0: the same port faults.
 * NT and AC, which POPF loads at any CPL, are read back too (under bt they stay real).
 * Each line is what the guest saw; the console is the same natively and under QEMU.
 */
#include "probe.h"

static uint8_t user_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t round_iopl, faults, user_iopl, user_iopl_after_syscall, user_if;
static uint32_t nt_ac;

static uint32_t flags(void) {
  uint32_t f;
  __asm__ volatile("pushf\n pop %0" : "=r"(f));
  return f;
}

static void set_iopl(uint32_t iopl) {
  __asm__ volatile("pushf\n andl $0xFFFFCFFF, (%%esp)\n orl %0, (%%esp)\n popf" ::"r"(iopl << 12)
                   : "memory", "cc");
}

/* Ring 3: `insn` as a probe; a #GP counts in `faults`. */
#define USER_PROBE(insn, ...)                                                    \
  do {                                                                           \
    __asm__ volatile(PROBE_BEGIN insn PROBE_END ::__VA_ARGS__ : "memory", "cc"); \
    faults += probe.faulted;                                                     \
  } while (0)

static void user_main(void) {
  user_iopl = (flags() >> 12) & 3;
  USER_PROBE("outb %%al, $0x80", "a"(0)); /* no bitmap: only IOPL 3 allows it */
  USER_PROBE("cli");
  user_if = (flags() >> 9) & 1;
  USER_PROBE("sti");
  user_if = user_if * 2 + ((flags() >> 9) & 1);
  __asm__ volatile("int $0x80" ::"a"(1)); /* a system call that returns */
  user_iopl_after_syscall = (flags() >> 12) & 3;
  __asm__ volatile("int $0x80" ::"a"(0));
  for (;;) {
  }
}

static void enter_user(uint32_t iopl) {
  __asm__ volatile(
      "mov %0, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n"
      "push %0\n push %1\n"
      "pushf\n andl $0xFFFFCFFF, (%%esp)\n orl %4, (%%esp)\n orl $0x200, (%%esp)\n"
      "push %2\n push %3\n iret" ::"i"(SEL_UDATA),
      "r"(user_stack + sizeof user_stack), "i"(SEL_UCODE), "r"(user_main), "r"(iopl << 12)
      : "eax", "memory");
}

static void report(void) {
  puts("ring 3 with IOPL ");
  putdec(round_iopl);
  puts(": reads IOPL ");
  putdec(user_iopl);
  puts(", faults ");
  putdec(faults);
  puts(", IF after cli/sti ");
  putdec(user_if >> 1);
  putc('/');
  putdec(user_if & 1);
  puts(", IOPL after a system call ");
  putdec(user_iopl_after_syscall);
  putc('\n');
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 13 && (f->cs & 3) == 3 && probe_catch(f)) return;
  if (f->vector == 0x80 && f->eax == 1) return;
  if (f->vector == 0x80) {
    report();
    if (round_iopl == 3) {
      round_iopl = 0;
      faults = 0;
      enter_user(0);
    }
    exit_machine(0);
  }
  unexpected_vector(f);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  puts("vmlab iopl kernel\n");
  set_iopl(3);
  puts("ring 0 popf IOPL 3: reads ");
  putdec((flags() >> 12) & 3);
  set_iopl(1);
  puts(", IOPL 1: reads ");
  putdec((flags() >> 12) & 3);
  set_iopl(0);
  puts(", IOPL 0: reads ");
  putdec((flags() >> 12) & 3);
  putc('\n');
  /* NT and AC with POPF, read back after a port write (a trap or a callout to a monitor),
     then cleared: no IRET may run with NT set (it would be a task return). */
  __asm__ volatile(
      "pushf\n orl $0x44000, (%%esp)\n popf\n outb %%al, $0x80\n pushf\n pop %0\n"
      "pushf\n andl $0xFFFBBFFF, (%%esp)\n popf"
      : "=r"(nt_ac)
      : "a"(0)
      : "memory", "cc");
  puts("ring 0 popf NT 1 AC 1: reads NT ");
  putdec((nt_ac >> 14) & 1);
  puts(" AC ");
  putdec((nt_ac >> 18) & 1);
  puts(", then ");
  putdec((flags() >> 14) & 1);
  putc(' ');
  putdec((flags() >> 18) & 1);
  putc('\n');
  round_iopl = 3;
  enter_user(3);
}
