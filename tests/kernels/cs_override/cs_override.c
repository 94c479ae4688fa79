/*
 * The CS-override test kernel (issue 12: isolation under bt). A kernel's memory operand may
 * name CS as its segment (`mov %cs:x, %eax`, a jump table read as `jmp *%cs:t(,%eax,4)`,
 * `lods %cs:(%esi)`): the read goes through the guest's code segment, its base and limit,
 * and a write through it is #GP(0), a code segment not being writable (SDM Vol. 3A, 5.5).
 * Under bt the translated code runs on the monitor's own code segment, so an operand with a
 * CS override copied as it is would read the translation cache, not the guest's memory
 * (random guest --rich seed 30196: cs:[0xFC100000] read the TC's first bytes). The kernel
 * reads through CS at its own data, at an address of no memory (all ones), at the top of
 * the linear space, through a code segment with a base of its own and past its limit, and
 * writes through CS; every line is what the guest saw (the SDM's answer; QEMU checks no segment
 * limit or type on data accesses), the same in
 * every mode (expected.txt).
 */
#include "probe.h"

#define SEL_BASED 0x30 /* a ring-0 code segment based at 0x1000, limit 0x1FFFFF (2 MiB) */

void isr_dispatch(struct frame* f) {
  /* A fault in the based segment resumes at the probe's end in the kernel's own. */
  if (f->cs == SEL_BASED) f->cs = SEL_KCODE;
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static volatile uint32_t value = 0x12345678;
static volatile uint32_t table[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};

static uint32_t cs_read(uint32_t at) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "movl %%cs:(%[p]), %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   : [p] "r"(at)
                   : "memory");
  return v;
}

static uint32_t cs_read_indexed(uint32_t base, uint32_t i) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "movl %%cs:(%[b],%[i],4), %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   : [b] "r"(base), [i] "r"(i)
                   : "memory");
  return v;
}

static uint32_t cs_lods(uint32_t at) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "cs lodsl\n" PROBE_END : "+a"(v), "+S"(at) : : "memory");
  return v;
}

static uint32_t cs_write(uint32_t at) {
  __asm__ volatile(PROBE_BEGIN "movl $0x55, %%cs:(%[p])\n" PROBE_END : : [p] "r"(at) : "memory");
  return 0;
}

static uint32_t cs_add(uint32_t at) {
  uint32_t v = 5;
  __asm__ volatile(PROBE_BEGIN "addl %%cs:(%[p]), %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   : [p] "r"(at)
                   : "memory", "cc");
  return v;
}

/* A jump table read through CS: `jmp *%cs:targets(,%eax,4)`; returns the case taken. */
static uint32_t cs_jump(uint32_t i) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "jmp *%%cs:1f(,%[i],4)\n"
                   ".p2align 2\n"
                   "1: .long 2f, 3f\n"
                   "2: movl $0xA, %[v]\n"
                   "jmp 4f\n"
                   "3: movl $0xB, %[v]\n"
                   "4:\n" PROBE_END
                   : [v] "+r"(v)
                   : [i] "r"(i)
                   : "memory");
  return v;
}

/* A far JMP through a pointer read with CS: to 0xFFE8, past the kernel's GDT (natively
 * #GP(0xFFE8); under bt the monitor's translation-cache code segment, never reached). */
static volatile uint32_t far_pointer[2] = {0x100000, 0xFFE8};
static uint32_t cs_far_jump(void) {
  __asm__ volatile(PROBE_BEGIN "ljmp *%%cs:(%0)\n" PROBE_END : : "r"(far_pointer) : "memory");
  return 0;
}

/* Segment loads and LAR whose selector operand is read through CS (random guest seed
 * 24146: `lds %cs:m, %ecx`): the kernel's data selector loads; 0xFFE8, past the kernel's
 * GDT (under bt the monitor's code segment), is #GP(0xFFE8), and LAR of it clears ZF.
 * (An RPL-1 selector of a DPL-0 segment is #GP natively and under bt, whose selector table
 * refuses it, but loads on the classic CPU: the Popek-Goldberg hole of ring compression,
 * differential.known's seed 22153.) */
static volatile uint32_t far_data[2] = {0x5A5A1234, SEL_KDATA};
static volatile uint16_t cs_selector_slot = SEL_KDATA;

static uint32_t cs_lds(uint16_t sel) {
  uint32_t v = 0;
  far_data[1] = sel;
  __asm__ volatile("push %%ds\n" PROBE_BEGIN "lds %%cs:(%[p]), %[v]\n" PROBE_END "pop %%ds\n"
                   : [v] "+r"(v)
                   : [p] "r"(far_data)
                   : "memory");
  return v;
}

