/*
 * The seg_corners test kernel (issue 12: segment loads that ring compression and bt got
 * wrong). Three groups, all in ring 0:
 *  - POP DS/ES/FS/GS/SS on a 16-bit stack (SS.B = 0) with the upper half of ESP non-zero:
 *    the processor pops from [SS:SP] and moves SP alone (SDM Vol. 2, POP, "StackAddrSize =
 *    16"); once with a 64 KiB stack segment, where [SS:ESP] lies past the limit, and once
 *    with a 4 GiB one whose [SS:ESP] holds another selector. Each line: the register's
 *    value and ESP after the pop, or the fault.
 *  - LDS/LES/LFS/LGS/LSS with the far pointer straddling a present and a not-present page
 *    both ways round: the processor reads the offset, then the selector (QEMU's order), so
 *    CR2 names the first part that faults. Each line: vector, error code, CR2 (from the
 *    pointer's page).
 *  - MOV SS, POP SS and LSS with an RPL-1, -2 or -3 selector for the ring-0 data segment:
 *    natively #GP(selector) (RPL != CPL, SDM Vol. 2, MOV). Under the classic CPU the RPL-1
 *    loads succeed: the guest kernel runs in ring 1, where RPL 1 is the CPL, and nothing
 *    traps (a Popek-Goldberg hole, docs/modes/trap-and-emulate.md): classic.expected.
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_STACK64K 0x30 /* ring-0 data, base stack16, limit 0xFFFF, B = 0 */
#define SEL_STACK4G 0x38  /* ring-0 data, base stack16, limit 4 GiB, B = 0 */
#define GDT_ENTRIES 8
#define MONITOR_GS_DATA 0xFFF1 /* bt's %gs data segment (DPL 1): past the GDT limit */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
/* The 16-bit stacks' segment: SP 0x0FF0 and, for the 4 GiB one, ESP 0x00010FF0. */
static uint8_t stack16[0x11000] __attribute__((aligned(4096)));
/* Three pages: present, not present, present. */
static uint8_t window[3 * 4096] __attribute__((aligned(4096)));

static volatile uint32_t cr2_seen;

