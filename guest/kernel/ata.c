/*
 * Polled driver for the primary ATA channel's master and slave (docs/disk.md): LBA28 READ
 * SECTORS, WRITE SECTORS and FLUSH CACHE by PIO, one sector per command, interrupts masked
 * (nIEN); or, when the machine has the PIIX3's bus-master IDE function and the drive
 * reports DMA (IDENTIFY word 49 bit 8), READ DMA and WRITE DMA of a whole request
 * (ata_dma.c). Every access goes through pv_ops, so under a monitor each is one trap, exit
 * or callout.
 */
#include "ata.h"

#include "blk.h"
#include "kernel.h"
#include "pv_ops.h"

#define ATA_BASE 0x1F0
#define ATA_CONTROL 0x3F6

#define ATA_UNITS 2

static bool present[ATA_UNITS];
static bool use_dma[ATA_UNITS]; /* the drive reports DMA and the bus master is there */

/* The device register's value for `unit`: LBA mode, bit 4 the slave. */
static u8 device(u32 unit) {
  return (u8)(0xE0 | (unit << 4));
}

/* The status once BSY is clear; 0xFF (ERR) after a bound, so a broken drive cannot hang
 * the kernel. */
u8 ata_wait_ready(void) {
  for (u32 i = 0; i < 1000000; i++) {
    const u8 s = pv->inb(ATA_BASE + 7);
    if (!(s & ST_BSY)) return s;
  }
  return 0xFF;
}

void ata_task(u32 unit, u32 lba, u32 count, u8 command) {
  pv->outb(ATA_BASE + 2, (u8)count);
  pv->outb(ATA_BASE + 3, (u8)lba);
  pv->outb(ATA_BASE + 4, (u8)(lba >> 8));
  pv->outb(ATA_BASE + 5, (u8)(lba >> 16));
  pv->outb(ATA_BASE + 6, (u8)(device(unit) | ((lba >> 24) & 0x0F)));
  pv->outb(ATA_BASE + 7, command);
}

int ata_probe(u32 unit, u32* sectors) {
  if (unit >= ATA_UNITS) return 0;
  present[unit] = false;
  if (!pv->inw || !pv->outw) return 0;
  pv->outb(ATA_CONTROL, 0x02); /* nIEN: polled */
  pv->outb(ATA_BASE + 6, device(unit));
  const u8 s0 = pv->inb(ATA_BASE + 7);
  if (s0 == 0xFF || s0 == 0) return 0; /* nothing decodes the ports, or no such drive */
  ata_task(unit, 0, 1, 0xEC);
  const u8 s = ata_wait_ready();
  if ((s & ST_ERR) || !(s & ST_DRQ)) return 0;
  u16 id[256];
  for (u32 i = 0; i < 256; i++) id[i] = pv->inw(ATA_BASE);
  *sectors = id[60] | ((u32)id[61] << 16);
  present[unit] = *sectors > 0;
  use_dma[unit] = present[unit] && (id[49] & 0x0100) && ata_dma_probe();
  return present[unit] ? 1 : 0;
}

int ata_read(u32 unit, u32 lba, void* buf) {
  if (unit >= ATA_UNITS || !present[unit]) return -1;
  ata_task(unit, lba, 1, 0x20);
  const u8 s = ata_wait_ready();
  if ((s & ST_FAILED) || !(s & ST_DRQ)) return -1;
  u8* p = buf;
  for (u32 i = 0; i < SECTOR_SIZE / 2; i++) {
    const u16 w = pv->inw(ATA_BASE);
    p[2 * i] = (u8)w;
    p[2 * i + 1] = (u8)(w >> 8);
  }
  return 0;
}

int ata_write(u32 unit, u32 lba, const void* buf) {
  if (unit >= ATA_UNITS || !present[unit]) return -1;
  ata_task(unit, lba, 1, 0x30);
  u8 s = ata_wait_ready();
  if ((s & ST_FAILED) || !(s & ST_DRQ)) return -1;
  const u8* p = buf;
  for (u32 i = 0; i < SECTOR_SIZE / 2; i++)
    pv->outw(ATA_BASE, (u16)(p[2 * i] | (p[2 * i + 1] << 8)));
  s = ata_wait_ready();
  return (s & ST_FAILED) ? -1 : 0;
}

int ata_flush(u32 unit) {
  if (unit >= ATA_UNITS || !present[unit]) return -1;
  pv->outb(ATA_BASE + 6, device(unit));
  pv->outb(ATA_BASE + 7, 0xE7);
  return (ata_wait_ready() & ST_FAILED) ? -1 : 0;
}

/* The block seam (blk.h): by DMA, one command per request (ata_dma.c); by PIO, a request
 * of many sectors is that many READ or WRITE SECTORS commands, each with its own task file
 * and status reads. */
static int ata_read_sectors(u32 unit, u32 lba, u32 count, void* buf) {
  if (unit < ATA_UNITS && present[unit] && use_dma[unit])
    return ata_dma_rw(unit, lba, count, buf, true);
  for (u32 i = 0; i < count; i++)
    if (ata_read(unit, lba + i, (u8*)buf + i * SECTOR_SIZE) < 0) return -1;
  return 0;
}

static int ata_write_sectors(u32 unit, u32 lba, u32 count, const void* buf) {
  if (unit < ATA_UNITS && present[unit] && use_dma[unit])
    return ata_dma_rw(unit, lba, count, (void*)buf, false);
  for (u32 i = 0; i < count; i++)
    if (ata_write(unit, lba + i, (const u8*)buf + i * SECTOR_SIZE) < 0) return -1;
  return 0;
}

const struct blk_ops ata_blk_ops = {
    .name = "ata",
    .probe = ata_probe,
    .read = ata_read_sectors,
    .write = ata_write_sectors,
    .flush = ata_flush,
};
