/*
 * The 8254 programmable interval timer (Intel 8254 data sheet).
 *
 * Ports: 0x40 counter 0 (wired to IRQ 0), 0x43 mode/command. The input clock is
 * 1.193182 MHz; counter 0 in mode 2 (rate generator) divides it to HZ
 * interrupts per second. This is the native timer_init of pv_ops; under a
 * simulated machine the ticks come from modeled time, so the schedule is
 * deterministic.
 */
#include "kernel.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_INPUT_HZ 1193182u
#define PIT_CH0_LOHI_MODE2 0x34 /* counter 0, low byte then high byte, mode 2 */

void pit_init(u32 hz) {
  u32 divisor = PIT_INPUT_HZ / hz;
  pv->outb(PIT_CMD, PIT_CH0_LOHI_MODE2);
  pv->outb(PIT_CH0, (u8)(divisor & 0xFF));
  pv->outb(PIT_CH0, (u8)(divisor >> 8));
}
