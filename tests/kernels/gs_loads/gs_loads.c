/*
 * The gs_loads test kernel: loads of GS, and the system instructions with a %gs-relative
 * operand, as the processor performs them (SDM Vol. 2A/2B, POP, LDS/LES/LFS/LGS/LSS, MOV,
 * SGDT ... VERW; Vol. 3A, 3.4.3 and 3.4.5.1). bt keeps the translated kernel's %gs in its
 * own data (the real %gs is the translator's) and got these wrong:
 *  - POP GS and LGS. Every check of the load is made at the instruction: a not-present
 *    descriptor is #NP(selector), a system descriptor #GP(selector), with ESP (the pop) or
 *    the destination register (LGS) unchanged; a good descriptor gets its accessed bit in
 *    the kernel's own GDT at the load. bt popped the selector into its data and made the
 *    load at the first %gs-relative access (the fault there, the bit there), and a 16-bit
 *    POP GS moved ESP by 4. LGS with the destination as the address's base, a 16-bit LGS,
 *    and LGS, MOV GS and MOV from GS with %gs-relative operands (the last three stopped the
 *    run under bt).
 *  - SGDT, SIDT, SLDT, STR, SMSW, LGDT, LIDT, LLDT, LTR, LMSW, INVLPG, LAR, LSL, VERR and
 *    VERW with %gs-relative memory operands (the stores and loads stopped the run under
 *    bt). The stores are compared with the same instruction through DS (the classic CPU
 *    shows the monitor's GDTR, IDTR, LDTR, TR and CR0 in ring 1 both ways: a Popek-
 *    Goldberg hole); each load is shown by its effect.
 * Every line is the same natively, under QEMU and in every mode.
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_POPPED 0x30 /* data, base buf_a, A clear: loaded by POP GS */
#define SEL_LOADED 0x38 /* data, base buf_b, A clear: loaded by LGS */
#define SEL_NP 0x40     /* data, not present */
#define SEL_LDT 0x48    /* an LDT: a system descriptor, #GP in GS */
#define SEL_TSS2 0x50   /* an available TSS for LTR */
#define SEL_MOVED 0x58  /* data: base buf_a in gdt, buf_b in gdt2 */
#define SEL_GSBUF 0x60  /* data, base gsbuf: the %gs of the system instructions */
#define SEL_U3 0x6B     /* DPL-3 data, base buf_a, limit 0xFFF (RPL 3) */
#define GDT_ENTRIES 14
#define MONITOR_GS_DATA 0xFFF1 /* bt's %gs data segment (DPL 1): past the GDT limit */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t gdt2[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static uint64_t idt2[256] __attribute__((aligned(8)));
static uint64_t ldt[1] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static struct tss32 tss2 __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t page_x[1024] __attribute__((aligned(4096)));
static uint32_t page_y[1024] __attribute__((aligned(4096)));
static uint8_t gsbuf[4096] __attribute__((aligned(4096)));

static uint32_t buf_a[4] = {0xAAAA0001u, 0xAAAA0002u, 0xAAAA0003u, 0xAAAA0004u};
static uint32_t buf_b[4] = {0xBBBB0001u, 0xBBBB0002u, 0xBBBB0003u, 0xBBBB0004u};
static uint32_t buf_c[4] = {0xCCCC0001u, 0xCCCC0002u, 0xCCCC0003u, 0xCCCC0004u};

/* A linear address the invlpg check remaps (page_x, then page_y). */
#define REMAPPED 0x00300000u

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) tabr;

static void load_gdt(uint64_t* table) {
  tabr.limit = GDT_ENTRIES * 8 - 1;
  tabr.base = (uint32_t)table;
  __asm__ volatile("lgdt %0" ::"m"(tabr) : "memory");
}

static uint32_t type_byte(uint32_t sel) {
  return (uint32_t)(((volatile uint64_t*)gdt)[sel >> 3] >> 40) & 0xFF;
}

static void set_gs(uint32_t sel) {
  __asm__ volatile("mov %0, %%gs" ::"r"(sel) : "memory");
}

