/*
 * The buffer cache (bcache.h; docs/disk.md, "The buffer cache").
 */
#include "bcache.h"

#include "blk.h"
#include "kernel.h"
#include "mm.h"

#define SECTORS_PER_PAGE (PAGE_SIZE / SECTOR_SIZE)
#define RUN_MAX SECTORS_PER_PAGE /* sectors in one write request: one page */

struct entry {
  u32 lba;
  u32 epoch; /* the ordering epoch of a dirty entry */
  u32 used;  /* LRU stamp */
  bool valid, dirty;
  u8* data;
};

static struct entry cache[BCACHE_ENTRIES];
static u8* run_buf; /* a run of consecutive dirty sectors, RUN_MAX at most */
static bool ready;
static u32 epoch = 1, clock;
static bool epoch_written; /* a write in the current epoch */
static bool failed;        /* a write-back failed since the last flush */

static bool setup(void) {
  if (ready) return true;
  for (u32 p = 0; p < BCACHE_ENTRIES / SECTORS_PER_PAGE; p++) {
    const u32 pa = pmm_alloc();
    if (!pa) return false;
    for (u32 k = 0; k < SECTORS_PER_PAGE; k++)
      cache[p * SECTORS_PER_PAGE + k].data = (u8*)P2V(pa) + k * SECTOR_SIZE;
  }
  const u32 pa = pmm_alloc();
  if (!pa) return false;
  run_buf = P2V(pa);
  ready = true;
  return true;
}

static struct entry* find(u32 lba) {
  for (u32 i = 0; i < BCACHE_ENTRIES; i++) {
    if (cache[i].valid && cache[i].lba == lba) return &cache[i];
  }
  return 0;
}

/* The dirty entry of epoch `e` with the lowest sector at or above `from`, or none. */
static struct entry* next_dirty(u32 e, u32 from) {
  struct entry* best = 0;
  for (u32 i = 0; i < BCACHE_ENTRIES; i++) {
    struct entry* x = &cache[i];
    if (x->valid && x->dirty && x->epoch == e && x->lba >= from && (!best || x->lba < best->lba))
      best = x;
  }
  return best;
}

/* Writes epoch `e` back: its dirty sectors in sector order, consecutive ones as one
 * request of up to RUN_MAX sectors. */
static void write_epoch(u32 e) {
  u32 from = 0;
  for (struct entry* x = next_dirty(e, 0); x; x = next_dirty(e, from)) {
    u32 n = 0;
    const u32 start = x->lba;
    for (struct entry* y = x; y && n < RUN_MAX; y = n < RUN_MAX ? next_dirty(e, start + n) : 0) {
      if (y->lba != start + n) break;
      memcpy(run_buf + n * SECTOR_SIZE, y->data, SECTOR_SIZE);
      y->dirty = false;
      n++;
    }
    if (blk_write_many(start, n, run_buf) < 0) failed = true;
    from = start + n;
    if (from < start) break; /* the last sector of a 2^32-sector disk */
  }
}

/* Writes back every epoch up to `last`, oldest first. */
static void write_back(u32 last) {
  for (;;) {
    u32 oldest = 0;
    for (u32 i = 0; i < BCACHE_ENTRIES; i++) {
      const struct entry* x = &cache[i];
      if (x->valid && x->dirty && x->epoch <= last && (oldest == 0 || x->epoch < oldest))
        oldest = x->epoch;
    }
    if (oldest == 0) return;
    write_epoch(oldest);
  }
}

/* An entry for `lba`, not yet valid: the least recently used clean one (everything
 * dirty goes back first when none is clean). */
static struct entry* claim(u32 lba) {
  struct entry* victim = 0;
  for (int pass = 0; pass < 2 && !victim; pass++) {
    for (u32 i = 0; i < BCACHE_ENTRIES; i++) {
      struct entry* x = &cache[i];
      if (!x->valid) {
        victim = x;
        break;
      }
      if (!x->dirty && (!victim || x->used < victim->used)) victim = x;
    }
    if (!victim) write_back(0xFFFFFFFFu);
  }
  victim->valid = false;
  victim->dirty = false;
  victim->lba = lba;
  return victim;
}

int bcache_read(u32 lba, void* buf) {
  if (!setup()) return -1;
  struct entry* x = find(lba);
  if (!x) {
    x = claim(lba);
    if (blk_read(lba, x->data) < 0) return -1;
    x->valid = true;
  }
  x->used = ++clock;
  memcpy(buf, x->data, SECTOR_SIZE);
  return 0;
}

int bcache_write(u32 lba, const void* buf) {
  if (!setup()) return -1;
  struct entry* x = find(lba);
  if (x && x->dirty && x->epoch != epoch) write_back(x->epoch); /* the older version first */
  if (!x) x = claim(lba);
  memcpy(x->data, buf, SECTOR_SIZE);
  x->valid = true;
  x->dirty = true;
  x->epoch = epoch;
  x->used = ++clock;
  epoch_written = true;
  return failed ? -1 : 0;
}

void bcache_order(void) {
  if (epoch_written) {
    epoch++;
    epoch_written = false;
  }
}

int bcache_flush(void) {
  if (!ready) return blk_flush();
  write_back(0xFFFFFFFFu);
  bcache_order();
  const bool write_failed = failed;
  failed = false;
  return blk_flush() < 0 || write_failed ? -1 : 0;
}

int bcache_drop(void) {
  if (!ready) return 0;
  write_back(0xFFFFFFFFu);
  bcache_order();
  for (u32 i = 0; i < BCACHE_ENTRIES; i++) cache[i].valid = false;
  const bool write_failed = failed;
  failed = false;
  return write_failed ? -1 : 0;
}

int sys_blk_drop(u32 a, u32 b, u32 c, u32 d) {
  (void)a, (void)b, (void)c, (void)d;
  return bcache_drop();
}
