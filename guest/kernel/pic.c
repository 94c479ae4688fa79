/*
 * The 8259A programmable interrupt controller pair (Intel 8259A data sheet).
 *
 * Ports: master 0x20 (command) / 0x21 (data), slave 0xA0 / 0xA1.
 * At reset the master delivers IRQ 0-7 on vectors 8-15, on top of the CPU's
 * exception vectors, so we reprogram both chips (ICW1-ICW4) to 32-47. The slave
 * hangs off master line 2. Only the lines we use are unmasked: 0 (PIT),
 * 2 (cascade) and 4 (COM1).
 */
#include "kernel.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20 /* non-specific end of interrupt */

void pic_init(void) {
  pv->outb(PIC1_DATA, 0xFF); /* mask everything while reprogramming */
  pv->outb(PIC2_DATA, 0xFF);
  pv->outb(PIC1_CMD, ICW1_INIT_ICW4);
  pv->outb(PIC2_CMD, ICW1_INIT_ICW4);
  pv->outb(PIC1_DATA, T_IRQ0); /* ICW2: vector base */
  pv->outb(PIC2_DATA, T_IRQ0 + 8);
  pv->outb(PIC1_DATA, 1 << 2); /* ICW3: slave on line 2 */
  pv->outb(PIC2_DATA, 2);      /* ICW3: slave identity */
  pv->outb(PIC1_DATA, ICW4_8086);
  pv->outb(PIC2_DATA, ICW4_8086);
  pv->outb(PIC1_DATA, (u8) ~((1 << 0) | (1 << 2) | (1 << 4)));
  pv->outb(PIC2_DATA, 0xFF);
}

void pic_eoi(u32 irq) {
  if (irq >= 8) pv->outb(PIC2_CMD, OCW2_EOI);
  pv->outb(PIC1_CMD, OCW2_EOI);
}
