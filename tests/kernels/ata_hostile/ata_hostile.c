/*
 * ata_hostile: what a hostile or broken driver can do to the ATA controller from inside
 * the guest, in every mode: random values on every register (commands included), string
 * I/O with huge counts on the data port, LBAs past the end, and the bus master of the IDE
 * function (PCI 00:01.1) started on random PRD tables whose regions and table addresses
 * lie anywhere past the guest's RAM (or, for the drive's writes to memory, inside a buffer
 * of its own, so that the kernel survives to report). run_hostile.sh checks that
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

static uint8_t big[256 * 1024] __attribute__((aligned(4096)));

/* An address the drive may write: inside big (past the table page, with room for a 64 KiB
 * region), or past any RAM vmlab gives a guest (2 GiB and up). */
static uint32_t writable_target(void) {
  const uint32_t r = rnd();
  if (r & 1) return 0x80000000u + (rnd() << 7);
  return (uint32_t)big + 4096 + (rnd() % (sizeof big - 4096 - 65536));
}

static void bus_master(void) {
  outl(0xCF8, 0x80000000u | 1u << 11 | 1u << 8 | 0x20);
  const uint16_t bm = (uint16_t)(inl(0xCFC) & 0xFFF0);
  outl(0xCF8, 0x80000000u | 1u << 11 | 1u << 8 | 0x04);
  outl(0xCFC, inl(0xCFC) | 0x05);
  uint32_t* table = (uint32_t*)big;
  for (uint32_t i = 0; i < 20000; ++i) {
    const uint32_t r = rnd();
    const int to_memory = (r & 1) != 0;
    for (uint32_t e = 0; e < 64; ++e) {
      table[2 * e] = to_memory ? writable_target() : (rnd() << 1);
      table[2 * e + 1] = (rnd() & 0xFFFF) | ((rnd() & 7) == 0 ? 0x80000000u : 0);
    }
    /* The table in big, or anywhere past RAM, or misaligned. */
    const uint32_t at = (r & 6) == 6 ? 0x80000000u + (rnd() << 4) : (uint32_t)table + (r & 0x1C);
    outl(bm + 4, at);
    if (r & 0x100) outb(bm + 2, (uint8_t)rnd());
    outb(bm, 0);
    outb(ATA + 6, (uint8_t)(0xE0 | (rnd() & 0x1F)));
    outb(ATA + 2, (uint8_t)rnd());
    outb(ATA + 3, (uint8_t)rnd());
    outb(ATA + 4, (uint8_t)(rnd() & 1));
    outb(ATA + 5, 0);
    const int first = (r & 0x200) != 0; /* start before or after the command */
    if (first) outb(bm, (uint8_t)(0x01 | (to_memory ? 0x08 : 0)));
    outb(ATA + 7, to_memory ? 0xC8 : 0xCA);
    if (!first) outb(bm, (uint8_t)(0x01 | (rnd() & 0x08)));
    (void)inb(bm + 2);
    (void)inb(ATA + 7);
  }
  outb(bm, 0);
}

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
  bus_master();
  puts("bus master: done\n");
  puts("ata_hostile: done\n");
  exit_machine(0);
}
