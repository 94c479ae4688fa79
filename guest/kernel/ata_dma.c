/*
 * Bus-master DMA for the ATA driver (ata.c), through the PIIX3's IDE function at PCI
 * 00:01.1 (Intel 82371SB, 8086:7010) as QEMU's pc machine and vmlab with a disk have it
 * (docs/disk.md, "DMA"; the register block of SFF-8038i at BAR4). A request is one READ
 * DMA or WRITE DMA: the physical region descriptor (PRD) table names the buffer, the drive
 * moves the sectors itself, and the driver makes a few port accesses per request, whatever
 * its size, where PIO makes one per data word.
 *
 * Polled, as the PIO driver: nIEN stays set, so the drive never interrupts; the engine
 * clears its active bit when the transfer is over. The PRD table lives in a page of its own
 * whose address is written to the bus master once. A buffer in the kernel's direct map
 * (the buffer cache, the kernel's own) is transferred in place; any other (a user buffer of
 * the raw-disk system calls) goes through a bounce page, eight sectors at a time.
 */
#include "ata.h"

#include "blk.h"
#include "kernel.h"
#include "mm.h"
#include "pv_ops.h"
#include "x86.h"

#define PCI_ADDRESS 0xCF8
#define PCI_DATA 0xCFC
#define PCI_IDE (0x80000000u | 1u << 11 | 1u << 8) /* bus 0, device 1, function 1 */
#define PIIX3_IDE_ID 0x70108086u
#define BM_COMMAND 0
#define BM_STATUS 2
#define BM_PRD 4
#define BM_START 0x01
#define BM_TO_MEMORY 0x08
#define BM_ACTIVE 0x01
#define BM_ERROR 0x02
#define BM_INTERRUPT 0x04
#define RUN_MAX 128u /* sectors per command: 64 KiB, at most two PRDs */
#define PRD_END 0x80000000u

struct prd {
  u32 address;
  u32 count;
};

static bool probed, found;
static u16 bm;            /* the register block's port base (BAR4) */
static struct prd* prds;  /* the table, in a page of its own */
static u8* bounce;        /* a page for buffers outside the direct map */

static u32 pci_read(u32 reg) {
  pv->outl(PCI_ADDRESS, PCI_IDE | reg);
  return pv->inl(PCI_DATA);
}

static void pci_write(u32 reg, u32 value) {
  pv->outl(PCI_ADDRESS, PCI_IDE | reg);
  pv->outl(PCI_DATA, value);
}

bool ata_dma_probe(void) {
  if (probed) return found;
  probed = true;
  if (!pv->inl || !pv->outl) return false;
  if (pci_read(0x00) != PIIX3_IDE_ID) return false;
  /* Programming interface bit 7: a bus master; BAR4 an I/O range. */
  if (!(pci_read(0x08) & 0x8000)) return false;
  const u32 bar4 = pci_read(0x20);
  if (!(bar4 & 1) || (bar4 & 0xFFF0) == 0 || bar4 > 0xFFFF) return false;
  const u32 table = pmm_alloc(), page = pmm_alloc();
  if (!table || !page) return false;
  bm = (u16)(bar4 & 0xFFF0);
  prds = P2V(table);
  bounce = P2V(page);
  /* I/O space and bus mastering on (command bits 0 and 2). */
  pci_write(0x04, (pci_read(0x04) & 0xFFFF) | 0x05);
  pv->outl(bm + BM_PRD, table);
  pv->outb(bm + BM_STATUS, BM_ERROR | BM_INTERRUPT);
  found = true;
  return true;
}

/* Whether [va, va + len) lies in the kernel's direct map, physically contiguous. */
static bool direct(const void* va, u32 len) {
  const u32 a = (u32)va;
  return a >= KERNBASE && a - KERNBASE < phys_top && len <= phys_top - (a - KERNBASE);
}

/* One command of `count` sectors (at most RUN_MAX) at physical `pa`. */
static int transfer(u32 unit, u32 lba, u32 count, u32 pa, bool read) {
  /* PRDs must not cross a 64 KiB boundary (SFF-8038i 2.3); a count of 0 is 64 KiB. */
  u32 left = count * SECTOR_SIZE, n = 0;
  while (left > 0) {
    const u32 room = 0x10000 - (pa & 0xFFFF);
    const u32 bytes = left < room ? left : room;
    prds[n].address = pa;
    prds[n].count = (bytes & 0xFFFF) | (bytes == left ? PRD_END : 0);
    pa += bytes;
    left -= bytes;
    n++;
  }
  const u8 direction = read ? BM_TO_MEMORY : 0;
  ata_task(unit, lba, count, read ? 0xC8 : 0xCA);
  pv->outb(bm + BM_COMMAND, direction | BM_START);
  u8 s = BM_ACTIVE;
  for (u32 i = 0; i < 1000000 && (s & BM_ACTIVE); i++) s = pv->inb(bm + BM_STATUS);
  pv->outb(bm + BM_COMMAND, direction); /* stop */
  const u8 drive = ata_wait_ready();
  if ((s & (BM_ACTIVE | BM_ERROR)) || (drive & ST_FAILED)) {
    pv->outb(bm + BM_STATUS, BM_ERROR | BM_INTERRUPT);
    return -1;
  }
  return 0;
}

int ata_dma_rw(u32 unit, u32 lba, u32 count, void* buf, bool read) {
  u8* p = buf;
  if (direct(buf, count * SECTOR_SIZE)) {
    while (count > 0) {
      const u32 n = count < RUN_MAX ? count : RUN_MAX;
      if (transfer(unit, lba, n, V2P(p), read) < 0) return -1;
      lba += n;
      count -= n;
      p += n * SECTOR_SIZE;
    }
    return 0;
  }
  const u32 per_page = PAGE_SIZE / SECTOR_SIZE;
  while (count > 0) {
    const u32 n = count < per_page ? count : per_page;
    if (!read) memcpy(bounce, p, n * SECTOR_SIZE);
    if (transfer(unit, lba, n, V2P(bounce), read) < 0) return -1;
    if (read) memcpy(p, bounce, n * SECTOR_SIZE);
    lba += n;
    count -= n;
    p += n * SECTOR_SIZE;
  }
  return 0;
}
