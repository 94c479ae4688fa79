/*
 * The seg_cache test kernel (issue 12): segment descriptor caches as the processor keeps
 * them, which ring compression (trap on the classic CPU) and bt got wrong.
 *  - The accessed bit. A segment load whose descriptor has the accessed bit (type bit 0)
 *    clear sets it in the descriptor in memory (SDM Vol. 3A, 3.4.5.1), once the load's
 *    checks have passed: DS, ES, FS, GS and SS from five descriptors that have it clear, an
 *    LDT entry; a descriptor never loaded and one whose load faults (#GP) keep it clear.
 *    The set is a supervisor write through the paging structures: with the GDT's page
 *    read-only and CR0.WP set it is a #PF (error 3) at the descriptor, with WP clear it
 *    is made. Under ring compression the processor loads from the monitor's shadow GDT,
 *    so the bit landed there and the guest's own stayed clear.
 *  - The cache. A segment register keeps the descriptor it was loaded with whatever the
 *    kernel writes into its GDT meanwhile (SDM Vol. 3A, 3.4.3): DS, FS and GS loaded,
 *    their descriptors' bases moved (a store to the GDT, then also an LGDT of a table
 *    that has the new base), read through the old base until they are loaded again. bt
 *    reloaded its virtual %gs from the shadow GDT at each use and read the new base. A
 *    flat DS reads a page mapped in the monitors' hypervisor hole before and after its
 *    slot is rewritten (the monitor executes those accesses with the loaded descriptor's
 *    limit; it took the slot's new one and gave #GP).
 * Every line is the same natively, under QEMU and in every mode.
 */
#include "klib.h"
#include "probe.h"

#define SEL_CODE 0x08 /* = SEL_KCODE, accessed already */
#define SEL_DATA 0x10 /* = SEL_KDATA: SS */
#define SEL_DS 0x18
#define SEL_ES 0x20
#define SEL_FS 0x28
#define SEL_GS 0x30
#define SEL_LDT 0x38
#define SEL_IDLE 0x40   /* never loaded */
#define SEL_USER 0x48 /* DPL 3: its load into SS at CPL 0 is #GP */
#define SEL_RO 0x50     /* loaded with the GDT's page read-only */
#define SEL_CACHE 0x58  /* the cache checks' segment: base buf_a, then buf_b */
#define GDT_ENTRIES 12
#define LDT_SEL(i) (((i) << 3) | 4)

/* The GDT on a page of its own (paging makes it read-only for one check). */
static uint64_t gdt[512] __attribute__((aligned(4096)));
static uint64_t gdt2[GDT_ENTRIES] __attribute__((aligned(8))); /* LGDT's second table */
static uint64_t ldt[2] __attribute__((aligned(8)));
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_table0[1024] __attribute__((aligned(4096)));
/* A page the kernel maps at 0xFF000000, in the monitors' hypervisor hole. */
#define HOLE_LINEAR 0xFF000000u
static uint32_t page_table_hole[1024] __attribute__((aligned(4096)));
static uint32_t hole_page[1024] __attribute__((aligned(4096)));

static uint32_t buf_a[4] = {0xAAAA0001u, 0xAAAA0002u, 0xAAAA0003u, 0xAAAA0004u};
static uint32_t buf_b[4] = {0xBBBB0001u, 0xBBBB0002u, 0xBBBB0003u, 0xBBBB0004u};

static volatile uint32_t cr2_seen;
/* The DS check's values, reached through ES while DS is the segment under test. */
volatile uint32_t ds_new_lo, ds_new_hi, ds_before, ds_after, ds_again;

void isr_dispatch(struct frame* f) {
  if (f->vector == 14) {
    uint32_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    cr2_seen = cr2;
  }
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) gdtr;

static void load_gdt(uint64_t* table) {
  gdtr.limit = GDT_ENTRIES * 8 - 1;
  gdtr.base = (uint32_t)table;
  __asm__ volatile("lgdt %0" ::"m"(gdtr) : "memory");
}

static void show_type(const char* what, uint64_t desc) {
  puts(what);
  puts(" type byte ");
  puthex((uint32_t)(desc >> 40) & 0xFF);
  putc('\n');
}

static void show_types(const char* when) {
  puts("types ");
  puts(when);
  puts(":\n");
  show_type("  ds ", gdt[SEL_DS >> 3]);
  show_type("  es ", gdt[SEL_ES >> 3]);
  show_type("  fs ", gdt[SEL_FS >> 3]);
  show_type("  gs ", gdt[SEL_GS >> 3]);
  show_type("  ss ", gdt[SEL_DATA >> 3]);
  show_type("  ldt entry 0", ldt[0]);
  show_type("  never loaded", gdt[SEL_IDLE >> 3]);
  show_type("  loaded into SS with DPL 3", gdt[SEL_USER >> 3]);
}

/* --- The accessed bit ----------------------------------------------------------------- */

