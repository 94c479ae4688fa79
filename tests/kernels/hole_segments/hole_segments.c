/*
 * The hole-segments test kernel (issue 12, item 3). Under ring compression (trap on the
 * classic CPU, bt) the monitor's GDT, TSS, IDT and translation cache live in the top
 * 64 MiB of the linear space, the hypervisor hole at 0xFC000000, mapped supervisor-only,
 * so that only segment limits keep the deprivileged guest kernel (ring 1) out. The
 * monitor cuts every guest segment to end below the hole; a page-granular cut was once
 * rounded up, and a data segment based at 0x800 reached 0x800 bytes of the monitor's GDT.
 * The kernel loads segments at the hole's edge and reads (and writes) their last bytes,
 * with paging off, printing the value read or the exception taken:
 *   - natively (and under VT, where the guest owns the whole linear space) every access
 *     succeeds: nothing is at those physical addresses, so reads give all ones;
 *   - under ring compression the monitor executes an access into the hole for the guest
 *     with the guest's own limits (emulate_hole_access.cpp): the same values as natively,
 *     also between a page-granular cut (up to 4 KiB short of the hole) and the hole. An
 *     expand-down segment that stays below the hole works, and so does one that reaches
 *     it (loaded empty, its accesses executed by the monitor), and so does a data segment
 *     based in the hole (loaded empty too); a segment in an LDT is cut
 *     like one in the GDT; a far jump beyond the cut CS limit is performed by the monitor
 *     with the guest's own limit (emulate_far_transfer.cpp).
 * native.expected holds the console of every mode (until issue 12's far transfers and
 * expand-down segments, ring compression had its own, with two #GPs).
 */
#include "probe.h"

#define SEL_PAGED 0x18  /* base 0x800, 4 GiB, G set: cut to 0xFBFFEFFF */
#define SEL_BYTES 0x20  /* base 0xFBF00800, 1 MiB, G clear: cut to 0xFF7FF, exact */
#define SEL_DOWN16 0x28 /* expand-down, B clear, base 0xFBFF0000, limit 0xFFF: below */
#define SEL_DOWN32 0x30 /* expand-down, B set, base 0, limit 0xFBFFFFFF: the hole itself */
#define SEL_CODE 0x38   /* code, base 0x800, 4 GiB, G set: cut like SEL_PAGED */
#define SEL_LDT 0x40    /* an LDT whose entry 1 (selector 0x0C) is SEL_PAGED's twin */
#define SEL_LDT_PAGED 0x0C
#define SEL_IN_HOLE 0x48 /* base 0xFC000000, limit 0xFFFF: the hole's first 64 KiB */
#define SEL_LDT1 0x50    /* the same LDT, one entry long */

static uint64_t gdt[11];
static uint64_t ldt[2];
static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) gdtr = {sizeof gdt - 1, 0};

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) {
    f->cs = SEL_KCODE; /* the code probe faults with CS = SEL_CODE */
    f->es = SEL_KDATA;
    return;
  }
  unexpected_vector(f);
}

/* A near call through the code segment's cut: CS loaded by a far jump, then back. */
static uint32_t probe_code(uint32_t off) {
  __asm__ volatile(PROBE_BEGIN
                   "pushl %[sel]\n"
                   "pushl %[off]\n"
                   "lret\n" /* CS = SEL_CODE, EIP = off: fetch at 0x800 + off */
                   PROBE_END
                   :
                   : [sel] "r"((uint32_t)SEL_CODE), [off] "r"(off)
                   : "memory");
  return probe.faulted;
}

static void report(const char* what, uint16_t sel, uint32_t off, uint32_t v) {
  puts(what);
  puts(" ");
  puthex(sel);
  puts(":");
  puthex(off);
  puts(" -> ");
  if (probe.faulted) {
    puts("vector ");
    putdec(probe.vector);
    puts(" error ");
    puthex(probe.error);
  } else {
    puthex(v);
  }
  putc('\n');
}

static void read_at(uint16_t sel, uint32_t off) {
  const uint32_t v = probe_read_seg(sel, off, SEL_KDATA);
  report("read ", sel, off, v);
}

