/*
 * The buffer cache (docs/disk.md, "The buffer cache"): BCACHE_ENTRIES sectors of the disk
 * kept in memory above the block seam (blk.h), so the file system (fs.c) reads a sector
 * from the disk once and writes it back once per flush, whichever driver is beneath:
 * the ATA driver or the PV block front end.
 *
 * Reads: a hit is a copy; a miss reads the sector through the seam (evicting the least
 * recently used clean entry). Writes are write-back: bcache_write only copies into the
 * entry and marks it dirty in the current ordering epoch. bcache_order() closes the epoch:
 * every write before it reaches the disk before any write after it (the ordering the file
 * system's crash safety rests on: soft updates' rules, diskfs.h); writes inside one epoch
 * go out together, each dirty sector once, in sector order. bcache_flush() writes every
 * dirty sector back, epoch by epoch, then flushes the device: after it returns 0 the
 * writes before it are durable. Dirty sectors also go back, in the same epoch order,
 * when the cache has no clean entry left or when a sector dirty in an older epoch is
 * written again (the older epochs first, then the new version may be cached).
 *
 * The seam's drivers complete (ATA) or queue in ring order (blkfront) each write before
 * the next is issued, so issuing the writes in epoch order is what puts them on the disk
 * in that order; a kill leaves the disk as it was after some prefix of those writes.
 */
#ifndef VMLAB_GUEST_BCACHE_H
#define VMLAB_GUEST_BCACHE_H

#include "../common/types.h"

#define BCACHE_ENTRIES 64 /* 32 KiB of sectors */

/* One sector; 0, or -1 (a read error, or no memory for the cache). */
int bcache_read(u32 lba, void* buf);
/* One sector, cached dirty; 0, or -1 when an earlier write-back failed. */
int bcache_write(u32 lba, const void* buf);
/* Ends the current ordering epoch (see above). */
void bcache_order(void);
/* Writes back everything dirty and flushes the device; 0, or -1 when a write or the
 * flush failed. */
int bcache_flush(void);
/* Writes back everything dirty (no device flush) and forgets every entry: the next read
 * of any sector goes to the disk (the disk workloads' drop_caches between passes, and the
 * raw-disk system calls, which bypass the cache). 0, or -1 when a write failed. */
int bcache_drop(void);

/* The system call (common/abi.h SYS_blk_drop). */
int sys_blk_drop(u32 a, u32 b, u32 c, u32 d);

#endif
