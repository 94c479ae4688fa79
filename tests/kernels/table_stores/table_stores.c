/*
 * The table_stores test kernel (issue 12): the stores of SGDT, SIDT, SLDT, STR, SMSW and
 * MOV from a segment register, where binary translation performs them in the TC.
 *
 * 1. SGDT and SIDT store six bytes, the limit and then the base (SDM Vol. 2B, SGDT), and
 *    the processor checks the whole destination before it writes a byte: a store that
 *    crosses into a not-present or read-only page, or past its segment's limit, faults
 *    and leaves memory as it was. Each case fills the destination with 0xEE, stores at
 *    ring 0 (CR0.WP set), prints the fault (with CR2) and then the six destination bytes
 *    ('.' untouched, 'w' written, '-' on the unmapped page), through ds, es and gs.
 *    bt wrote the first four bytes before the last two faulted.
 * 2. With a 16-bit address size ([bx], [bp+si], ...) the effective address is 16 bits
 *    (the registers' upper halves are ignored, BP+SI wraps at 64 KiB) and a BP-based
 *    form is SS-relative. DS is based at 0x1000 here and SS at 0, and every register's
 *    upper half is set: each store is compared with the same instruction's 32-bit-
 *    addressed store into a buffer (so that the values, the monitor's GDTR under the
 *    classic CPU included, are each mode's own). bt used [ebx] for [bx].
 *
 * Natively, in every mode and under QEMU the console is the same (expected.txt), with one
 * exception QEMU makes: it stores SGDT's limit before it checks the base's page, and it
 * checks no data segment limit, so with `qemu` on the command line the cases where the
 * fault falls on the base or on a segment limit are left out (the QEMU comparison).
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_LIM 0x30   /* data, base WIN + 0x4000, byte-granular limit 0xFF */
#define SEL_SHIFT 0x38 /* data, base 0x1000, limit 0xFFFF: DS for the 16-bit forms */
#define GDT_ENTRIES 8

#define WIN 0x00200000u /* WIN: RW; +1: not present; +2: RW; +3: read-only; +4, +5: RW */
#define NP (WIN + 0x1000u)
#define RO (WIN + 0x3000u)
#define LOW 0x7000u /* the 16-bit forms' stores (DS offset 0x6000, SS offset 0x7000) */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static int qemu;

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static int mapped(uint32_t lin) {
  return (lin & ~0xFFFu) != NP;
}

static void fill(uint32_t at) {
  for (uint32_t i = 0; i < 6; ++i) {
    if (mapped(at + i) && (at + i) >> 12 != RO >> 12) *(volatile uint8_t*)(at + i) = 0xEE;
  }
}

/* The outcome, CR2 after a #PF, then the six bytes at `at`. */
static void report(const char* what, uint32_t at) {
  probe_print_cr2(what, 0);
  puts(" bytes ");
  for (uint32_t i = 0; i < 6; ++i) {
    if (!mapped(at + i)) {
      putc('-');
    } else {
      putc(*(volatile uint8_t*)(at + i) == 0xEE ? '.' : 'w');
    }
  }
  putc('\n');
}

static void store_ds(int idt_form, uint32_t at) {
  fill(at);
  if (idt_form) {
    __asm__ volatile(PROBE_BEGIN "sidt (%0)" PROBE_END ::"r"(at) : "memory");
  } else {
    __asm__ volatile(PROBE_BEGIN "sgdt (%0)" PROBE_END ::"r"(at) : "memory");
  }
}

static void store_gs(int idt_form, uint16_t sel, uint32_t off) {
  if (idt_form) {
    __asm__ volatile("mov %w1, %%gs\n" PROBE_BEGIN "sidt %%gs:(%0)" PROBE_END
                     "mov %w2, %%gs" ::"r"(off),
                     "r"((uint32_t)sel), "r"((uint32_t)SEL_KDATA)
                     : "memory");
  } else {
    __asm__ volatile("mov %w1, %%gs\n" PROBE_BEGIN "sgdt %%gs:(%0)" PROBE_END
                     "mov %w2, %%gs" ::"r"(off),
                     "r"((uint32_t)sel), "r"((uint32_t)SEL_KDATA)
                     : "memory");
  }
}