static void accessed_bits(void) {
  show_types("before the loads");
  __asm__ volatile(
      "mov %0, %%ds\n mov %1, %%es\n mov %2, %%fs\n mov %3, %%gs\n mov %4, %%ss\n"
      "mov %5, %%ax\n mov %%ax, %%fs\n" ::"r"(SEL_DS),
      "r"(SEL_ES), "r"(SEL_FS), "r"(SEL_GS), "r"(SEL_DATA), "i"(LDT_SEL(0))
      : "eax", "memory");
  __asm__ volatile(PROBE_BEGIN "mov %0, %%ss" PROBE_END ::"r"(SEL_USER) : "memory");
  puts("load of SS with the DPL-3 descriptor:");
  probe_show(0);
  putc('\n');
  __asm__ volatile("mov %0, %%es\n mov %0, %%fs\n mov %0, %%gs" ::"r"(SEL_DATA) : "memory");
  show_types("after them");
}

static void accessed_bit_on_a_read_only_page(void) {
  /* The GDT's page read-only, CR0.WP set: the load's write of the bit is a #PF. */
  page_table0[(uint32_t)gdt >> 12] &= ~2u;
  __asm__ volatile("mov %%cr3, %%eax\n mov %%eax, %%cr3" ::: "eax", "memory");
  cr2_seen = 0;
  __asm__ volatile(PROBE_BEGIN "mov %0, %%ds" PROBE_END ::"r"(SEL_RO) : "memory");
  __asm__ volatile("mov %0, %%ds" ::"r"(SEL_DATA) : "memory");
  puts("GDT page read-only, WP set: load");
  probe_show(0);
  puts(" at gdt+");
  puthex((cr2_seen & ~7u) - (uint32_t)gdt);
  putc('\n');
  show_type("  its", gdt[SEL_RO >> 3]);
  /* WP clear: the supervisor write is made whatever the page's R/W (SDM Vol. 3A, 4.6). */
  __asm__ volatile(
      "mov %%cr0, %%eax\n and $0xFFFEFFFF, %%eax\n mov %%eax, %%cr0\n" ::: "eax", "memory");
  __asm__ volatile(PROBE_BEGIN "mov %0, %%es" PROBE_END ::"r"(SEL_RO) : "memory");
  __asm__ volatile("mov %0, %%es" ::"r"(SEL_DATA) : "memory");
  puts("GDT page read-only, WP clear: load");
  probe_show(0);
  putc('\n');
  show_type("  its", gdt[SEL_RO >> 3]);
  __asm__ volatile(
      "mov %%cr0, %%eax\n or $0x10000, %%eax\n mov %%eax, %%cr0\n" ::: "eax", "memory");
  page_table0[(uint32_t)gdt >> 12] |= 2u;
  __asm__ volatile("mov %%cr3, %%eax\n mov %%eax, %%cr3" ::: "eax", "memory");
}

/* --- The cache ------------------------------------------------------------------------- */

static uint64_t cache_desc(const uint32_t* base) {
  return seg_desc((uint32_t)base, 15, 0x93, 0x4);
}

/* Moves SEL_CACHE's base to buf_b with two 32-bit stores into the GDT. */
static void move_base(void) {
  const uint64_t d = cache_desc(buf_b);
  volatile uint32_t* slot = (volatile uint32_t*)&gdt[SEL_CACHE >> 3];
  slot[0] = (uint32_t)d;
  slot[1] = (uint32_t)(d >> 32);
}

static void show_value(const char* what, uint32_t v) {
  puts(what);
  puts(" -> ");
  puthex(v);
  putc('\n');
}

static uint32_t read_gs(void) {
  uint32_t v;
  __asm__ volatile("mov %%gs:4, %0" : "=r"(v));
  return v;
}

static uint32_t read_fs(void) {
  uint32_t v;
  __asm__ volatile("mov %%fs:4, %0" : "=r"(v));
  return v;
}

