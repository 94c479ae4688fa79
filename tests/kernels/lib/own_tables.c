#include "own_tables.h"

#include "klib.h"

extern void isr0(void), isr6(void), isr10(void), isr11(void), isr12(void), isr13(void), isr14(void),
    isr32(void), isr128(void);

uint64_t own_gate(uint16_t sel, uint32_t offset, uint8_t type_attr) {
  return (uint64_t)(offset & 0xFFFF) | (uint64_t)sel << 16 | (uint64_t)type_attr << 40 |
         (uint64_t)(offset >> 16) << 48;
}

void own_tables_load(uint64_t* gdt, uint32_t gdt_entries, uint64_t* idt, struct tss32* tss,
                     uint32_t esp0) {
  gdt[0] = 0;
  gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);
  gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
  gdt[3] = seg_desc(0, 0xFFFFF, 0xFA, 0xC);
  gdt[4] = seg_desc(0, 0xFFFFF, 0xF2, 0xC);
  gdt[5] = seg_desc((uint32_t)tss, sizeof *tss - 1, 0x89, 0x0);
  for (uint32_t i = 0; i < sizeof *tss; ++i) ((volatile uint8_t*)tss)[i] = 0;
  tss->ss0 = SEL_KDATA;
  tss->esp0 = esp0;
  tss->iomap_base = sizeof *tss;
  for (uint32_t i = 0; i < 256; ++i) idt[i] = 0;
  idt[0] = own_gate(SEL_KCODE, (uint32_t)isr0, 0x8E);
  idt[6] = own_gate(SEL_KCODE, (uint32_t)isr6, 0x8E);
  idt[10] = own_gate(SEL_KCODE, (uint32_t)isr10, 0x8E);
  idt[11] = own_gate(SEL_KCODE, (uint32_t)isr11, 0x8E);
  idt[12] = own_gate(SEL_KCODE, (uint32_t)isr12, 0x8E);
  idt[13] = own_gate(SEL_KCODE, (uint32_t)isr13, 0x8E);
  idt[14] = own_gate(SEL_KCODE, (uint32_t)isr14, 0x8E);
  idt[32] = own_gate(SEL_KCODE, (uint32_t)isr32, 0x8E);
  idt[128] = own_gate(SEL_KCODE, (uint32_t)isr128, 0xEE);
  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) gdtr = {(uint16_t)(gdt_entries * 8 - 1), (uint32_t)gdt},
                            idtr = {256 * 8 - 1, (uint32_t)idt};
  __asm__ volatile("lgdt %0\n lidt %1\n ltr %w2" ::"m"(gdtr), "m"(idtr), "r"(SEL_TSS) : "memory");
}