static uint32_t read_gs(uint32_t off) {
  uint32_t v;
  __asm__ volatile("mov %%gs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
  return v;
}

static uint32_t gs_selector(void) {
  uint32_t v = 0;
  __asm__ volatile("mov %%gs, %0" : "=r"(v));
  return v & 0xFFFF;
}

/* Prints the probe's outcome (the value, or the fault) and what `what2` names. */
static void show(const char* what, uint32_t value, const char* what2, uint32_t value2) {
  puts(what);
  probe_show(value);
  puts(what2);
  puthex(value2);
  putc('\n');
}

/* --- POP GS ------------------------------------------------------------------------------ */

/* push sel; pop gs (popw with `word`): how far ESP moved over both (0 when the pop was
 * made, the push's size when it faulted). */
static uint32_t pop_gs(uint32_t sel, int word) {
  uint32_t before, after;
  if (word) {
    __asm__ volatile("mov %%esp, %[b]\n pushw %w[s]\n" PROBE_BEGIN "popw %%gs" PROBE_END
                     "mov %%esp, %[a]\n mov %[b], %%esp"
                     : [b] "=&r"(before), [a] "=&r"(after)
                     : [s] "r"(sel)
                     : "memory");
  } else {
    __asm__ volatile("mov %%esp, %[b]\n push %[s]\n" PROBE_BEGIN "pop %%gs" PROBE_END
                     "mov %%esp, %[a]\n mov %[b], %%esp"
                     : [b] "=&r"(before), [a] "=&r"(after)
                     : [s] "r"(sel)
                     : "memory");
  }
  return before - after;
}

static void pops(void) {
  puts("POP GS:\n");
  set_gs(SEL_KDATA);
  uint32_t moved = pop_gs(SEL_NP, 0);
  show("  not-present descriptor", gs_selector(), " esp moved by ", moved);
  set_gs(SEL_KDATA);
  moved = pop_gs(SEL_LDT, 0);
  show("  system descriptor", gs_selector(), " esp moved by ", moved);
  set_gs(SEL_KDATA);
  moved = pop_gs(MONITOR_GS_DATA, 0);
  show("  selector past the GDT limit", gs_selector(), " esp moved by ", moved);
  set_gs(SEL_KDATA);
  const uint32_t before = type_byte(SEL_POPPED);
  moved = pop_gs(SEL_POPPED, 0);
  const uint32_t after = type_byte(SEL_POPPED); /* before any %gs-relative access */
  show("  accessed bit clear", gs_selector(), " type byte after the pop ", after);
  puts("    (before ");
  puthex(before);
  puts(") gs:4 ");
  puthex(read_gs(4));
  puts(" esp moved by ");
  puthex(moved);
  putc('\n');
  /* What the pop leaves below ESP: the selector, as pushed. */
  uint32_t below;
  __asm__ volatile("push %1\n pop %%gs\n mov -4(%%esp), %0" : "=r"(below) : "r"(SEL_KDATA) : "memory");
  puts("  [esp-4] after the pop ");
  puthex(below);
  putc('\n');
  set_gs(SEL_KDATA);
  moved = pop_gs(SEL_POPPED, 1);
  show("  16-bit pop", gs_selector(), " esp moved by ", moved);
  set_gs(SEL_KDATA);
  moved = pop_gs(SEL_NP, 1);
  show("  16-bit pop, not present", gs_selector(), " esp moved by ", moved);
  set_gs(SEL_KDATA);
}

/* --- LGS ---------------------------------------------------------------------------------- */

static struct {
  uint32_t offset;
  uint16_t selector;
} __attribute__((packed)) far32;
static struct {
  uint16_t offset;
  uint16_t selector;
} __attribute__((packed)) far16;

/* lgs eax, [eax] with EAX = &far32: EAX after it (&far32 when it faulted). */
static uint32_t lgs_self(uint32_t sel, uint32_t offset) {
  far32.offset = offset;
  far32.selector = (uint16_t)sel;
  uint32_t r = (uint32_t)&far32;
  __asm__ volatile(PROBE_BEGIN "lgs (%0), %0" PROBE_END : "+a"(r) : : "memory");
  return r;
}

static void lgs(void) {
  puts("LGS:\n");
  const uint32_t at = (uint32_t)&far32;
  set_gs(SEL_KDATA);
  uint32_t r = lgs_self(SEL_NP, 0x1234);
  show("  not-present descriptor", gs_selector(), " eax - &pointer ", r - at);
  set_gs(SEL_KDATA);
  r = lgs_self(SEL_LDT, 0x1234);
  show("  system descriptor", gs_selector(), " eax - &pointer ", r - at);
  set_gs(SEL_KDATA);
  r = lgs_self(MONITOR_GS_DATA, 0x1234);
  show("  selector past the GDT limit", gs_selector(), " eax - &pointer ", r - at);
  set_gs(SEL_KDATA);
  const uint32_t before = type_byte(SEL_LOADED);
  r = lgs_self(SEL_LOADED, 0x1234);
  const uint32_t after = type_byte(SEL_LOADED);
  show("  lgs eax, [eax], accessed bit clear", r, " type byte after the load ", after);
  puts("    (before ");
  puthex(before);
  puts(") gs ");
  puthex(gs_selector());
  puts(" gs:4 ");
  puthex(read_gs(4));
  putc('\n');
  /* 16-bit operand size: m16:16, the offset into AX (EAX's upper half kept). */
  far16.offset = 0x5678;
  far16.selector = SEL_POPPED;
  set_gs(SEL_KDATA);
  uint32_t v = 0xFFFF0000u;
  __asm__ volatile(PROBE_BEGIN "lgsw (%1), %w0" PROBE_END : "+a"(v) : "r"(&far16) : "memory");
  show("  16-bit lgs", v, " gs:4 ", read_gs(4));
  far16.selector = SEL_NP;
  v = 0xFFFF0000u;
  __asm__ volatile(PROBE_BEGIN "lgsw (%1), %w0" PROBE_END : "+a"(v) : "r"(&far16) : "memory");
  show("  16-bit lgs, not present", v, " gs ", gs_selector());

  /* %gs-relative operands: the far pointer, the selector and the store in gsbuf. */
  set_gs(SEL_GSBUF);
  *(volatile uint32_t*)(gsbuf + 0x40) = 0x9ABC;
  *(volatile uint16_t*)(gsbuf + 0x44) = SEL_LOADED;
  v = 0;
  __asm__ volatile(PROBE_BEGIN "lgs %%gs:0x40, %0" PROBE_END : "+r"(v) : : "memory");
  show("  lgs eax, gs:[0x40]", v, " gs:4 ", read_gs(4));
  set_gs(SEL_GSBUF);
  *(volatile uint16_t*)(gsbuf + 0x48) = SEL_POPPED;
  __asm__ volatile(PROBE_BEGIN "mov %%gs:0x48, %%gs" PROBE_END ::: "memory");
  show("  mov gs, gs:[0x48]", gs_selector(), " gs:4 ", read_gs(4));
  set_gs(SEL_GSBUF);
  *(volatile uint16_t*)(gsbuf + 0x48) = SEL_NP;
  __asm__ volatile(PROBE_BEGIN "mov %%gs:0x48, %%gs" PROBE_END ::: "memory");
  show("  mov gs, gs:[0x48], not present", gs_selector(), " gs:0x48 ", read_gs(0x48) & 0xFFFF);
  *(volatile uint32_t*)(gsbuf + 0x4C) = 0xFFFFFFFFu;
  __asm__ volatile(PROBE_BEGIN "mov %%gs, %%gs:0x4C" PROBE_END ::: "memory");
  show("  mov gs:[0x4c], gs", 0, " gs:0x4c ", read_gs(0x4C));
  __asm__ volatile(PROBE_BEGIN "mov %%cs, %%gs:0x4C\n mov %%ss, %%gs:0x4E" PROBE_END ::: "memory");
  /* (The RPLs masked: the classic CPU shows ring 1's.) */
  show("  mov gs:[0x4c], cs and gs:[0x4e], ss", 0, " gs:0x4c ", read_gs(0x4C) & ~0x00030003u);
  set_gs(SEL_KDATA);
}

/* --- System instructions with %gs-relative operands ------------------------------------- */

static uint8_t via_ds[64];

static int same(const volatile uint8_t* a, const uint8_t* b, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return 0;
  }
  return 1;
}

