/*
 * Guests that would hang a monitor that does not bound its loops (issue 12, item 4). The
 * command line picks one; none of them ever ends by itself, so every run must end on
 * --max-instructions, on the no-progress guard, or on SIGINT, in every mode, promptly.
 *
 *   storm  an exception storm: every IDT gate leads to offset 0 of a code segment whose
 *          limit is 0, where a two-byte instruction lies: it does not fit in CS, so each
 *          #GP(0) is delivered to a handler whose first instruction raises #GP(0) again
 *          (SDM Vol. 3A, 5.3) and no instruction ever retires. The stack segment is 16
 *          bits wide (B = 0), so the frames wrap around within 64 KiB (SDM Vol. 3A,
 *          6.12.1: the pushes use SP; a 16-byte frame with its error code divides 64 KiB,
 *          so no frame ever straddles the limit) and the storm never reaches anything else
 *          in memory.
 *   outs   REP OUTSB with ECX = 0xFFFFFFFF to an unassigned port (four billion iterations
 *          of one instruction).
 *   ins    REP INSB with ECX = 0xFFFFFFFF from an unassigned port.
 *   spin   JMP $ forever.
 *   f2outs REPNE OUTSB (F2 6E) of "xyz\n" to the 0xE9 console, then exits with 0: F2
 *          repeats INS/OUTS as F3 does, and the monitors' batched string I/O must too.
 *   scribble  pages the top 24 MiB of the physical address space (0xFE800000-0xFFFFFFFF,
 *          no RAM there) in at linear 0x40000000 with 4 MiB pages and fills it with
 *          0xCCCCCCCC, then JMP $. Natively the writes go nowhere. Under shadow paging the
 *          monitors' own frames lay there (issue 12, item 1), and after the scribble the
 *          classic and bt monitors looped forever; whatever the monitor does, the run must
 *          end on the budget or on SIGINT.
 *
 * It prints "no_hang CASE" first, so a run shows that it got as far as the case.
 */
#include "klib.h"

/* Null, flat 32-bit code (0x08) and data (0x10), a 16-bit data segment (0x18) at 0x80000
 * with a 64 KiB limit for the storm's stack, and the storm's code segment (0x20): base
 * storm_handler, limit 0, 32-bit, filled in at run time. */
static uint64_t gdt[5] __attribute__((aligned(8))) = {
    0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x000092080000FFFFull, 0,
};
static uint64_t idt[256] __attribute__((aligned(8)));

struct __attribute__((packed)) table_register {
  uint16_t limit;
  uint32_t base;
};

extern char storm_handler[];
__asm__(".text\n.global storm_handler\nstorm_handler:\n  ud2\n");

void isr_dispatch(struct frame* f) {
  (void)f;
}

static _Noreturn void storm(void) {
  const uint32_t h = (uint32_t)storm_handler;
  gdt[4] = (uint64_t)(h & 0xFFFFFF) << 16 | (uint64_t)0x9A << 40 | (uint64_t)0x40 << 48 |
           (uint64_t)(h >> 24) << 56;
  for (int v = 0; v < 256; ++v) {
    /* A 32-bit interrupt gate, DPL 0, present, to 0x20:0. */
    idt[v] = (uint64_t)0x20 << 16 | (uint64_t)0x8E00 << 32;
  }
  struct table_register g = {sizeof gdt - 1, (uint32_t)gdt};
  struct table_register i = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile(
      "lgdt %0\n"
      "lidt %1\n"
      "ljmp $0x08, $1f\n"
      "1: mov $0x10, %%ax\n"
      "mov %%ax, %%ds\n"
      "mov %%ax, %%es\n"
      "mov $0x18, %%ax\n"
      "mov %%ax, %%ss\n"
      "mov $0xFFF0, %%esp\n"
      "ljmp $0x20, $0\n" ::"m"(g),
      "m"(i)
      : "eax", "memory");
  __builtin_unreachable();
}

static _Noreturn void rep_outs(void) {
  __asm__ volatile("cld\n rep outsb" ::"S"(0x200000), "c"(0xFFFFFFFFu), "d"(0x300) : "memory");
  exit_machine(1);
}

static _Noreturn void rep_ins(void) {
  __asm__ volatile("cld\n rep insb" ::"D"(0x200000), "c"(0xFFFFFFFFu), "d"(0x300) : "memory");
  exit_machine(1);
}

static uint32_t page_directory[1024] __attribute__((aligned(4096)));

static _Noreturn void scribble(void) {
  /* 4 MiB pages (PDE bit 7, CR4.PSE): the first 16 MiB identity-mapped, and 0x40000000 +
   * 24 MiB onto physical 0xFE800000 (SDM Vol. 3A, 4.3). */
  for (uint32_t i = 0; i < 4; ++i) page_directory[i] = (i << 22) | 0x83;
  for (uint32_t i = 0; i < 6; ++i) page_directory[0x100 + i] = (0xFE800000u + (i << 22)) | 0x83;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr4, %%eax\n or $0x10, %%eax\n mov %%eax, %%cr4\n"
      "mov %%cr0, %%eax\n or $0x80000000, %%eax\n mov %%eax, %%cr0\n" ::"r"(page_directory)
      : "eax", "memory");
  __asm__ volatile("cld\n rep stosl" ::"D"(0x40000000), "c"(6u << 20), "a"(0xCCCCCCCCu)
                   : "memory");
  for (;;) __asm__ volatile("");
}

static _Noreturn void f2_outs(void) {
  static const char text[] = "xyz\n";
  __asm__ volatile("cld\n .byte 0xF2\n outsb" ::"S"(text), "c"(4), "d"(0xE9) : "memory");
  exit_machine(0);
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  static const char* const cases[] = {"storm", "outs", "ins", "spin", "scribble", "f2outs"};
  const char* which = 0;
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    if (cmdline_has(mbi, cases[k])) which = cases[k];
  }
  if (!which) {
    puts("no_hang: name a case: storm, outs, ins, spin, scribble or f2outs\n");
    exit_machine(2);
  }
  puts("no_hang ");
  puts(which);
  puts("\n");
  if (which[0] == 's' && which[1] == 't') storm();
  if (which[0] == 'o') rep_outs();
  if (which[0] == 'i') rep_ins();
  if (which[0] == 's' && which[1] == 'c') scribble();
  if (which[0] == 'f') f2_outs();
  for (;;) __asm__ volatile("");
}
