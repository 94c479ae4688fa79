/*
 * The GDT and the TSS (SDM 3A 3.4.5 segment descriptors, 7.2 the TSS).
 *
 * Segments are flat (base 0) but their limit stops at 0xFBFFFFFF, below the
 * hypervisor hole: the guest never reaches the top 64 MiB, and a hypervisor
 * that reuses these descriptors (as Xen does on 32-bit) needs no extra checks.
 * Kernel descriptors get DPL = pv->kernel_ring, so the same code works when
 * the kernel is deprivileged to ring 1.
 *
 * The TSS is used only for its ring-0 stack (SS0:ESP0), which the CPU loads on
 * a trap from user mode; sched.c updates ESP0 on every switch through pv_ops.
 */
#include "kernel.h"

struct tss {
  u32 link, esp0, ss0, esp1, ss1, esp2, ss2;
  u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  u32 es, cs, ss, ds, fs, gs, ldt;
  u16 trap, iomap_base;
} __attribute__((packed));

static u64 gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static struct tss tss;
u16 kernel_cs, kernel_ds;

#define SEG_LIMIT_PAGES ((HYPERVISOR_HOLE >> 12) - 1) /* 0xFBFFF x 4 KiB */

/* Access byte: present, DPL, S=1 (code/data), type. Flags: 4 KiB granularity, 32-bit. */
static u64 segment(u32 base, u32 limit, u32 dpl, u32 type) {
  u64 d = limit & 0xFFFF;
  d |= (u64)(base & 0xFFFFFF) << 16;
  d |= (u64)(0x90 | (dpl << 5) | type) << 40;
  d |= (u64)((limit >> 16) & 0xF) << 48;
  d |= (u64)0xC << 52; /* G = 1, D/B = 1 */
  d |= (u64)(base >> 24) << 56;
  return d;
}

/* A system descriptor for a 32-bit available TSS (type 9), byte granular. */
static u64 tss_descriptor(u32 base, u32 limit) {
  u64 d = limit & 0xFFFF;
  d |= (u64)(base & 0xFFFFFF) << 16;
  d |= (u64)(0x80 | 0x9) << 40;
  d |= (u64)((limit >> 16) & 0xF) << 48;
  d |= (u64)(base >> 24) << 56;
  return d;
}

#define TYPE_CODE_READ 0xA
#define TYPE_DATA_WRITE 0x2

void gdt_init(void) {
  u32 ring = pv->kernel_ring;
  kernel_cs = SEL(GDT_KCODE, ring);
  kernel_ds = SEL(GDT_KDATA, ring);

  gdt[GDT_NULL] = 0;
  gdt[GDT_KCODE] = segment(0, SEG_LIMIT_PAGES, ring, TYPE_CODE_READ);
  gdt[GDT_KDATA] = segment(0, SEG_LIMIT_PAGES, ring, TYPE_DATA_WRITE);
  gdt[GDT_UCODE] = segment(0, SEG_LIMIT_PAGES, 3, TYPE_CODE_READ);
  gdt[GDT_UDATA] = segment(0, SEG_LIMIT_PAGES, 3, TYPE_DATA_WRITE);

  tss.ss0 = kernel_ds;
  /* An I/O map base beyond the TSS limit: user mode may not touch any port. */
  tss.iomap_base = sizeof(tss);
  gdt[GDT_TSS] = tss_descriptor((u32)&tss, sizeof(tss) - 1);

  pv->load_gdt(gdt, sizeof(gdt) - 1, kernel_cs, kernel_ds);
  pv->load_tr(SEL(GDT_TSS, 0));
}

void tss_set_esp0(u32 esp0) {
  tss.esp0 = esp0;
}