static void write_at(uint16_t sel, uint32_t off, uint32_t v) {
  probe_write_seg(sel, off, v, SEL_KDATA);
  report("write", sel, off, v);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("hole_segments: segments at the hypervisor hole's edge\n");
  gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);
  gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_PAGED >> 3] = seg_desc(0x800, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_BYTES >> 3] = seg_desc(0xFBF00800, 0xFFFFF, 0x92, 0x4);
  gdt[SEL_DOWN16 >> 3] = seg_desc(0xFBFF0000, 0xFFF, 0x96, 0x0);
  gdt[SEL_DOWN32 >> 3] = seg_desc(0, 0xFBFFF, 0x96, 0xC);
  gdt[SEL_CODE >> 3] = seg_desc(0x800, 0xFFFFF, 0x9A, 0xC);
  gdt[SEL_IN_HOLE >> 3] = seg_desc(0xFC000000, 0xFFFF, 0x92, 0x0);
  gdtr.base = (uint32_t)gdt;
  __asm__ volatile("lgdt %0" ::"m"(gdtr));

  /* Base 0x800, page-granular: the last page below the cut, the sliver the cut loses,
   * the hole's first bytes (the monitor's GDT: its null and boot code descriptors). */
  read_at(SEL_PAGED, 0xFBFFE7FC);
  read_at(SEL_PAGED, 0xFBFFF7FC);
  write_at(SEL_PAGED, 0xFBFFF7F8, 0x5A5A5A5Au);
  read_at(SEL_PAGED, 0xFBFFF7FE); /* the cut's sliver and the hole's first bytes */
  read_at(SEL_PAGED, 0xFBFFF800);
  read_at(SEL_PAGED, 0xFBFFF80C);
  read_at(SEL_PAGED, 0xFBFFFFFC);
  write_at(SEL_PAGED, 0xFBFFFFF8, 0x00CFFA00u);
  read_at(SEL_PAGED, 0xFBFFFFF8);
  /* Base 0xFBF00800, byte-granular: exact to the last byte. */
  read_at(SEL_BYTES, 0xFF7FC);
  read_at(SEL_BYTES, 0xFF7FD);
  read_at(SEL_BYTES, 0xFF800);
  write_at(SEL_BYTES, 0xFF800, 0x12345678u);
  /* Expand-down. */
  read_at(SEL_DOWN16, 0xFFFC);
  read_at(SEL_DOWN16, 0x0FFC);
  read_at(SEL_DOWN32, 0xFC000000);
  /* Its own limit still refuses offsets at or below it (#GP(0)), emulated or not. */
  read_at(SEL_DOWN32, 0xFBFFFFFC);
  read_at(SEL_DOWN32, 0x00001000);
  /* Based in the hole (random guest --rich seed 30025): the load works, as natively (it
   * was #GP(selector) under ring compression), and so do the accesses within its limit. */
  read_at(SEL_IN_HOLE, 0x0);
  write_at(SEL_IN_HOLE, 0x100, 0x13579BDFu);
  read_at(SEL_IN_HOLE, 0xFFFC);
  read_at(SEL_IN_HOLE, 0xFFFD);
  /* The same segment in an LDT (copied into the shadow LDT, cut the same way). */
  ldt[1] = seg_desc(0x800, 0xFFFFF, 0x92, 0xC);
  gdt[SEL_LDT >> 3] = seg_desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0x0);
  __asm__ volatile("lldt %w0" ::"r"((uint32_t)SEL_LDT));
  read_at(SEL_LDT_PAGED, 0xFBFFE7FC);
  read_at(SEL_LDT_PAGED, 0xFBFFF7FC);
  read_at(SEL_LDT_PAGED, 0xFBFFF800);
  write_at(SEL_LDT_PAGED, 0xFBFFF808, 0x12345678u);
  /* ES keeps the descriptor it was loaded from when its LDT no longer holds the slot
   * (random guest --rich seed 30176): ES from the LDT's entry 1, an LLDT of one entry,
   * then the hole through ES. Ring compression executes the access with the guest's
   * descriptor ES was loaded from (it took the cut copy, and the #GP stood). */
  {
    uint32_t v = 0;
    gdt[SEL_LDT1 >> 3] = seg_desc((uint32_t)ldt, 7, 0x82, 0x0);
    __asm__ volatile(PROBE_BEGIN
                     "mov %w[sel], %%es\n"
                     "lldt %w[ldt1]\n"
                     "movl %%es:(%[off]), %[v]\n" PROBE_END
                     "lldt %w[ldt]\n"
                     "mov %w[kd], %%es\n"
                     : [v] "+r"(v)
                     : [sel] "r"((uint32_t)SEL_LDT_PAGED), [ldt1] "r"((uint32_t)SEL_LDT1),
                       [ldt] "r"((uint32_t)SEL_LDT), [off] "r"(0xFBFFF800u),
                       [kd] "r"((uint32_t)SEL_KDATA)
                     : "memory");
    report("ldt1 ", SEL_LDT_PAGED, 0xFBFFF800, v);
  }
  /* Code: fetching the hole's first bytes through a cut code segment. */
  puts("fetch at code offset 0xFBFFF800 faulted: ");
  putdec(probe_code(0xFBFFF800));
  puts(" vector ");
  putdec(probe.faulted ? probe.vector : 0);
  putc('\n');
  puts("hole_segments: done\n");
  exit_machine(0);
}
