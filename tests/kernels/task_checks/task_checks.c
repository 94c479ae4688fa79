/*
 * The faults before a task switch, and refused control-register values (issue 12,
 * item 5). Hardware task switching is not modeled, but every check the processor makes
 * before it switches is: a program that reaches for a task switch it may not make gets
 * the architectural fault, and so does a kernel writing a reserved CR4 bit or an invalid
 * CR0 combination, in every mode (SDM Vol. 3A 7.3 and table 7-1; Vol. 2A/2B, the JMP,
 * CALL, INT n, IRET and MOV-to-CR pseudo-code). Each line names one attempt and the
 * vector and error code it raised; the console is the same in every mode and under QEMU.
 */
#include "own_tables.h"
#include "probe.h"

#define NT (1u << 14)
#define SEL_TGATE 0x30 /* GDT task gate, DPL 3, to the running (busy) TSS */
#define SEL_TSS2 0x38  /* an available 32-bit TSS, DPL 3, not present */

extern void isr133(void);

/* Written from ring 3 too: the kernel runs without paging, on flat segments. */
static volatile uint32_t vectors[16], errors[16];

static uint64_t gdt[8] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(16)));

static void show(const char* what, uint32_t i) {
  puts(what);
  puts(": ");
  if (vectors[i] == 0xFF) {
    puts("no fault\n");
  } else {
    putdec(vectors[i]);
    puts("(");
    puthex(errors[i]);
    puts(")\n");
  }
}

static const char* const user_names[] = {"ring 3 jmp far 002B:0 (busy TSS, DPL 0)",
                                         "ring 3 call far 0028:0 (busy TSS, DPL 0)",
                                         "ring 3 jmp far 0033:0 (task gate to busy TSS)",
                                         "ring 3 call far 003B:0 (TSS not present)",
                                         "ring 3 int 83h (task gate, DPL 0)",
                                         "ring 3 int 84h (task gate to busy TSS)",
                                         "ring 3 iret with NT (link 0)"};
#define USER_ATTEMPTS 7

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x85) { /* ring 3 is done */
    for (uint32_t i = 0; i < USER_ATTEMPTS; ++i) show(user_names[i], i + 2);
    exit_machine(0);
  }
  if (probe_catch(f)) {
    f->eflags &= ~NT; /* IRET with NT faulted with NT still set */
    return;
  }
  unexpected_vector(f);
}

static void record(uint32_t n) {
  if (probe.faulted) {
    vectors[n] = probe.vector;
    errors[n] = probe.error;
  }
}

/* Attempt number n: `insn` as a probe (the operand list starts with n, unused, so that
 * an attempt may add its own inputs), then what it raised in vectors[n] and errors[n]. */
#define ATTEMPT(n, insn, ...)                                                                  \
  do {                                                                                         \
    __asm__ volatile(PROBE_BEGIN insn PROBE_END : : [num] "i"(n)__VA_ARGS__ : "memory", "cc"); \
    record(n);                                                                                 \
  } while (0)

__attribute__((section(".user_text"), noreturn, noinline)) static void user_main(void) {
  ATTEMPT(2, "ljmp $0x2B, $0");
  ATTEMPT(3, "lcall $0x28, $0");
  ATTEMPT(4, "ljmp $0x33, $0");
  ATTEMPT(5, "lcall $0x3B, $0");
  ATTEMPT(6, "int $0x83");
  ATTEMPT(7, "int $0x84");
  ATTEMPT(8, "pushf\n\torl $0x4000, (%%esp)\n\tpopf\n\tiret");
  __asm__ volatile("int $0x85");
  for (;;) {
  }
}

static uint8_t user_stack[4096] __attribute__((section(".user_data"), aligned(4096)));

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  /* The 8259As quiet: under QEMU the PIT runs on host time, and a timer interrupt that
   * arrives while ring-3 code runs with IF set would reach a vector this kernel has no
   * gate for (the BIOS's IRQ 0 is vector 8), so the console would depend on timing. */
  pic_mask_all();
  tables_init();
  for (uint32_t i = 0; i < 16; ++i) vectors[i] = 0xFF;

  /* klib's layout, grown by a task gate (DPL 3, to the running TSS) and an available TSS
   * (DPL 3, not present), and an IDT with two task gates. */
  own_tables_load(gdt, 8, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[6] = own_gate(SEL_TSS, 0, 0xE5);
  gdt[7] = seg_desc((uint32_t)&tss, sizeof tss - 1, 0x69, 0x0); /* P = 0, DPL 3 */
  idt[0x83] = own_gate(SEL_TSS, 0, 0x85);                       /* task gate, DPL 0 */
  idt[0x84] = own_gate(SEL_TSS, 0, 0xE5);                       /* task gate, DPL 3 */
  idt[0x85] = own_gate(SEL_KCODE, (uint32_t)isr133, 0xEE);

  puts("vmlab task-switch checks kernel\n");
  uint32_t cr0, cr4, after;
  /* "no-cr": QEMU (TCG, 8.2) departs from the SDM on both control-register attempts: it
   * executes a MOV to CR4 with a reserved bit again and again without a fault, and takes
   * NW without CD. The comparison with QEMU leaves them out; the task-switch checks it
   * makes exactly as the SDM and vmlab do. */
  if (!cmdline_has(mbi, "no-cr")) {
    /* CR4 bit 15 is reserved on every IA-32 processor; PSE changes too, so that a monitor that
     * owns PSE sees the write. */
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    ATTEMPT(0, "mov %%eax, %%cr4", , "a"(cr4 ^ 0x8010));
    show("mov cr4, reserved bit 15", 0);
    __asm__ volatile("mov %%cr4, %0" : "=r"(after));
    puts(after == cr4 ? "cr4 unchanged\n" : "cr4 changed\n");
    /* NW without CD, with WP changed as well. */
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    ATTEMPT(1, "mov %%eax, %%cr0", , "a"(((cr0 | (1u << 29)) & ~(1u << 30)) ^ (1u << 16)));
    show("mov cr0, NW without CD", 1);
    __asm__ volatile("mov %%cr0, %0" : "=r"(after));
    puts(after == cr0 ? "cr0 unchanged\n" : "cr0 changed\n");
  }

  /* The kernel's own IRET with NT: the link in its TSS is 0, so #TS(0) before any switch
   * (under bt the monitor's IRET makes these checks on the guest's TSS: random guest seed
   * 22228 of tests/robustness/differential.py stopped there). */
  ATTEMPT(9, "pushf\n\torl $0x4000, (%%esp)\n\tpopf\n\tiret");
  show("ring 0 iret with NT (link 0)", 9);

  enter_ring3(user_main, user_stack + sizeof user_stack);
}
