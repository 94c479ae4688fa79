/*
 * What the ATA test kernels (ata_pio, ata_dma) share: the primary channel's task file,
 * polled, and their console lines. Static, not a library: each kernel compiles it as its
 * own code. Include after klib.h.
 */
#ifndef VMLAB_TEST_ATA_POLLED_H
#define VMLAB_TEST_ATA_POLLED_H

#include "klib.h"

#define ATA 0x1F0      /* the primary channel's command block */
#define ATA_CTRL 0x3F6 /* its device control register */
#define ST_BSY 0x80
#define ST_DRQ 0x08
#define ST_ERR 0x01

/* The status once BSY is clear; a drive that stays busy ends the run (status 3). */
static uint8_t wait_not_busy(void) {
  for (uint32_t i = 0; i < 10000000; ++i) {
    const uint8_t s = inb(ATA + 7);
    if (!(s & ST_BSY)) return s;
  }
  puts("timeout waiting for the drive\n");
  exit_machine(3);
}

/* The task file of `count` sectors at `lba` (LBA28, the master), then `command`. */
static void task(uint32_t lba, uint8_t count, uint8_t command) {
  outb(ATA + 2, count);
  outb(ATA + 3, lba & 0xFF);
  outb(ATA + 4, (lba >> 8) & 0xFF);
  outb(ATA + 5, (lba >> 16) & 0xFF);
  outb(ATA + 6, 0xE0 | ((lba >> 24) & 0x0F));
  outb(ATA + 7, command);
}

/* FNV-1a, 32 bits. */
static uint32_t fnv(const uint8_t* p, uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

/* One console line: `what` and `v` in hex. */
static void line(const char* what, uint32_t v) {
  puts(what);
  puthex(v);
  putc('\n');
}

/* Ends the run (status 2) with "FAILED: what" unless `ok`. */
static void check(int ok, const char* what) {
  if (!ok) {
    puts("FAILED: ");
    puts(what);
    putc('\n');
    exit_machine(2);
  }
}

#endif
