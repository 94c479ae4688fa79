/*
 * The guest's file system (fs.h, the format in diskfs.h) above the buffer cache (bcache.h)
 * and the block seam beneath it (blk.h: the ATA driver, or the PV block ring). Each
 * operation's writes are cached (write-back) and grouped into ordering epochs in the
 * crash-safe order diskfs.h gives (bcache_order() between the groups); the operation ends
 * with bcache_flush(), which writes them back epoch by epoch and flushes the device (FLUSH
 * CACHE, or the ring's flush request), so every completed call is durable.
 */
#include "fs.h"

#include "bcache.h"
#include "blk.h"
#include "diskfs.h"
#include "kernel.h"
#include "proc.h"

#define BITS_PER_SECTOR (SECTOR_SIZE * 8)
#define ENTRIES_PER_SECTOR (SECTOR_SIZE / sizeof(struct diskfs_dirent))
#define INODES_PER_SECTOR (SECTOR_SIZE / sizeof(struct diskfs_inode))
#define ROOT 0u

static struct diskfs_super sb;
static bool mounted;
static u8 data[SECTOR_SIZE]; /* file data */
static u8 meta[SECTOR_SIZE]; /* inode, bitmap and directory sectors */
static u32 indirect[DISKFS_PER_INDIRECT];
static bool fresh[DISKFS_MAX_SECTORS]; /* fs_write: the block's sector was just allocated */

static int mount(void) {
  if (mounted) return 0;
  u32 sectors = 0;
  if (!blk_probe(&sectors) || bcache_read(0, meta) < 0) return -1;
  memcpy(&sb, meta, sizeof sb);
  for (u32 i = 0; i < 8; i++) {
    if (sb.magic[i] != DISKFS_MAGIC[i]) return -1;
  }
  if (sb.sectors > sectors || sb.inode_start != DISKFS_INODE_START || sb.inodes != DISKFS_INODES ||
      sb.bitmap_start != DISKFS_BITMAP_START ||
      sb.bitmap_sectors != (sb.sectors + BITS_PER_SECTOR - 1) / BITS_PER_SECTOR ||
      sb.data_start != sb.bitmap_start + sb.bitmap_sectors || sb.data_start >= sb.sectors) {
    return -1;
  }
  mounted = true;
  return 0;
}

static int inode_get(u32 ino, struct diskfs_inode* in) {
  if (bcache_read(sb.inode_start + ino / INODES_PER_SECTOR, meta) < 0) return -1;
  memcpy(in, meta + (ino % INODES_PER_SECTOR) * sizeof *in, sizeof *in);
  return 0;
}

static int inode_put(u32 ino, const struct diskfs_inode* in) {
  const u32 s = sb.inode_start + ino / INODES_PER_SECTOR;
  if (bcache_read(s, meta) < 0) return -1;
  memcpy(meta + (ino % INODES_PER_SECTOR) * sizeof *in, in, sizeof *in);
  return bcache_write(s, meta);
}

/* A sector number from an inode or indirect sector, trusted only inside the data area. */
static bool data_sector_ok(u32 s) {
  return s >= sb.data_start && s < sb.sectors;
}

static int bitmap_set(u32 sector, bool used) {
  const u32 s = sb.bitmap_start + sector / BITS_PER_SECTOR;
  const u32 bit = sector % BITS_PER_SECTOR;
  if (bcache_read(s, meta) < 0) return -1;
  if (used)
    meta[bit / 8] |= (u8)(1u << (bit % 8));
  else
    meta[bit / 8] &= (u8) ~(1u << (bit % 8));
  return bcache_write(s, meta);
}

/* The lowest free data sector, marked in use; 0 when the disk is full. */
static u32 alloc_sector(void) {
  for (u32 b = 0; b < sb.bitmap_sectors; b++) {
    if (bcache_read(sb.bitmap_start + b, meta) < 0) return 0;
    for (u32 bit = 0; bit < BITS_PER_SECTOR; bit++) {
      const u32 sector = b * BITS_PER_SECTOR + bit;
      if (sector >= sb.sectors) return 0;
      if (sector < sb.data_start || (meta[bit / 8] & (1u << (bit % 8)))) continue;
      meta[bit / 8] |= (u8)(1u << (bit % 8));
      return bcache_write(sb.bitmap_start + b, meta) < 0 ? 0 : sector;
    }
  }
  return 0;
}

