/*
 * The raw-disk system calls (common/abi.h SYS_blk_*): sectors of the disk straight through
 * the block seam (blk.h), with the same checks the file system's calls make. The disk is
 * probed at the first call. They bypass the buffer cache (bcache.h), which writes back
 * anything dirty and forgets what it holds first, so neither sees stale sectors.
 */
#include "blk.h"

#include "bcache.h"

#include "kernel.h"
#include "proc.h"

static bool probed, present;
static u32 disk_sectors;

static bool have_disk(void) {
  if (!probed) {
    probed = true;
    present = blk_probe(&disk_sectors) == 1;
  }
  return present;
}

static bool range_ok(u32 lba, u32 count) {
  return count <= BLK_MAX_TRANSFER && lba < disk_sectors && count <= disk_sectors - lba;
}

int sys_blk_read(u32 lba, u32 count, u32 buf, u32 d) {
  (void)d;
  if (!have_disk() || !range_ok(lba, count) || !user_range_ok(buf, count * SECTOR_SIZE, true))
    return -1;
  if (bcache_drop() < 0) return -1;
  return blk_read_many(lba, count, (void*)buf);
}

int sys_blk_write(u32 lba, u32 count, u32 buf, u32 d) {
  (void)d;
  if (!have_disk() || !range_ok(lba, count) || !user_range_ok(buf, count * SECTOR_SIZE, false))
    return -1;
  if (bcache_drop() < 0) return -1;
  return blk_write_many(lba, count, (const void*)buf);
}

int sys_blk_flush(u32 a, u32 b, u32 c, u32 d) {
  (void)a, (void)b, (void)c, (void)d;
  return have_disk() ? bcache_flush() : -1;
}

int sys_blk_sectors(u32 a, u32 b, u32 c, u32 d) {
  (void)a, (void)b, (void)c, (void)d;
  return have_disk() ? (int)(disk_sectors > 0x7FFFFFFFu ? 0x7FFFFFFFu : disk_sectors) : -1;
}
