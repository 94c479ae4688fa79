/*
 * The monitor-pages kernel (issue 12, item 12): every kind of page the monitor keeps in
 * its hypervisor hole under ring compression (trap on the classic CPU, bt) is the guest's
 * own linear address as well. The monitor's GDT (0xFC000000-0xFC00FFFF, its own TSS
 * descriptor in the last slot), its TSS (0xFC010000), its IDT (0xFC011000), its shadow LDT
 * (0xFC020000, once the guest has run LLDT), binary translation's data and lookup hash
 * (0xFC040000, 0xFC080000) and translation cache (0xFC100000-0xFC2FFFFF), and the rest of
 * the hole (0xFC3FF000, 0xFC400000, 0xFFFF0000): the kernel maps one page of its own at
 * each and reads and writes there, moves a block across the TSS/IDT boundary, pushes and
 * pops with ESP in the GDT page, and reads an unmapped IDT-page address (its own #PF).
 * Afterwards the monitor's tables must be intact: segment loads, an INT 0x40 through the IDT
 * and a far call through its LDT still work. The console is the native one in every mode.
 */
#include "probe.h"

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_hole[1024] __attribute__((aligned(4096)));  /* 0xFC000000-0xFC3FFFFF */
static uint32_t pt_hole2[1024] __attribute__((aligned(4096))); /* 0xFC400000-0xFC7FFFFF */
static uint32_t pt_top[1024] __attribute__((aligned(4096)));   /* 0xFFC00000-0xFFFFFFFF */
static uint32_t page[1024] __attribute__((aligned(4096)));     /* aliased at every address */
static uint32_t page2[1024] __attribute__((aligned(4096)));    /* at 0xFC011000 (IDT) */
static uint64_t gdt2[8] __attribute__((aligned(8)));
static uint64_t ldt[2] __attribute__((aligned(8)));

static volatile uint32_t breakpoints;

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x40) {
    ++breakpoints;
    return;
  }
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

/* A bigger GDT with an LDT descriptor (selector 0x30), and LLDT: the monitor now keeps a
 * shadow LDT in the hole too. The LDT holds two flat ring-0 data segments (selectors 0x04
 * and 0x0C). */
static void load_ldt(void) {
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } gdtr;
  const uint64_t* old = klib_gdt();
  for (uint32_t i = 0; i < 6; ++i) gdt2[i] = old[i];
  ldt[0] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  ldt[1] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt2[6] = seg_desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0x0);
  gdtr.limit = sizeof gdt2 - 1;
  gdtr.base = (uint32_t)gdt2;
  __asm__ volatile(
      "lgdt %0\n"
      "lldt %w1\n" ::"m"(gdtr),
      "r"(0x30)
      : "memory");
}

/* The monitor's tables still work: DS through the GDT and the LDT, an INT 0x40 through the
 * IDT, and a read of the kernel's own data through the LDT segment. */
static void tables_intact(const char* when) {
  uint32_t v = 0;
  breakpoints = 0;
  __asm__ volatile(
      "movw $0x0C, %%ax\n"
      "movw %%ax, %%fs\n"
      "movl %%fs:(%1), %0\n"
      "movw $0x10, %%ax\n"
      "movw %%ax, %%ds\n"
      "movw %%ax, %%fs\n"
      "int $0x40\n"
      : "=r"(v)
      : "r"(&page[5])
      : "eax", "memory");
  puts(when);
  puts(": ldt read -> ");
  puthex(v);
  puts(", int 0x40 -> ");
  putdec(breakpoints);
  putc('\n');
}

struct place {
  const char* name;
  uint32_t linear;
};

