/*
 * The GDT-writes test kernel (issue 12, item 9). A kernel loads its GDT once and then
 * keeps writing descriptors into it: a TSS descriptor before LTR, a per-CPU segment for
 * %gs, a base changed on a context switch. The processor reads a descriptor from the
 * table at each segment load (SDM Vol. 3A, 3.4.3), so each write is seen at the next load.
 * Under ring compression (trap on the classic CPU, bt) the hardware reads the monitor's
 * shadow GDT instead, which was rebuilt only at LGDT: later writes were never seen. The
 * kernel writes descriptors after LGDT in the ways compilers and kernels do (two 32-bit
 * moves, a byte, REP MOVSD, XCHG, with paging off and on) and loads them, printing what it
 * reads through them; the same for an LDT after LLDT; then it writes IDT gates after
 * LIDT and takes them. The console is the same in every mode.
 */
#include "klib.h"

#define SEL_GS 0x18  /* written after LGDT: the per-CPU segment */
#define SEL_NEWTSS 0x20 /* written after LGDT, then LTR */
#define SEL_MOVS 0x28
#define SEL_XCHG 0x30
#define SEL_LDT 0x38 /* the LDT's descriptor, in the GDT */
#define LDT_SEL(i) (((i) << 3) | 4)

static struct {
  uint64_t gdt[8];
  uint32_t neighbour; /* data that shares the GDT's page */
} table __attribute__((aligned(4096)));

static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) gdtr;

static struct {
  uint32_t link, esp0, ss0, rest[23];
} __attribute__((aligned(128))) tss;

static uint32_t percpu_a[4] = {0xA0000001u, 0xA0000002u, 0xA0000003u, 0xA0000004u};
static uint32_t percpu_b[4] = {0xB0000001u, 0xB0000002u, 0xB0000003u, 0xB0000004u};
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_table0[1024] __attribute__((aligned(4096)));

static uint64_t ldt[4] __attribute__((aligned(4096)));

/* An IDT of its own for the last check: gates written after LIDT. */
static uint64_t idt[0x50] __attribute__((aligned(8)));
static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) idtr;
__attribute__((used)) static volatile uint32_t int46_count;
void int46_a(void);
void int46_b(void);
__asm__(
    ".text\n"
    "int46_a: incl int46_count\n iret\n"
    "int46_b: addl $0x100, int46_count\n iret\n");

static uint64_t gate(void (*handler)(void)) {
  const uint32_t h = (uint32_t)handler;
  return (uint64_t)(h & 0xFFFF) | (uint64_t)SEL_KCODE << 16 | (uint64_t)0x8E << 40 |
         (uint64_t)(h >> 16) << 48;
}

void isr_dispatch(struct frame* f) {
  unexpected_vector(f);
}

/* Two 32-bit stores, as a compiler writes a 64-bit value. */
static void store(uint32_t index, uint64_t d) {
  volatile uint32_t* p = (volatile uint32_t*)&table.gdt[index];
  p[0] = (uint32_t)d;
  p[1] = (uint32_t)(d >> 32);
}

static void set_gate(uint32_t vector, uint64_t g) {
  volatile uint32_t* p = (volatile uint32_t*)&idt[vector];
  p[0] = (uint32_t)g;
  p[1] = (uint32_t)(g >> 32);
}

static uint32_t read_gs(uint16_t sel, uint32_t off) {
  uint32_t v;
  __asm__ volatile("mov %w1, %%gs\n movl %%gs:(%2), %0" : "=r"(v) : "r"((uint32_t)sel), "r"(off));
  return v;
}

static void show(const char* what, uint32_t v) {
  puts(what);
  puts(": ");
  puthex(v);
  putc('\n');
}