/* The sector holding block `idx` of `in`; 0 for a hole or an error. */
static u32 bmap(const struct diskfs_inode* in, u32 idx) {
  if (idx < DISKFS_DIRECT) return data_sector_ok(in->direct[idx]) ? in->direct[idx] : 0;
  idx -= DISKFS_DIRECT;
  if (idx >= DISKFS_PER_INDIRECT || !data_sector_ok(in->indirect) ||
      bcache_read(in->indirect, indirect) < 0) {
    return 0;
  }
  return data_sector_ok(indirect[idx]) ? indirect[idx] : 0;
}

static bool name_ok(const char* name) {
  const u32 n = strlen(name);
  if (n == 0 || n > DISKFS_NAME_MAX) return false;
  for (u32 i = 0; i < n; i++) {
    if (name[i] == '/' || name[i] < ' ') return false;
  }
  return true;
}

static bool name_eq(const char* a, const char* b) {
  for (u32 i = 0; i <= DISKFS_NAME_MAX; i++) {
    if (a[i] != b[i]) return false;
    if (!a[i]) return true;
  }
  return false;
}

/* Finds `name` in the root directory: its inode number (0: none) and where its entry is
 * (or the first free entry, *slot_sector 0 if none). */
static u32 lookup(const char* name, u32* slot_sector, u32* slot) {
  struct diskfs_inode root;
  *slot_sector = 0;
  if (inode_get(ROOT, &root) < 0) return 0;
  for (u32 idx = 0; idx < root.size / SECTOR_SIZE; idx++) {
    const u32 s = bmap(&root, idx);
    if (s == 0 || bcache_read(s, meta) < 0) return 0;
    const struct diskfs_dirent* e = (const struct diskfs_dirent*)meta;
    for (u32 i = 0; i < ENTRIES_PER_SECTOR; i++) {
      if (e[i].inode != 0 && name_eq(e[i].name, name)) {
        *slot_sector = s;
        *slot = i;
        return e[i].inode < DISKFS_INODES ? e[i].inode : 0;
      }
      if (e[i].inode == 0 && *slot_sector == 0) {
        *slot_sector = s;
        *slot = i;
      }
    }
  }
  return 0;
}

/* A new empty file named `name`: its inode, then (an epoch later) the entry that names
 * it; when the directory is full, a new directory sector holding the entry, then (an
 * epoch later) the root inode that points to it. */
static u32 create(const char* name, u32 slot_sector, u32 slot) {
  struct diskfs_inode in;
  u32 ino = 0;
  for (u32 i = 1; i < DISKFS_INODES && ino == 0; i++) {
    if (inode_get(i, &in) < 0) return 0;
    if (in.type == DISKFS_TYPE_FREE) ino = i;
  }
  if (ino == 0) return 0;
  memset(&in, 0, sizeof in);
  in.type = DISKFS_TYPE_FILE;
  if (inode_put(ino, &in) < 0) return 0;
  bcache_order();
  struct diskfs_inode root;
  const bool grow = slot_sector == 0;
  if (grow) {  // the directory is full: one more sector for it (directories stay direct)
    if (inode_get(ROOT, &root) < 0 || root.size / SECTOR_SIZE >= DISKFS_DIRECT) return 0;
    slot_sector = alloc_sector();
    if (slot_sector == 0) return 0;
    memset(meta, 0, SECTOR_SIZE);
    slot = 0;
  } else if (bcache_read(slot_sector, meta) < 0) {
    return 0;
  }
  struct diskfs_dirent* e = (struct diskfs_dirent*)meta + slot;
  memset(e, 0, sizeof *e);
  e->inode = ino;
  memcpy(e->name, name, strlen(name));
  if (bcache_write(slot_sector, meta) < 0) return 0;
  bcache_order();
  if (grow) {
    root.direct[root.size / SECTOR_SIZE] = slot_sector;
    root.size += SECTOR_SIZE;
    if (inode_put(ROOT, &root) < 0) return 0;
    bcache_order();
  }
  return ino;
}