static void pseudo_descriptors(void) {
  puts("table_stores: SGDT and SIDT check all six bytes before writing one\n");
  store_ds(0, NP - 1);
  report("sgdt limit across into a not-present page", NP - 1);
  store_ds(1, RO - 1);
  report("sidt limit across into a read-only page", RO - 1);
  store_ds(0, WIN + 0x5000 - 3);
  report("sgdt across two writable pages", WIN + 0x5000 - 3);
  fill(WIN + 0x10);
  store_gs(0, SEL_KDATA, NP - 1);
  report("sgdt gs: limit across into a not-present page", NP - 1);
  if (qemu) return;
  /* QEMU writes the limit before it checks the base's page, and checks no segment limit. */
  static const uint32_t back[] = {2, 3, 4, 5};
  for (unsigned i = 0; i < 4; ++i) {
    store_ds(0, NP - back[i]);
    puts("sgdt at not-present page - ");
    putdec(back[i]);
    report(":", NP - back[i]);
    store_ds(1, RO - back[i]);
    puts("sidt at read-only page - ");
    putdec(back[i]);
    report(":", RO - back[i]);
  }
  fill(NP - 4);
  store_gs(1, SEL_KDATA, NP - 4);
  report("sidt gs: at not-present page - 4", NP - 4);
  fill(RO - 2);
  store_gs(0, SEL_KDATA, RO - 2);
  report("sgdt gs: at read-only page - 2", RO - 2);
  /* ES based at WIN + 0x4000, limit 0xFF: the last bytes past it are #GP(0). */
  for (uint32_t off = 0xFA; off <= 0xFD; ++off) {
    fill(WIN + 0x4000 + off);
    __asm__ volatile("mov %w1, %%es\n" PROBE_BEGIN "sgdt %%es:(%0)" PROBE_END
                     "mov %w2, %%es" ::"r"(off),
                     "r"((uint32_t)SEL_LIM), "r"((uint32_t)SEL_KDATA)
                     : "memory");
    puts("sgdt es: at limit - ");
    putdec(0xFF - off);
    report(":", WIN + 0x4000 + off);
  }
  fill(WIN + 0x4000 + 0xFB);
  store_gs(1, SEL_LIM, 0xFB);
  report("sidt gs: at limit - 4", WIN + 0x4000 + 0xFB);
}

/* The 16-bit forms: each store's six (or two) bytes at `lin`, against `ref`. */
static void compare(const char* what, uint32_t lin, const volatile uint8_t* ref, unsigned n) {
  puts(what);
  unsigned same = 1;
  for (unsigned i = 0; i < n; ++i) same &= *(volatile uint8_t*)(lin + i) == ref[i];
  puts(same ? ": as the 32-bit form" : ": differs:");
  if (!same) {
    for (unsigned i = 0; i < n; ++i) {
      putc(' ');
      puthex(*(volatile uint8_t*)(lin + i));
    }
  }
  putc('\n');
}