static void stores(void) {
  puts("stores through gs:\n");
  for (uint32_t i = 0; i < 0x40; ++i) gsbuf[i] = 0xEE;
  for (uint32_t i = 0; i < sizeof via_ds; ++i) via_ds[i] = 0xEE;
  set_gs(SEL_GSBUF);
  __asm__ volatile(PROBE_BEGIN
                   "sgdt %%gs:0x00\n sidt %%gs:0x08\n sldt %%gs:0x10\n str %%gs:0x14\n"
                   "smsw %%gs:0x18" PROBE_END ::
                       : "memory");
  probe_show(0);
  putc('\n');
  __asm__ volatile("sgdt 0x00(%0)\n sidt 0x08(%0)\n sldt 0x10(%0)\n str 0x14(%0)\n smsw 0x18(%0)" ::"r"(
                       via_ds)
                   : "memory");
  const volatile uint8_t* g = gsbuf;
  puts("  sgdt as through ds ");
  putdec(same(g, via_ds, 6));
  puts(", sidt ");
  putdec(same(g + 8, via_ds + 8, 6));
  puts(", sldt ");
  putdec(same(g + 0x10, via_ds + 0x10, 2));
  puts(", str ");
  putdec(same(g + 0x14, via_ds + 0x14, 2));
  puts(", smsw ");
  putdec(same(g + 0x18, via_ds + 0x18, 2));
  puts("; bytes past them kept ");
  putdec(g[6] == 0xEE && g[0x0E] == 0xEE && g[0x12] == 0xEE && g[0x16] == 0xEE && g[0x1A] == 0xEE);
  putc('\n');
  set_gs(SEL_KDATA);
}