int fs_read(const char* name, u32 off, void* buf, u32 len) {
  u32 slot_sector, slot;
  struct diskfs_inode in;
  if (mount() < 0 || !name_ok(name)) return -1;
  const u32 ino = lookup(name, &slot_sector, &slot);
  if (ino == 0 || inode_get(ino, &in) < 0 || in.type != DISKFS_TYPE_FILE) return -1;
  if (off >= in.size) return 0;
  if (len > in.size - off) len = in.size - off;
  u8* out = buf;
  for (u32 done = 0; done < len;) {
    const u32 pos = off + done;
    const u32 within = pos % SECTOR_SIZE;
    const u32 n = len - done < SECTOR_SIZE - within ? len - done : SECTOR_SIZE - within;
    const u32 s = bmap(&in, pos / SECTOR_SIZE);
    if (s == 0)
      memset(data, 0, SECTOR_SIZE);
    else if (bcache_read(s, data) < 0)
      return -1;
    memcpy(out + done, data + within, n);
    done += n;
  }
  return (int)len;
}

/* Gives blocks [first, end) of `in` their sectors, allocating the missing ones (and the
 * indirect sector) in the bitmap; the pointers change only in `in` and `indirect`. Returns
 * the end of the blocks that have a sector (below `end` when the disk is full). */
static u32 allocate(struct diskfs_inode* in, u32 first, u32 end, bool* indirect_changed) {
  *indirect_changed = false;
  bool indirect_loaded = false;
  for (u32 idx = first; idx < end; idx++) {
    fresh[idx] = false;
    u32* ptr;
    if (idx < DISKFS_DIRECT) {
      ptr = &in->direct[idx];
    } else {
      if (!indirect_loaded) {
        if (in->indirect == 0) {
          const u32 s = alloc_sector();
          if (s == 0) return idx;
          in->indirect = s;
          memset(indirect, 0, sizeof indirect);
          *indirect_changed = true;
        } else if (!data_sector_ok(in->indirect) || bcache_read(in->indirect, indirect) < 0) {
          return idx;
        }
        indirect_loaded = true;
      }
      ptr = &indirect[idx - DISKFS_DIRECT];
    }
    if (*ptr == 0) {
      const u32 s = alloc_sector();
      if (s == 0) return idx;
      *ptr = s;
      fresh[idx] = true;
      if (idx >= DISKFS_DIRECT) *indirect_changed = true;
    } else if (!data_sector_ok(*ptr)) {
      return idx;
    }
  }
  return end;
}

/* Three epochs: the bitmap's allocations; then the data and the indirect sector that
 * points to it; then the inode with the new pointers and size. */
int fs_write(const char* name, u32 off, const void* buf, u32 len) {
  u32 slot_sector, slot;
  struct diskfs_inode in;
  if (mount() < 0 || !name_ok(name)) return -1;
  if (off > DISKFS_MAX_SECTORS * SECTOR_SIZE || len > DISKFS_MAX_SECTORS * SECTOR_SIZE - off)
    return -1;
  u32 ino = lookup(name, &slot_sector, &slot);
  if (ino == 0) ino = create(name, slot_sector, slot);
  if (ino == 0 || inode_get(ino, &in) < 0 || in.type != DISKFS_TYPE_FILE) return -1;
  const u32 first = off / SECTOR_SIZE;
  const u32 end = len == 0 ? first : (off + len + SECTOR_SIZE - 1) / SECTOR_SIZE;
  bool indirect_changed;
  const u32 got = allocate(&in, first, end, &indirect_changed);
  int result = (int)len;
  if (got < end) {  // no space: write what fits
    result = -1;
    len = got * SECTOR_SIZE > off ? got * SECTOR_SIZE - off : 0;
  }
  bcache_order();
  const u8* src = buf;
  for (u32 done = 0; done < len;) {
    const u32 pos = off + done;
    const u32 within = pos % SECTOR_SIZE;
    const u32 n = len - done < SECTOR_SIZE - within ? len - done : SECTOR_SIZE - within;
    const u32 idx = pos / SECTOR_SIZE;
    const u32 s = idx < DISKFS_DIRECT ? in.direct[idx] : indirect[idx - DISKFS_DIRECT];
    if (fresh[idx])
      memset(data, 0, SECTOR_SIZE);
    else if (n < SECTOR_SIZE && bcache_read(s, data) < 0)
      return -1;
    memcpy(data + within, src + done, n);
    if (bcache_write(s, data) < 0) return -1;
    fresh[idx] = false; /* a second write into the block keeps the first */
    done += n;
    if (pos + n > in.size) in.size = pos + n;
  }
  if (indirect_changed && bcache_write(in.indirect, indirect) < 0) return -1;
  bcache_order();
  if (inode_put(ino, &in) < 0) return -1;
  return bcache_flush() < 0 ? -1 : result;
}