static const struct place places[] = {
    {"monitor GDT first page   0xFC000010", 0xFC000010},
    {"monitor GDT its TSS slot 0xFC00FFF8", 0xFC00FFF8},
    {"monitor TSS              0xFC010004", 0xFC010004},
    {"monitor IDT              0xFC011018", 0xFC011018},
    {"monitor shadow LDT       0xFC020008", 0xFC020008},
    {"bt data                  0xFC040020", 0xFC040020},
    {"bt lookup hash           0xFC080040", 0xFC080040},
    {"bt translation cache     0xFC100100", 0xFC100100},
    {"bt translation cache end 0xFC2FFFFC", 0xFC2FFFFC},
    {"hole page table's last   0xFC3FF080", 0xFC3FF080},
    {"above the monitor's 4 MiB 0xFC400000", 0xFC400000},
    {"near 4 GiB               0xFFFF0010", 0xFFFF0010},
};

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  load_ldt();

  puts("paging off\n");
  probe_write(0xFC000010, 0x55AA55AA);
  probe_print_cr2("write 0xFC000010", 0x55AA55AA);
  probe_print_cr2("read  0xFC000010", probe_read(0xFC000010));
  probe_print_cr2("read  0xFC011018", probe_read(0xFC011018));
  probe_print_cr2("push/pop esp 0xFC010010", probe_push_pop(0xFC010010, 0x12345678));
  tables_intact("after paging off");

  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pd[0] = (uint32_t)pt_low | 3;
  pd[0xFC000000u >> 22] = (uint32_t)pt_hole | 3;
  pd[0xFC400000u >> 22] = (uint32_t)pt_hole2 | 3;
  pd[0xFFC00000u >> 22] = (uint32_t)pt_top | 3;
  for (uint32_t i = 0; i < sizeof places / sizeof places[0]; ++i) {
    const uint32_t lin = places[i].linear;
    uint32_t* pt = lin >= 0xFFC00000u ? pt_top : lin >= 0xFC400000u ? pt_hole2 : pt_hole;
    if (lin >> 12 != 0xFC011u) pt[(lin >> 12) & 1023] = (uint32_t)page | 3;
  }
  paging_on(pd);
  puts("paging on\n");
  page[5] = 0x5EC0DA7A;
  /* The IDT page is not mapped yet: the guest's own #PF. */
  probe_print_cr2("read  0xFC011018 unmapped", probe_read(0xFC011018));
  pt_hole[0x11] = (uint32_t)page2 | 3;
  __asm__ volatile("invlpg (%0)" ::"r"(0xFC011000u) : "memory");
  for (uint32_t i = 0; i < sizeof places / sizeof places[0]; ++i) {
    const uint32_t lin = places[i].linear;
    const uint32_t value = 0xA0000000u + lin / 4;
    probe_write(lin, value);
    if (probe.faulted) {
      probe_print_cr2(places[i].name, 0);
      continue;
    }
    const uint32_t back = probe_read(lin);
    if (probe.faulted) {
      probe_print_cr2(places[i].name, 0);
      continue;
    }
    puts(places[i].name);
    puts(" -> ");
    puthex(back);
    puts(back == value ? " (the guest's page: " : " (NOT the guest's page: ");
    puthex(lin == 0xFC011018 ? page2[(lin & 0xFFF) / 4] : page[(lin & 0xFFF) / 4]);
    puts(")\n");
  }
  probe_print_cr2("push/pop esp 0xFC001000", probe_push_pop(0xFC001000, 0xCAFEBABE));
  probe_print_cr2("page [1023]", page[1023]);
  for (uint32_t i = 0; i < 8; ++i) page[i] = 0x01010101u * (i + 1);
  probe_rep_movsd(0xFC010FF0, (uint32_t)&page[0], 8); /* across the TSS/IDT page boundary */
  probe_print_cr2("rep movsd across the TSS/IDT pages, page2 [3]", page2[3]);
  probe_print_cr2("rep movsd across the TSS/IDT pages, page [1022]", page[1022]);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < 1024; ++i) sum = sum * 31 + page[i] + page2[i];
  probe_print_cr2("checksum of the two pages", sum);
  tables_intact("after paging on");
  puts("done\n");
  exit_machine(0);
}