static uint32_t read_fs(void) {
  uint32_t v;
  __asm__ volatile("mov %%fs:4, %0" : "=r"(v) : : "memory");
  return v;
}

static void loads(void) {
  puts("loads through gs:\n");
  set_gs(SEL_GSBUF);
  volatile uint8_t* g = gsbuf;
  /* LGDT of gdt2, whose SEL_MOVED has the other base. */
  for (uint32_t i = 0; i < GDT_ENTRIES; ++i) gdt2[i] = gdt[i];
  gdt2[SEL_MOVED >> 3] = seg_desc((uint32_t)buf_b, 0xFFF, 0x93, 0x4);
  *(volatile uint16_t*)(g + 0x20) = GDT_ENTRIES * 8 - 1;
  *(volatile uint32_t*)(g + 0x22) = (uint32_t)gdt2;
  __asm__ volatile(PROBE_BEGIN "lgdt %%gs:0x20\n mov %0, %%fs" PROBE_END ::"r"(SEL_MOVED)
                   : "memory");
  show("  lgdt gs:[0x20]", 0, " fs:4 ", read_fs());
  load_gdt(gdt);
  __asm__ volatile("mov %0, %%fs" ::"r"(SEL_MOVED) : "memory");
  puts("    again through ds: fs:4 ");
  puthex(read_fs());
  putc('\n');

  /* LIDT of idt2, whose #GP gate is the #NP stub: a #GP then reports vector 11. */
  for (uint32_t i = 0; i < 256; ++i) idt2[i] = idt[i];
  idt2[13] = idt[11];
  *(volatile uint16_t*)(g + 0x28) = sizeof idt2 - 1;
  *(volatile uint32_t*)(g + 0x2A) = (uint32_t)idt2;
  __asm__ volatile(PROBE_BEGIN "lidt %%gs:0x28\n mov %0, %%ds" PROBE_END ::"r"(SEL_LDT)
                   : "memory");
  __asm__ volatile("mov %0, %%ds" ::"r"(SEL_KDATA) : "memory");
  tabr.limit = sizeof idt - 1;
  tabr.base = (uint32_t)idt;
  __asm__ volatile("lidt %0" ::"m"(tabr) : "memory");
  puts("  lidt gs:[0x28], then a #GP:");
  probe_show(0);
  putc('\n');

  /* LLDT of SEL_LDT, whose entry 0 is buf_c's. */
  *(volatile uint16_t*)(g + 0x30) = SEL_LDT;
  __asm__ volatile(PROBE_BEGIN "lldt %%gs:0x30\n mov %0, %%fs" PROBE_END ::"r"(0x04)
                   : "memory");
  show("  lldt gs:[0x30]", 0, " fs:4 through the LDT ", read_fs());
  __asm__ volatile("mov %0, %%fs\n lldt %w1" ::"r"(SEL_KDATA), "r"(0) : "memory");

  /* LTR of SEL_TSS2: its descriptor becomes busy. */
  *(volatile uint16_t*)(g + 0x34) = SEL_TSS2;
  const uint32_t tss_before = type_byte(SEL_TSS2);
  __asm__ volatile(PROBE_BEGIN "ltr %%gs:0x34" PROBE_END ::: "memory");
  show("  ltr gs:[0x34]", 0, " type byte ", type_byte(SEL_TSS2));
  puts("    (before ");
  puthex(tss_before);
  puts(")\n");

  /* LMSW: CR0.TS set from gs:[0x38], then cleared again. */
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  *(volatile uint16_t*)(g + 0x38) = (uint16_t)((cr0 & 0xFFFF) | 8);
  __asm__ volatile(PROBE_BEGIN "lmsw %%gs:0x38" PROBE_END ::: "memory");
  uint32_t cr0_after;
  __asm__ volatile("mov %%cr0, %0\n clts" : "=r"(cr0_after) : : "memory");
  show("  lmsw gs:[0x38]", 0, " cr0.ts ", (cr0_after >> 3) & 1);

  /* INVLPG: REMAPPED read (through page_x), its PTE moved to page_y, INVLPG through a
   * flat %gs: the read then sees page_y. */
  page_x[1] = 0x11110001u;
  page_y[1] = 0x22220001u;
  pt_low[REMAPPED >> 12] = (uint32_t)page_x | 3;
  __asm__ volatile("mov %%cr3, %%eax\n mov %%eax, %%cr3" ::: "eax", "memory");
  const uint32_t first = *(volatile uint32_t*)(REMAPPED + 4);
  pt_low[REMAPPED >> 12] = (uint32_t)page_y | 3;
  set_gs(SEL_KDATA);
  __asm__ volatile(PROBE_BEGIN "invlpg %%gs:(%0)" PROBE_END ::"r"(REMAPPED) : "memory");
  show("  invlpg gs:[page]", first, " then ", *(volatile uint32_t*)(REMAPPED + 4));
  set_gs(SEL_KDATA);
}