static void sixteen_bit_addresses(void) {
  puts("table_stores: stores with a 16-bit address size\n");
  static volatile uint8_t ref[0x40];
  __asm__ volatile(
      "sgdt 0x00(%0)\n sidt 0x08(%0)\n sldt 0x10(%0)\n str 0x14(%0)\n smsw 0x18(%0)\n"
      "movw %%gs, 0x1C(%0)\n movw %%cs, 0x20(%0)\n movw %%ss, 0x24(%0)\n sgdt %%gs:0x28(%0)\n"
      "sidt %%gs:0x30(%0)\n" ::"r"(ref)
      : "memory");
  for (uint32_t i = 0; i < 0x80; ++i) *(volatile uint8_t*)(LOW + i) = 0xEE;
  /* DS = SEL_SHIFT (base 0x1000): DS:0x60xx is linear 0x70xx, SS:0x70xx too. */
  __asm__ volatile(
      "push %%ebp\n"
      "mov %w0, %%ds\n"
      "mov $0x12346000, %%ebx\n"
      "addr16 sgdt (%%bx)\n"                   /* DS:6000 */
      "mov $0xABCDFFF0, %%ebp\n"
      "mov $0x55557018, %%esi\n"
      "addr16 sidt (%%bp,%%si)\n"              /* SS:(FFF0 + 7018) & FFFF = SS:7008 */
      "mov $0xFFFF0010, %%edi\n"
      "addr16 sldt 0x0(%%bx,%%di)\n"           /* DS:6010 */
      "mov $0x80006014, %%esi\n"
      "addr16 str (%%si)\n"                    /* DS:6014 */
      "mov $0x7777FFF8, %%edi\n"
      "addr16 smsw 0x7030(%%bp,%%di)\n"        /* SS:(FFF0 + FFF8 + 7030) & FFFF = SS:7018 */
      "mov $0x0101001C, %%esi\n"
      "addr16 movw %%gs, 0x6000(%%si)\n"       /* DS:601C */
      "mov $0xFFFF7030, %%edi\n"
      "addr16 movw %%cs, (%%bp,%%di)\n"        /* SS:(FFF0 + 7030) & FFFF = SS:7020 */
      "mov $0x00FF0024, %%esi\n"
      "addr16 movw %%ss, (%%bx,%%si)\n"        /* DS:6024 */
      "mov $0x0FFF7028, %%ebx\n"
      "addr16 sgdt %%gs:(%%bx)\n"              /* GS (flat):7028 */
      "mov $0x70307030, %%ebp\n"
      "addr16 sidt %%ss:(%%bp)\n"              /* SS:7030 */
      "mov %w1, %%ds\n"
      "pop %%ebp\n" ::"a"((uint32_t)SEL_SHIFT),
      "d"((uint32_t)SEL_KDATA)
      : "ebx", "esi", "edi", "memory");
  compare("sgdt [bx]", LOW + 0x00, ref + 0x00, 6);
  compare("sidt [bp+si], wrapped, ss", LOW + 0x08, ref + 0x08, 6);
  compare("sldt [bx+di]", LOW + 0x10, ref + 0x10, 2);
  compare("str [si]", LOW + 0x14, ref + 0x14, 2);
  compare("smsw [bp+di+7030], wrapped, ss", LOW + 0x18, ref + 0x18, 2);
  compare("mov [si+6000], gs", LOW + 0x1C, ref + 0x1C, 2);
  compare("mov [bp+di], cs, ss", LOW + 0x20, ref + 0x20, 2);
  compare("mov [bx+si], ss", LOW + 0x24, ref + 0x24, 2);
  compare("sgdt gs:[bx]", LOW + 0x28, ref + 0x28, 6);
  compare("sidt ss:[bp]", LOW + 0x30, ref + 0x30, 6);
  unsigned stray = 0;
  for (uint32_t i = 0; i < 0x80; ++i) {
    const uint8_t b = *(volatile uint8_t*)(LOW + i);
    const int used = (i < 0x0E) || (i >= 0x10 && i < 0x16) || (i >= 0x18 && i < 0x1A) ||
                     (i >= 0x1C && i < 0x1E) || (i >= 0x20 && i < 0x22) ||
                     (i >= 0x24 && i < 0x26) || (i >= 0x28 && i < 0x2E) ||
                     (i >= 0x30 && i < 0x36);
    if (!used && b != 0xEE) ++stray;
  }
  puts("bytes written elsewhere: ");
  putdec(stray);
  putc('\n');
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  qemu = cmdline_has(mbi, "qemu");
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[SEL_LIM >> 3] = seg_desc(WIN + 0x4000, 0xFF, 0x93, 0x4);
  gdt[SEL_SHIFT >> 3] = seg_desc(0x1000, 0xFFFF, 0x93, 0x4);
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pt_low[NP >> 12] = 0;
  pd[0] = (uint32_t)pt_low | 3;
  for (uint32_t i = 0; i < 16; ++i) *(volatile uint8_t*)(RO - 8 + i) = 0xEE;
  pt_low[RO >> 12] = RO | 1; /* read-only (CR0.WP: for ring 0 too) */
  paging_on(pd);
  __asm__ volatile(
      "mov %%cr0, %%eax\n"
      "or $0x10000, %%eax\n"
      "mov %%eax, %%cr0\n" ::
          : "eax", "memory");
  pseudo_descriptors();
  sixteen_bit_addresses();
  puts("table_stores: done\n");
  exit_machine(0);
}