void isr_dispatch(struct frame* f) {
  if (f->vector == 14) {
    uint32_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    cr2_seen = cr2;
  }
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

/* --- POP Sreg on a 16-bit stack --------------------------------------------------------- */

/* A fault taken on a 16-bit stack cannot run isr_dispatch (C addresses the stack with the
 * whole ESP), so these stubs take #NP, #SS, #GP and #PF during the pops: the vector and
 * error code (at [SS:SP]) are recorded, then SS:ESP and EIP put back. */
volatile uint32_t s16_vector, s16_error, s16_esp, s16_resume;
extern char s16_np[], s16_ss[], s16_gp[], s16_pf[];
__asm__(
    ".text\n"
    "s16_np: mov $11, %eax\n jmp s16_common\n"
    "s16_ss: mov $12, %eax\n jmp s16_common\n"
    "s16_gp: mov $13, %eax\n jmp s16_common\n"
    "s16_pf: mov $14, %eax\n jmp s16_common\n"
    "s16_common:\n"
    " mov $0x10, %edx\n mov %edx, %ds\n"
    " mov %eax, s16_vector\n"
    " movzwl %sp, %edx\n"
    " mov %ss:(%edx), %eax\n mov %eax, s16_error\n"
    " mov $0x10, %edx\n mov %edx, %ss\n mov s16_esp, %esp\n"
    " jmp *s16_resume\n");

/* Pops `value` (at [SS:0x0FF0]) into the register with SS = `stack`, ESP = `esp`; returns
 * the register's value after it, ESP in *esp_after, or the fault (s16_vector != 0). */
#define POP16(insn, sreg)                                                                      \
  __asm__ volatile("mov %%esp, s16_esp\n\t"                                                    \
                   "movl $1f, s16_resume\n\t"                                                  \
                   "mov %[stack], %%ss\n\t"                                                    \
                   "mov %[esp], %%esp\n\t" insn "\n\t"                                         \
                   "mov %%esp, %%eax\n\t"                                                      \
                   "xor %%edx, %%edx\n\t"                                                      \
                   "mov %%" sreg ", %%dx\n\t"                                                  \
                   "mov $0x10, %%ecx\n\t"                                                      \
                   "mov %%ecx, %%ss\n\t"                                                       \
                   "mov %%cs:s16_esp, %%esp\n\t"                                               \
                   "mov %%eax, %%ss:s16_esp\n\t"                                               \
                   "mov %%edx, %%eax\n\t"                                                      \
                   "1:\n\t"                                                                    \
                   "mov $0x10, %%edx\n\tmov %%edx, %%ds\n\tmov %%edx, %%es\n\t"                \
                   "mov %%edx, %%ss\n\txor %%edx, %%edx\n\tmov %%edx, %%fs\n\tmov %%edx, %%gs" \
                   : "=&a"(v)                                                                  \
                   : [stack] "r"((uint32_t)stack), [esp] "r"(esp)                              \
                   : "ecx", "edx", "memory", "cc")

static void pop16(const char* what, uint32_t kind, uint16_t stack, uint32_t esp, uint16_t value,
                  uint16_t decoy) {
  *(volatile uint32_t*)(stack16 + 0x0FF0) = value;
  *(volatile uint32_t*)(stack16 + 0x10FF0) = decoy;
  s16_vector = 0;
  uint32_t v = 0;
  switch (kind) {
    case 0: POP16("pop %%ds", "ds"); break;
    case 1: POP16("pop %%es", "es"); break;
    case 2: POP16("pop %%fs", "fs"); break;
    case 3: POP16("pop %%gs", "gs"); break;
    case 4: POP16("pop %%ss", "ss"); break;
    case 5: POP16("popw %%ds", "ds"); break;
    default: POP16("popw %%ss", "ss"); break;
  }
  if (kind == 4 || kind == 6) v &= 0xFFFC; /* (SS's RPL reads 1 on the classic CPU) */
  puts(what);
  puts(" -> ");
  if (s16_vector) {
    puts("vector ");
    putdec(s16_vector);
    puts(" error ");
    puthex(s16_error);
  } else {
    puthex(v);
    puts(" esp ");
    puthex(s16_esp);
  }
  putc('\n');
}

static void pops_on_16bit_stacks(void) {
  static const char* const names[] = {"pop ds ", "pop es ", "pop fs ", "pop gs ",
                                      "pop ss ", "popw ds", "popw ss"};
  uint64_t saved[4];
  for (uint32_t i = 0; i < 4; ++i) saved[i] = idt[11 + i];
  idt[11] = own_gate(SEL_KCODE, (uint32_t)s16_np, 0x8E);
  idt[12] = own_gate(SEL_KCODE, (uint32_t)s16_ss, 0x8E);
  idt[13] = own_gate(SEL_KCODE, (uint32_t)s16_gp, 0x8E);
  idt[14] = own_gate(SEL_KCODE, (uint32_t)s16_pf, 0x8E);
  for (uint32_t big = 0; big < 2; ++big) {
    const uint16_t stack = big ? SEL_STACK4G : SEL_STACK64K;
    const uint32_t esp = big ? 0x00010FF0u : 0x12340FF0u;
    puts(big ? "16-bit stack, limit 4 GiB, ESP 00010ff0 (SP 0ff0):\n"
             : "16-bit stack, limit 0xFFFF, ESP 12340ff0 (SP 0ff0):\n");
    for (uint32_t k = 0; k < 7; ++k) {
      /* SS: the stack itself; the others: the ring-3 data selector. [SS:ESP] of the
         4 GiB stack holds the kernel's data selector. */
      const uint16_t value = (k == 4 || k == 6) ? stack : SEL_UDATA;
      puts("  ");
      pop16(names[k], k, stack, esp, value, SEL_KDATA);
    }
    /* The selector of bt's %gs data at [SS:SP], a valid one at [SS:ESP]. */
    puts("  ");
    pop16("pop ds  (0xfff1)", 0, stack, esp, MONITOR_GS_DATA, SEL_KDATA);
    puts("  ");
    pop16("pop gs  (0xfff1)", 3, stack, esp, MONITOR_GS_DATA, SEL_KDATA);
    puts("  ");
    pop16("pop ss  (0xfff1)", 4, stack, esp, MONITOR_GS_DATA, stack);
  }
  for (uint32_t i = 0; i < 4; ++i) idt[11 + i] = saved[i];
}

/* --- Far pointers over a page edge -------------------------------------------------------- */

#define LXS(insn, reg)                                                                         \
  __asm__ volatile(PROBE_BEGIN "mov %%esp, %%ebx\n\t" insn " (%[p]), %%" reg "\n" PROBE_END    \
                               "mov $0x10, %%edx\n\tmov %%edx, %%ds\n\tmov %%edx, %%es\n\t"    \
                               "mov %%edx, %%ss\n\tmov %%ebx, %%esp\n\txor %%edx, %%edx\n\t"   \
                               "mov %%edx, %%fs\n\tmov %%edx, %%gs"                            \
                   :                                                                           \
                   : [p] "c"(p)                                                                \
                   : "eax", "ebx", "edx", "memory", "cc")

static void far_pointers(void) {
  static const char* const names[] = {"lds ", "les ", "lfs ", "lgs ", "lss "};
  static const struct {
    const char* what;
    uint32_t at; /* from the window's start */
    uint32_t o16;
  } cases[] = {
      {"present|absent, at -2     ", 0x1000 - 2, 0},
      {"present|absent, at -4     ", 0x1000 - 4, 0},
      {"present|absent, at -1, o16", 0x1000 - 1, 1},
      {"absent|present, at -5     ", 0x2000 - 5, 0},
      {"absent|present, at -3, o16", 0x2000 - 3, 1},
  };
  for (uint32_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    for (uint32_t k = 0; k < 5; ++k) {
      const uint32_t p = (uint32_t)window + cases[c].at;
      cr2_seen = 0;
      if (cases[c].o16) {
        switch (k) {
          case 0: LXS("lds", "ax"); break;
          case 1: LXS("les", "ax"); break;
          case 2: LXS("lfs", "ax"); break;
          case 3: LXS("lgs", "ax"); break;
          default: LXS("lss", "ax"); break;
        }
      } else {
        switch (k) {
          case 0: LXS("lds", "eax"); break;
          case 1: LXS("les", "eax"); break;
          case 2: LXS("lfs", "eax"); break;
          case 3: LXS("lgs", "eax"); break;
          default: LXS("lss", "eax"); break;
        }
      }
      puts(names[k]);
      puts(cases[c].what);
      if (probe.faulted) {
        puts(" -> vector ");
        putdec(probe.vector);
        puts(" error ");
        puthex(probe.error);
        puts(" cr2 window+");
        puthex(cr2_seen - (uint32_t)window);
      } else {
        puts(" -> no fault");
      }
      putc('\n');
    }
  }
}

/* --- Stack selectors with RPL 1-3 --------------------------------------------------------- */

static struct {
  uint32_t off;
  uint16_t sel;
} __attribute__((packed)) farptr __attribute__((used));

/* EAX: SS as it reads after the load (the load succeeded), SS put back to 0x10 after. */
#define SS_LOAD(body)                                                                 \
  __asm__ volatile(PROBE_BEGIN "mov %%esp, %%ebx\n\t" body "\n\t"                     \
                               "xor %%eax, %%eax\n\tmov %%ss, %%ax\n" PROBE_END       \
                               "mov $0x10, %%edx\n\tmov %%edx, %%ss\n\tmov %%ebx, %%esp" \
                   : "=&a"(v)                                                         \
                   : [sel] "r"(sel)                                                   \
                   : "ebx", "edx", "memory", "cc")

static void stack_rpl(void) {
  static const char* const names[] = {"mov ss", "pop ss", "lss   "};
  for (uint32_t rpl = 1; rpl <= 3; ++rpl) {
    for (uint32_t k = 0; k < 3; ++k) {
      const uint32_t sel = SEL_KDATA | rpl;
      uint32_t v = 0;
      switch (k) {
        case 0: SS_LOAD("mov %[sel], %%ss"); break;
        case 1: SS_LOAD("push %[sel]\n\tpop %%ss"); break;
        default:
          SS_LOAD("mov %%esp, farptr\n\tmovw %w[sel], farptr+4\n\tlss farptr, %%esp");
          break;
      }
      puts(names[k]);
      puts(" ");
      puthex(sel);
      probe_show(v);
      putc('\n');
    }
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[SEL_STACK64K >> 3] = own_seg_desc((uint32_t)stack16, 0xFFFF, 0x92, 0x0);
  gdt[SEL_STACK4G >> 3] = own_seg_desc((uint32_t)stack16, 0xFFFFF, 0x92, 0x8);
  /* Paging: the low 4 MiB identity-mapped, but for the window's middle page. */
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pt_low[((uint32_t)window >> 12) + 1] = 0;
  pd[0] = (uint32_t)pt_low | 3;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n"
      "or $0x80000000, %%eax\n"
      "mov %%eax, %%cr0\n" ::"r"(pd)
      : "eax", "memory");

  puts("seg_corners: pops on 16-bit stacks, far pointers over page edges, RPL of SS\n");
  pops_on_16bit_stacks();
  far_pointers();
  stack_rpl();
  puts("seg_corners: done\n");
  exit_machine(0);
}
