/*
 * The raw-disk system calls (common/abi.h SYS_blk_*): sectors of disk `unit` (0 or 1)
 * straight through the block seam (blk.h), with the same checks the file system's calls
 * make. A disk is probed at its first call. They bypass the buffer cache (bcache.h), which
 * holds unit 0's sectors: a call on unit 0 writes back anything dirty and forgets what the
 * cache holds first, so neither sees stale sectors.
 */
#include "blk.h"

#include "bcache.h"

#include "kernel.h"
#include "proc.h"

static bool probed[BLK_UNITS], present[BLK_UNITS];
static u32 disk_sectors[BLK_UNITS];

static bool have_disk(u32 unit) {
  if (unit >= BLK_UNITS) return false;
  if (!probed[unit]) {
    probed[unit] = true;
    present[unit] = pv->blk->probe(unit, &disk_sectors[unit]) == 1;
  }
  return present[unit];
}

static bool range_ok(u32 unit, u32 lba, u32 count) {
  return count <= BLK_MAX_TRANSFER && lba < disk_sectors[unit] && count <= disk_sectors[unit] - lba;
}

int sys_blk_read(u32 lba, u32 count, u32 buf, u32 unit) {
  if (!have_disk(unit) || !range_ok(unit, lba, count) ||
      !user_range_ok(buf, count * SECTOR_SIZE, true))
    return -1;
  if (unit == 0 && bcache_drop() < 0) return -1;
  return pv->blk->read(unit, lba, count, (void*)buf);
}

int sys_blk_write(u32 lba, u32 count, u32 buf, u32 unit) {
  if (!have_disk(unit) || !range_ok(unit, lba, count) ||
      !user_range_ok(buf, count * SECTOR_SIZE, false))
    return -1;
  if (unit == 0 && bcache_drop() < 0) return -1;
  return pv->blk->write(unit, lba, count, (const void*)buf);
}

int sys_blk_flush(u32 unit, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  if (!have_disk(unit)) return -1;
  return unit == 0 ? bcache_flush() : pv->blk->flush(unit);
}

int sys_blk_sectors(u32 unit, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  if (!have_disk(unit)) return -1;
  return (int)(disk_sectors[unit] > 0x7FFFFFFFu ? 0x7FFFFFFFu : disk_sectors[unit]);
}