static uint32_t cs_mov_fs(uint16_t sel) {
  uint32_t v = 0;
  cs_selector_slot = sel;
  __asm__ volatile(PROBE_BEGIN "mov %%cs:(%[p]), %%fs\n"
                   "mov %%fs, %[v]\n" PROBE_END "mov %w[kd], %%fs\n"
                   : [v] "+r"(v)
                   : [p] "r"(&cs_selector_slot), [kd] "r"(SEL_KDATA)
                   : "memory");
  return v;
}

/* The same for GS (under bt the guest's %gs is virtual in the TC: the load is the kit's). */
static uint32_t cs_mov_gs(uint16_t sel) {
  uint32_t v = 0;
  cs_selector_slot = sel;
  __asm__ volatile("push %%gs\n" PROBE_BEGIN "mov %%cs:(%[p]), %%gs\n"
                   "mov %%gs, %[v]\n" PROBE_END "pop %%gs\n"
                   : [v] "+r"(v)
                   : [p] "r"(&cs_selector_slot)
                   : "memory");
  return v;
}

static uint32_t cs_lgs(uint16_t sel) {
  uint32_t v = 0;
  far_data[1] = sel;
  __asm__ volatile("push %%gs\n" PROBE_BEGIN "lgs %%cs:(%[p]), %[v]\n" PROBE_END "pop %%gs\n"
                   : [v] "+r"(v)
                   : [p] "r"(far_data)
                   : "memory");
  return v;
}

/* LAR through CS: the access rights, or 0xEEEEEEEE when ZF is clear. */
static uint32_t cs_lar(uint16_t sel) {
  uint32_t v = 0xEEEEEEEE;
  cs_selector_slot = sel;
  __asm__ volatile(PROBE_BEGIN "lar %%cs:(%[p]), %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   : [p] "r"(&cs_selector_slot)
                   : "memory", "cc");
  return v;
}

/* The same read with CS = SEL_BASED (entered by a far call, left by a far return). */
static uint32_t based_read(uint32_t at) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN
                   "pushl %[sel]\n"
                   "pushl $1f - 0x1000\n"
                   "lret\n"
                   "1: movl %%cs:(%[p]), %[v]\n"
                   "pushl $0x08\n"
                   "pushl $2f\n"
                   "lret\n"
                   "2:\n" PROBE_END
                   : [v] "+r"(v)
                   : [p] "r"(at), [sel] "i"(SEL_BASED)
                   : "memory");
  return v;
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  /* A GDT of our own: klib's, and at 0x30 a code segment based at 0x1000 whose limit
   * (page granular, 0x1FF) ends at linear 0x200FFF. */
  static uint64_t gdt[8];
  const uint64_t* k = klib_gdt();
  for (int i = 0; i < 6; ++i) gdt[i] = k[i];
  gdt[6] = seg_desc(0x1000, 0x1FF, 0x9A, 0xC);
  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)gdt};
  __asm__ volatile("lgdt %0" ::"m"(gdtr));
  puts("cs_override:\n");
  probe_print("cs read of a kernel variable", cs_read((uint32_t)&value));
  probe_print("cs read, indexed", cs_read_indexed((uint32_t)table, 2));
  probe_print("cs lods", cs_lods((uint32_t)&table[3]));
  probe_print("cs add", cs_add((uint32_t)&table[0]));
  probe_print("cs read of no memory (0xE0000000)", cs_read(0xE0000000));
  probe_print("cs read at 0xFC100000", cs_read(0xFC100000));
  probe_print("cs read at 0xFFFFFFF0", cs_read(0xFFFFFFF0));
  probe_print("cs read at 0xFEE00030 (the local APIC version)", cs_read(0xFEE00030));
  probe_print("cs jump table, case 0", cs_jump(0));
  probe_print("cs jump table, case 1", cs_jump(1));
  probe_print("cs far jump to 0xFFE8", cs_far_jump());
  probe_print("cs write", cs_write((uint32_t)&value));
  puts("the variable after it: ");
  puthex(value);
  puts("\n");
  probe_print("cs lds of the data selector", cs_lds(SEL_KDATA));
  probe_print("cs lds of 0xFFE8", cs_lds(0xFFE8));
  probe_print("cs mov fs of the data selector", cs_mov_fs(SEL_KDATA));
  probe_print("cs mov fs of 0xFFE8", cs_mov_fs(0xFFE8));
  probe_print("cs mov gs of the data selector", cs_mov_gs(SEL_KDATA));
  probe_print("cs lgs of the data selector", cs_lgs(SEL_KDATA));
  probe_print("cs lgs of 0xFFE8", cs_lgs(0xFFE8));
  probe_print("cs lar of the user data selector", cs_lar(SEL_UDATA));
  probe_print("cs lar of 0xFFE8", cs_lar(0xFFE8));
  probe_print("based cs read (base 0x1000)", based_read((uint32_t)&value - 0x1000));
  probe_print("based cs read at its limit", based_read(0x1FFFFC));
  probe_print("based cs read past its limit", based_read(0x1FFFFE));
  exit_machine(0);
}
