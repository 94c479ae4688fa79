/*
 * The error codes of the task-switch checks made from the kernel (issue 12, item 2): a
 * far JMP or CALL to a TSS or a task gate, direct or through memory, in the GDT or the
 * LDT, and INT n through an IDT task gate, each refused by a different check of the JMP,
 * CALL and INT n pseudo-code and of the task switch's first steps (SDM Vol. 2A/2B; Vol.
 * 3A, 7.3 and table 7-1): #GP, #NP or #TS, with the gate's or the TSS's selector. Ring
 * compression (trap on the classic CPU, bt) keeps no system descriptors in its shadow
 * GDT, so the monitor must run these checks on the guest's own tables. Each line names one
 * attempt and the vector and error code it raised; the console is the same in every mode
 * and under QEMU (tests/kernels/compare_with_qemu.sh), except one attempt: for a task
 * gate whose TSS selector has TI set, the JMP and CALL pseudo-code give #GP(TSS selector)
 * (Vol. 2A, JMP, "TASK-GATE": "IF TSS selector local/global bit is set to local ... THEN
 * #GP(TSS selector)"), which vmlab follows, where QEMU (TCG, switch_tss) raises #TS; with
 * "no-ti" on the command line the kernel leaves that attempt out.
 */
#include "own_tables.h"
#include "probe.h"

static volatile uint32_t vectors[16], errors[16];

static uint64_t gdt[16] __attribute__((aligned(8)));
static uint64_t ldt[2] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static struct tss32 other __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(16)));
static struct __attribute__((packed)) {
  uint32_t offset;
  uint16_t selector;
} far_pointer = {0, 0x68};

static const char* const names[] = {
    "jmp far 0028:0 (busy TSS)",
    "call far 0030:0 (task gate not present)",
    "jmp far 0038:0 (TSS not present)",
    "call far 0040:0 (TSS limit 0x40)",
    "jmp far 0048:0 (task gate to TSS limit 0x40)",
    "jmp far 0050:0 (task gate to TSS not present)",
    "jmp far 0058:0 (task gate to an LDT selector)",
    "jmp far 0060:0 (task gate to a data segment)",
    "jmp far [m16:32] 0068:0 (task gate to busy TSS)",
    "jmp far 000C:0 (LDT task gate to busy TSS)",
    "jmp far 0043:0 (TSS DPL 0, RPL 3)",
    "call far 0078:0 (16-bit TSS limit 0x2A)",
    "int 86h (task gate to TSS not present)",
    "int 87h (task gate to TSS limit 0x40)",
};
#define ATTEMPTS 14

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static void record(uint32_t n) {
  if (probe.faulted) {
    vectors[n] = probe.vector;
    errors[n] = probe.error;
  }
}

/* Attempt number n: `insn` as a probe, then what it raised in vectors[n] and errors[n]. */
#define ATTEMPT(n, insn)                                             \
  do {                                                               \
    __asm__ volatile(PROBE_BEGIN insn PROBE_END ::: "memory", "cc"); \
    record(n);                                                       \
  } while (0)

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  pic_mask_all();
  tables_init();
  for (uint32_t i = 0; i < 16; ++i) vectors[i] = 0xFF;

  own_tables_load(gdt, 16, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[6] = own_gate(SEL_TSS, 0, 0x05);                            /* task gate, P = 0 */
  gdt[7] = seg_desc((uint32_t)&other, sizeof other - 1, 0x09, 0); /* TSS, P = 0 */
  gdt[8] = seg_desc((uint32_t)&other, 0x40, 0x89, 0);             /* TSS, limit 0x40 */
  gdt[9] = own_gate(0x40, 0, 0x85);                               /* to gdt[8] */
  gdt[10] = own_gate(0x38, 0, 0x85);                              /* to gdt[7] */
  gdt[11] = own_gate(0x0C, 0, 0x85);                              /* to an LDT selector */
  gdt[12] = own_gate(SEL_KDATA, 0, 0x85);                         /* to a data segment */
  gdt[13] = own_gate(SEL_TSS, 0, 0x85);                           /* to the busy TSS */
  gdt[14] = seg_desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0);     /* the LDT */
  gdt[15] = seg_desc((uint32_t)&other, 0x2A, 0x81, 0);            /* 16-bit TSS, short */
  ldt[1] = own_gate(SEL_TSS, 0, 0x85);                            /* LDT task gate */
  idt[0x86] = own_gate(0x38, 0, 0x85);
  idt[0x87] = own_gate(0x40, 0, 0x85);
  __asm__ volatile("lldt %w0" ::"r"(0x70));

  puts("vmlab task-switch error codes kernel\n");
  ATTEMPT(0, "ljmp $0x28, $0");
  ATTEMPT(1, "lcall $0x30, $0");
  ATTEMPT(2, "ljmp $0x38, $0");
  ATTEMPT(3, "lcall $0x40, $0");
  ATTEMPT(4, "ljmp $0x48, $0");
  ATTEMPT(5, "ljmp $0x50, $0");
  if (!cmdline_has(mbi, "no-ti")) ATTEMPT(6, "ljmp $0x58, $0");
  ATTEMPT(7, "ljmp $0x60, $0");
  __asm__ volatile(PROBE_BEGIN "ljmp *%0" PROBE_END ::"m"(far_pointer) : "memory", "cc");
  record(8);
  ATTEMPT(9, "ljmp $0x0C, $0");
  ATTEMPT(10, "ljmp $0x43, $0");
  ATTEMPT(11, "lcall $0x78, $0");
  ATTEMPT(12, "int $0x86");
  ATTEMPT(13, "int $0x87");
  for (uint32_t i = 0; i < ATTEMPTS; ++i) {
    puts(names[i]);
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
  exit_machine(0);
}
