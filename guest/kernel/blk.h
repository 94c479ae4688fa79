/*
 * The block-device seam (docs/disk.md, "The guest's driver seam"): up to two disks
 * (units 0 and 1: the ATA master and slave, or the PV domain's virtual disks 0 and 1) of
 * 512-byte sectors behind the pv_ops table, as the boot protocol chose it. Natively (native, trap,
 * bt) it is the ATA driver (ata.c: polled PIO, one port access per register and per data
 * word); under --mode pv the block front end (blkfront.c: requests in a ring shared with
 * the monitor, one notification per batch). The file system (fs.c) and the raw-device
 * system calls use only these calls. The file system lives on unit 0; the raw-device system
 * calls name the unit.
 */
#ifndef VMLAB_GUEST_BLK_H
#define VMLAB_GUEST_BLK_H

#include "../common/types.h"
#include "pv_ops.h"

#ifndef SECTOR_SIZE
#define SECTOR_SIZE 512u
#endif

#define BLK_UNITS 2

struct blk_ops {
  const char* name; /* "ata" or "blkfront" */
  /* 1 and disk `unit`'s size in sectors, or 0: no such disk. */
  int (*probe)(u32 unit, u32* sectors);
  /* `count` sectors from `lba`; 0, or -1 on an error. A driver may queue writes: their
   * errors are then reported by the next flush (blkfront.c). */
  int (*read)(u32 unit, u32 lba, u32 count, void* buf);
  int (*write)(u32 unit, u32 lba, u32 count, const void* buf);
  /* The writes before it are durable (ATA FLUSH CACHE, BLKIF_OP_FLUSH_DISKCACHE); 0, or -1
   * when it, or a write since the last flush, failed. */
  int (*flush)(u32 unit);
};

/* ata.c, blkfront.c */
extern const struct blk_ops ata_blk_ops;
extern const struct blk_ops blkfront_ops;

/* The raw-disk system calls (blk.c; common/abi.h SYS_blk_*): the last argument is the unit. */
#define BLK_MAX_TRANSFER 256 /* sectors per SYS_blk_read / SYS_blk_write */
int sys_blk_read(u32 lba, u32 count, u32 buf, u32 d);
int sys_blk_write(u32 lba, u32 count, u32 buf, u32 d);
int sys_blk_flush(u32 a, u32 b, u32 c, u32 d);
int sys_blk_sectors(u32 a, u32 b, u32 c, u32 d);

/* Unit 0, the file system's disk (fs.c, bcache.c). */

static inline int blk_probe(u32* sectors) {
  return pv->blk->probe(0, sectors);
}
static inline int blk_read(u32 lba, void* buf) {
  return pv->blk->read(0, lba, 1, buf);
}
static inline int blk_write(u32 lba, const void* buf) {
  return pv->blk->write(0, lba, 1, buf);
}
static inline int blk_read_many(u32 lba, u32 count, void* buf) {
  return pv->blk->read(0, lba, count, buf);
}
static inline int blk_write_many(u32 lba, u32 count, const void* buf) {
  return pv->blk->write(0, lba, count, buf);
}
static inline int blk_flush(void) {
  return pv->blk->flush(0);
}

#endif