static void round(const char* phase) {
  puts(phase);
  putc('\n');
  /* A new per-CPU segment, then its base moved (a context switch to another CPU's data). */
  store(SEL_GS >> 3, seg_desc((uint32_t)percpu_a, 15, 0x92, 0x4));
  show("  gs:4 via a new descriptor", read_gs(SEL_GS, 4));
  store(SEL_GS >> 3, seg_desc((uint32_t)percpu_b, 15, 0x92, 0x4));
  show("  gs:4 after its base moved", read_gs(SEL_GS, 4));
  /* One byte: the access byte rewritten with the accessed bit set, as the processor
   * itself does (a descriptor store of one byte must be seen whole). */
  volatile uint8_t* bytes = (volatile uint8_t*)&table.gdt[SEL_GS >> 3];
  bytes[5] = 0x93; /* type 3: the accessed bit, as the processor itself would set it */
  show("  gs:8 after a byte store", read_gs(SEL_GS, 8));
  /* REP MOVSD of a whole descriptor. */
  const uint64_t m = seg_desc((uint32_t)percpu_a + 8, 7, 0x92, 0x4);
  uint32_t n = 2;
  const void* src = &m;
  void* dst = &table.gdt[SEL_MOVS >> 3];
  __asm__ volatile("rep movsl" : "+S"(src), "+D"(dst), "+c"(n)::"memory");
  show("  gs:4 via REP MOVSD", read_gs(SEL_MOVS, 4));
  /* XCHG of each half. */
  const uint64_t x = seg_desc((uint32_t)percpu_b + 4, 11, 0x92, 0x4);
  uint32_t lo = (uint32_t)x, hi = (uint32_t)(x >> 32);
  volatile uint32_t* p = (volatile uint32_t*)&table.gdt[SEL_XCHG >> 3];
  __asm__ volatile("xchgl %0, %1" : "+r"(lo), "+m"(p[0]));
  __asm__ volatile("xchgl %0, %1" : "+r"(hi), "+m"(p[1]));
  show("  gs:8 via XCHG", read_gs(SEL_XCHG, 8));
  /* A data write next to the GDT, on its page. */
  table.neighbour += 0x11;
  show("  the GDT page's neighbour", table.neighbour);
  /* Cleared: a load of it must fault now, so it is not loaded; a fresh one is. */
  store(SEL_GS >> 3, 0);
  store(SEL_GS >> 3, seg_desc((uint32_t)percpu_a, 15, 0x92, 0x4));
  show("  gs:12 after clear and rewrite", read_gs(SEL_GS, 12));
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("gdt_writes: descriptors written after LGDT\n");
  table.gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);
  table.gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdtr.limit = sizeof table.gdt - 1;
  gdtr.base = (uint32_t)table.gdt;
  __asm__ volatile("lgdt %0" ::"m"(gdtr));

  /* A TSS descriptor written after LGDT, then loaded by LTR (busy bit read back). */
  tss.ss0 = SEL_KDATA;
  store(SEL_NEWTSS >> 3, seg_desc((uint32_t)&tss, 103, 0x89, 0x0));
  __asm__ volatile("ltr %w0" ::"r"((uint32_t)SEL_NEWTSS));
  show("TSS descriptor type after LTR", (uint32_t)(table.gdt[SEL_NEWTSS >> 3] >> 40) & 0xF);

  round("paging off");
  for (uint32_t i = 0; i < 1024; ++i) page_table0[i] = (i << 12) | 3;
  page_dir[0] = (uint32_t)page_table0 | 3;
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n or $0x80010000, %%eax\n mov %%eax, %%cr0\n" ::"r"(page_dir)
      : "eax", "memory");
  round("paging on");

  /* An LDT: loaded by LLDT, then written (a moved base, a new entry), as a kernel does
   * for a process that asks for one (modify_ldt). */
  ldt[1] = seg_desc((uint32_t)percpu_a, 15, 0x92, 0x4);
  store(SEL_LDT >> 3, seg_desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0x0));
  __asm__ volatile("lldt %w0" ::"r"((uint32_t)SEL_LDT));
  uint32_t sldt = 0;
  __asm__ volatile("sldt %0" : "=r"(sldt));
  show("SLDT", sldt & 0xFFFF);
  show("  gs:4 via LDT entry 1", read_gs(LDT_SEL(1), 4));
  volatile uint32_t* l = (volatile uint32_t*)&ldt[1];
  const uint64_t moved = seg_desc((uint32_t)percpu_b, 15, 0x92, 0x4);
  l[0] = (uint32_t)moved;
  l[1] = (uint32_t)(moved >> 32);
  show("  gs:4 after its base moved", read_gs(LDT_SEL(1), 4));
  ldt[3] = seg_desc((uint32_t)percpu_a + 4, 11, 0xF2, 0x4); /* a ring-3 entry, DPL 3 */
  show("  gs:8 via a new LDT entry 3", read_gs(LDT_SEL(3) | 3, 8));
  __asm__ volatile("lldt %w0" ::"r"(0u));
  __asm__ volatile("sldt %0" : "=r"(sldt));
  show("SLDT after LLDT 0", sldt & 0xFFFF);

  /* The IDT: the monitor reads the guest's gate at each delivery, so a gate written after
   * LIDT is used at the next INT (this kernel's own IDT from here on; no other vector). */
  idtr.limit = sizeof idt - 1;
  idtr.base = (uint32_t)idt;
  __asm__ volatile("lidt %0" ::"m"(idtr));
  set_gate(0x46, gate(int46_a));
  __asm__ volatile("int $0x46" ::: "memory");
  set_gate(0x46, gate(int46_b));
  __asm__ volatile("int $0x46" ::: "memory");
  show("INT 0x46 through gates written after LIDT", int46_count);
  puts("gdt_writes: done\n");
  exit_machine(0);
}