static void descriptor_reads(void) {
  puts("descriptor reads through gs:\n");
  set_gs(SEL_GSBUF);
  volatile uint8_t* g = gsbuf;
  const uint16_t sels[] = {SEL_U3, SEL_POPPED, MONITOR_GS_DATA};
  for (uint32_t i = 0; i < 3; ++i) {
    *(volatile uint16_t*)(g + 0x50) = sels[i];
    uint32_t ar = 0x5A5A5A5Au, limit = 0x5A5A5A5Au, zf_lar, zf_lsl, zf_verr, zf_verw;
    __asm__ volatile(
        "lar %%gs:0x50, %0\n setz %b2\n"
        "lsl %%gs:0x50, %1\n setz %b3\n"
        "verr %%gs:0x50\n setz %b4\n"
        "verw %%gs:0x50\n setz %b5\n"
        : "+r"(ar), "+r"(limit), "=&q"(zf_lar), "=&q"(zf_lsl), "=&q"(zf_verr), "=&q"(zf_verw)
        :
        : "memory", "cc");
    puts("  ");
    puthex(sels[i]);
    /* LAR shows DPL 1 for a compressed DPL-0 descriptor on the classic CPU: DPL 3 only. */
    puts(" lar ");
    puthex(sels[i] == SEL_U3 ? ar & 0x00F0FE00u : 0);
    puts(" zf ");
    putdec(zf_lar & 1);
    puts(" lsl ");
    puthex(sels[i] != MONITOR_GS_DATA ? limit : 0);
    puts(" zf ");
    putdec(zf_lsl & 1);
    puts(" verr zf ");
    putdec(zf_verr & 1);
    puts(" verw zf ");
    putdec(zf_verw & 1);
    putc('\n');
  }
  set_gs(SEL_KDATA);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[SEL_POPPED >> 3] = seg_desc((uint32_t)buf_a, 0xFFF, 0x92, 0x4);
  gdt[SEL_LOADED >> 3] = seg_desc((uint32_t)buf_b, 0xFFF, 0x92, 0x4);
  gdt[SEL_NP >> 3] = seg_desc((uint32_t)buf_a, 0xFFF, 0x12, 0x4);
  ldt[0] = seg_desc((uint32_t)buf_c, 0xFFF, 0x93, 0x4);
  gdt[SEL_LDT >> 3] = seg_desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0x0);
  tss2 = tss;
  gdt[SEL_TSS2 >> 3] = seg_desc((uint32_t)&tss2, sizeof tss2 - 1, 0x89, 0x0);
  gdt[SEL_MOVED >> 3] = seg_desc((uint32_t)buf_a, 0xFFF, 0x93, 0x4);
  gdt[SEL_GSBUF >> 3] = seg_desc((uint32_t)gsbuf, 0xFFF, 0x93, 0x4);
  gdt[SEL_U3 >> 3] = seg_desc((uint32_t)buf_a, 0xFFF, 0xF3, 0x4);
  /* Paging: the low 4 MiB identity-mapped (REMAPPED moved by the INVLPG check). */
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pd[0] = (uint32_t)pt_low | 3;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n"
      "or $0x80000000, %%eax\n"
      "mov %%eax, %%cr0\n" ::"r"(pd)
      : "eax", "memory");

  puts("gs_loads: POP GS, LGS and the system instructions through gs\n");
  pops();
  lgs();
  stores();
  loads();
  descriptor_reads();
  puts("gs_loads: done\n");
  exit_machine(0);
}