/* Three epochs: the entry; the inode; the bitmap bits of its sectors. */
int fs_unlink(const char* name) {
  u32 slot_sector, slot;
  struct diskfs_inode in;
  if (mount() < 0 || !name_ok(name)) return -1;
  const u32 ino = lookup(name, &slot_sector, &slot);
  if (ino == 0 || inode_get(ino, &in) < 0) return -1;
  if (bcache_read(slot_sector, meta) < 0) return -1;
  memset((struct diskfs_dirent*)meta + slot, 0, sizeof(struct diskfs_dirent));
  if (bcache_write(slot_sector, meta) < 0) return -1;
  bcache_order();
  struct diskfs_inode freed;
  memset(&freed, 0, sizeof freed);
  if (inode_put(ino, &freed) < 0) return -1;
  bcache_order();
  for (u32 i = 0; i < DISKFS_DIRECT; i++) {
    if (data_sector_ok(in.direct[i])) bitmap_set(in.direct[i], false);
  }
  if (data_sector_ok(in.indirect) && bcache_read(in.indirect, indirect) == 0) {
    for (u32 i = 0; i < DISKFS_PER_INDIRECT; i++) {
      if (data_sector_ok(indirect[i])) bitmap_set(indirect[i], false);
    }
    bitmap_set(in.indirect, false);
  }
  return bcache_flush();
}

int fs_list(u32 index, char* name) {
  struct diskfs_inode root, in;
  if (mount() < 0 || inode_get(ROOT, &root) < 0) return -1;
  u32 seen = 0;
  for (u32 idx = 0; idx < root.size / SECTOR_SIZE; idx++) {
    const u32 s = bmap(&root, idx);
    if (s == 0 || bcache_read(s, meta) < 0) return -1;
    const struct diskfs_dirent* e = (const struct diskfs_dirent*)meta;
    for (u32 i = 0; i < ENTRIES_PER_SECTOR; i++) {
      if (e[i].inode == 0 || e[i].inode >= DISKFS_INODES || seen++ != index) continue;
      memcpy(name, e[i].name, DISKFS_NAME_MAX);
      name[DISKFS_NAME_MAX] = '\0';
      const u32 ino = e[i].inode;
      return inode_get(ino, &in) < 0 ? -1 : (int)in.size;
    }
  }
  return -1;
}

/* ---- System calls (syscall.c's table) ---- */

#define NAME_BYTES (DISKFS_NAME_MAX + 1)

int sys_fs_read(u32 name_u, u32 off, u32 buf, u32 len) {
  if (!user_string_ok(name_u, NAME_BYTES) || !user_range_ok(buf, len, true)) return -1;
  return fs_read((const char*)name_u, off, (void*)buf, len);
}

int sys_fs_write(u32 name_u, u32 off, u32 buf, u32 len) {
  if (!user_string_ok(name_u, NAME_BYTES) || !user_range_ok(buf, len, false)) return -1;
  return fs_write((const char*)name_u, off, (const void*)buf, len);
}

int sys_fs_unlink(u32 name_u, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  if (!user_string_ok(name_u, NAME_BYTES)) return -1;
  return fs_unlink((const char*)name_u);
}

int sys_fs_list(u32 index, u32 name_u, u32 c, u32 d) {
  (void)c, (void)d;
  if (!user_range_ok(name_u, NAME_BYTES, true)) return -1;
  char name[NAME_BYTES];
  const int size = fs_list(index, name);
  if (size >= 0) memcpy((void*)name_u, name, NAME_BYTES);
  return size;
}