static void caches(void) {
  gdt[SEL_CACHE >> 3] = cache_desc(buf_a);
  __asm__ volatile("mov %0, %%gs\n mov %0, %%fs" ::"r"(SEL_CACHE) : "memory");
  show_value("gs:4 loaded", read_gs());
  move_base();
  show_value("gs:4 after its descriptor's base moved", read_gs());
  show_value("fs:4 after its descriptor's base moved", read_fs());
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0)); /* a privileged instruction: the monitor */
  show_value("gs:4 after a mov from cr0", read_gs());
  __asm__ volatile("mov %0, %%gs" ::"r"(SEL_CACHE) : "memory");
  show_value("gs:4 loaded again", read_gs());
  show_value("fs:4 still", read_fs());
  __asm__ volatile("mov %0, %%fs" ::"r"(SEL_CACHE) : "memory");
  show_value("fs:4 loaded again", read_fs());

  /* DS: loaded, its base moved, read through it, put back (all in one asm: C uses DS; ES
   * stays flat for the stores and the results). */
  gdt[SEL_CACHE >> 3] = cache_desc(buf_a);
  const uint64_t d = cache_desc(buf_b);
  ds_new_lo = (uint32_t)d;
  ds_new_hi = (uint32_t)(d >> 32);
  __asm__ volatile(
      "mov %0, %%ds\n"
      "mov %%ds:4, %%eax\n mov %%eax, %%es:ds_before\n"
      "mov %%es:ds_new_lo, %%eax\n mov %%eax, %%es:(%1)\n"
      "mov %%es:ds_new_hi, %%eax\n mov %%eax, %%es:4(%1)\n"
      "mov %%ds:4, %%eax\n mov %%eax, %%es:ds_after\n"
      "mov %0, %%ds\n"
      "mov %%ds:4, %%eax\n mov %%eax, %%es:ds_again\n"
      "mov %2, %%ds\n" ::"r"(SEL_CACHE),
      "r"(&gdt[SEL_CACHE >> 3]), "r"(SEL_DATA)
      : "eax", "memory");
  const uint32_t before = ds_before, after = ds_after, again = ds_again;
  show_value("ds:4 loaded", before);
  show_value("ds:4 after its descriptor's base moved", after);
  show_value("ds:4 loaded again", again);

  /* A flat DS reaches 4 GiB: under ring compression its copy is cut below the hypervisor
   * hole, and the monitor executes its accesses there with the guest's own limit, which is
   * the loaded descriptor's, not the one its slot holds after the kernel rewrote it. */
  hole_page[1] = 0xC0FFEE02u;
  page_table_hole[0] = (uint32_t)hole_page | 3;
  page_dir[HOLE_LINEAR >> 22] = (uint32_t)page_table_hole | 3;
  __asm__ volatile("mov %%cr3, %%eax\n mov %%eax, %%cr3" ::: "eax", "memory");
  gdt[SEL_CACHE >> 3] = seg_desc(0, 0xFFFFF, 0x93, 0xC);
  __asm__ volatile(
      "mov %0, %%ds\n"
      "mov %%ds:%c3, %%eax\n mov %%eax, %%es:ds_before\n"
      "mov %%es:ds_new_lo, %%eax\n mov %%eax, %%es:(%1)\n"
      "mov %%es:ds_new_hi, %%eax\n mov %%eax, %%es:4(%1)\n"
      "mov %%ds:%c3, %%eax\n mov %%eax, %%es:ds_after\n"
      "mov %2, %%ds\n" ::"r"(SEL_CACHE),
      "r"(&gdt[SEL_CACHE >> 3]), "r"(SEL_DATA), "i"(HOLE_LINEAR + 4)
      : "eax", "memory");
  show_value("flat ds:0xff000004 (in the hypervisor hole)", ds_before);
  show_value("  after its descriptor's base and limit moved", ds_after);

  /* LGDT of a table whose slot has the new base: %gs keeps the old one too. */
  gdt[SEL_CACHE >> 3] = cache_desc(buf_a);
  for (uint32_t i = 0; i < GDT_ENTRIES; ++i) gdt2[i] = gdt[i];
  gdt2[SEL_CACHE >> 3] = cache_desc(buf_b);
  __asm__ volatile("mov %0, %%gs" ::"r"(SEL_CACHE) : "memory");
  load_gdt(gdt2);
  show_value("gs:4 after LGDT of a table with the new base", read_gs());
  __asm__ volatile("mov %0, %%gs" ::"r"(SEL_CACHE) : "memory");
  show_value("gs:4 loaded again", read_gs());
  load_gdt(gdt);
  __asm__ volatile("mov %0, %%gs" ::"r"(SEL_DATA) : "memory");
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  /* klib's code and data (CS and the exception path's, SS) at their selectors, accessed
   * (as klib's loads left them), then descriptors with the accessed bit clear. */
  gdt[SEL_CODE >> 3] = seg_desc(0, 0xFFFFF, 0x9B, 0xC);
  gdt[SEL_DATA >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_DS >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_ES >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_FS >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_GS >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_IDLE >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_USER >> 3] = seg_desc(0, 0xFFFFF, 0xF2, 0xC);
  gdt[SEL_RO >> 3] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  ldt[0] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_LDT >> 3] = seg_desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0x0);
  load_gdt(gdt);
  __asm__ volatile("lldt %w0" ::"r"((uint32_t)SEL_LDT));
  /* SS from SEL_DATA has the bit clear again: loaded below with the others. */
  puts("seg_cache: accessed bits and segment caches\n");
  accessed_bits();
  /* Paging: the low 4 MiB identity-mapped, writable (a page made read-only below). */
  for (uint32_t i = 0; i < 1024; ++i) page_table0[i] = (i << 12) | 3;
  page_dir[0] = (uint32_t)page_table0 | 3;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n or $0x80010000, %%eax\n mov %%eax, %%cr0\n" ::"r"(page_dir)
      : "eax", "memory");
  accessed_bit_on_a_read_only_page();
  caches();
  puts("seg_cache: done\n");
  exit_machine(0);
}
