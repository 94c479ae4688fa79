/*
 * The disk driver seam: one block device of 512-byte sectors, found at boot of the file
 * system (fs.c). ata.c drives the primary ATA channel's master (unit 0) and slave (unit 1) by
 * polled PIO through pv->inb/outb/inw/outw, one port access per register and per data word, as
 * docs/disk.md's cost table counts them.
 */
#ifndef VMLAB_GUEST_ATA_H
#define VMLAB_GUEST_ATA_H

#include "../common/types.h"

#define SECTOR_SIZE 512u

/* The status register's bits (ATA/ATAPI-6, "Status register"), as both paths read them. */
#define ST_BSY 0x80
#define ST_DF 0x20
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define ST_FAILED (ST_ERR | ST_DF) /* the command failed */

/* Looks for the drive `unit` (0 master, 1 slave): 1 and its size in sectors (IDENTIFY
 * words 60-61), or 0. */
int ata_probe(u32 unit, u32* sectors);
/* One sector; 0 on success, -1 on a drive error (ERR set) or no drive. */
int ata_read(u32 unit, u32 lba, void* buf);
int ata_write(u32 unit, u32 lba, const void* buf);
/* FLUSH CACHE: the writes before it are durable. */
int ata_flush(u32 unit);

/* ata.c, the plumbing the PIO and DMA paths share: ata_task writes the task file of `count`
 * sectors (0: 256) at `lba` on `unit` and issues `command`; ata_wait_ready returns the
 * status once BSY is clear (0xFF after a bound). */
void ata_task(u32 unit, u32 lba, u32 count, u8 command);
u8 ata_wait_ready(void);

/* ata_dma.c: bus-master DMA through the PIIX3's IDE function (PCI 00:01.1), when the
 * machine has one (docs/disk.md, "DMA"). ata_dma_probe looks for it once and sets it up;
 * ata_dma_rw moves `count` sectors (at most BLK_MAX_TRANSFER) between `unit` and `buf` with
 * one READ DMA or WRITE DMA per run of up to 128 sectors; 0 or -1. */
bool ata_dma_probe(void);
int ata_dma_rw(u32 unit, u32 lba, u32 count, void* buf, bool read);

#endif
