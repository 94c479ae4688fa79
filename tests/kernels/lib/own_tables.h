/*
 * Descriptor tables a test kernel places itself, where klib's tables_init() keeps its own
 * in .bss: a kernel that must know where its GDT, IDT and TSS lie (which page each is on,
 * or to add entries) builds them here. SGDT and SIDT cannot find klib's tables under
 * trap-and-emulate on the classic CPU, where they show the monitor's (the classic
 * obstacle to virtualizing IA-32), so a kernel never reads them back.
 */
#ifndef VMLAB_TEST_OWN_TABLES_H
#define VMLAB_TEST_OWN_TABLES_H

#include "klib.h"

struct tss32 {
  uint32_t prev, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp,
      esi, edi, es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
} __attribute__((packed));

uint64_t own_gate(uint16_t sel, uint32_t offset, uint8_t type_attr);
/* Segment descriptors: klib's seg_desc (klib.h), under the name this file gave them when it
 * had its own copy (kernels written against it still say own_seg_desc). */
#define own_seg_desc seg_desc

/* Fills gdt[0..5] with klib's layout (null, ring-0 code and data, ring-3 code and data,
 * the TSS at `tss`), the IDT with klib's gates (0, 6, 13, 14, 0x20, 0x80) plus #TS, #NP
 * and #SS (more_vectors.S), the TSS with SS0:ESP0 = SEL_KDATA:esp0; then loads GDTR
 * (`gdt_entries` entries), IDTR (256 gates) and TR. Call after tables_init(). */
void own_tables_load(uint64_t* gdt, uint32_t gdt_entries, uint64_t* idt, struct tss32* tss,
                     uint32_t esp0);

#endif
