/*
 * ata_hostile: what a hostile or broken driver can do to the ATA controller from inside
 * the guest, in every mode: random values on every register (commands included), string
 * I/O with huge counts on the data port, LBAs past the end. run_hostile.sh checks that
 * vmlab ends the run normally and that a readonly image is unchanged byte for byte and a
 * writable one keeps its size.
 */
#include "klib.h"

#define ATA 0x1F0

static uint32_t seed = 17;
static uint32_t rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

static inline void outw(uint16_t port, uint16_t v) {
  __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint16_t inw(uint16_t port) {
  uint16_t v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static uint8_t big[256 * 1024];

void isr_dispatch(struct frame* f) { (void)f; }

void kmain(void) {
  console_init();
  puts("ata_hostile: start\n");
  static const uint8_t commands[] = {0x20, 0x30, 0xC4, 0xC5, 0xC6, 0xEC, 0xE7, 0x91, 0x40};
  for (uint32_t i = 0; i < 200000; ++i) {
    const uint32_t r = rnd();
    const uint16_t port = (r & 15) == 15 ? 0x3F6 : (uint16_t)(ATA + (r & 7));
    if (port == ATA + 7 && (r & 0x100)) {
      outb(port, commands[(r >> 9) % sizeof commands]);
    } else if (r & 0x10000) {
      if (port == ATA) outw(port, (uint16_t)rnd()); else outb(port, (uint8_t)rnd());
    } else {
      if (port == ATA) (void)inw(port); else (void)inb(port);
    }
  }
  puts("random registers: done\n");
  /* A write of 256 sectors from LBA 0 (count 0), then far more data than it asks for by
   * REP OUTSW; a read of 256 sectors past the end, then REP INSW of 128 Ki words. */
  for (int pass = 0; pass < 2; ++pass) {
    outb(ATA + 6, 0xE0);
    outb(ATA + 2, 0);
    outb(ATA + 3, 0);
    outb(ATA + 4, 0);
    outb(ATA + 5, 0);
    outb(ATA + 7, pass == 0 ? 0x30 : 0x20);
    uint32_t count = sizeof big / 2;
    void* p = big;
    if (pass == 0) {
      __asm__ volatile("cld; rep outsw" : "+S"(p), "+c"(count) : "d"(ATA) : "memory");
    } else {
      __asm__ volatile("cld; rep insw" : "+D"(p), "+c"(count) : "d"(ATA) : "memory");
    }
  }
  outb(ATA + 6, 0xEF);
  outb(ATA + 2, 0xFF);
  outb(ATA + 7, 0x20); /* LBA 0x0F...... past any image */
  uint32_t count = 4096;
  void* p = big;
  __asm__ volatile("cld; rep insw" : "+D"(p), "+c"(count) : "d"(ATA) : "memory");
  puts("string I/O: done\n");
  puts("ata_hostile: done\n");
  exit_machine(0);
}
