/*
 * The on-disk format of the guest's file system, "vmlabfs" (docs/disk.md, "The file
 * system"). `vmlab mkfs` and `vmlab fsck` (frontend/diskfs.*) read and write the same layout.
 * All numbers little-endian; a block is one 512-byte sector.
 *
 *   sector 0                      superblock
 *   sectors 1..8                  inode table: 64 inodes of 64 bytes; inode 0 is the root
 *                                 directory, the only directory
 *   bitmap_start..+bitmap_sectors one bit per sector of the disk, 1 = in use (the
 *                                 superblock, inode table and bitmap are marked in use)
 *   data_start..                  file and directory blocks
 *
 * An inode has 10 direct sector numbers and one indirect sector of 128 more: a file holds
 * at most 138 sectors (69 KiB). The root directory's blocks hold 32-byte entries; an entry
 * whose inode is 0 is free.
 *
 * Crash consistency without a journal: every operation writes in an order after which a
 * crash leaves at worst leaked inodes or sectors (allocated, referenced by nothing), which
 * fsck reports and mkfs-free repair is not needed for; never a sector referenced twice or
 * an entry naming a free inode. Create: inode, then entry. Grow: data and bitmap, then
 * the indirect sector, then the inode. Unlink: entry, then inode, then bitmap. Each
 * operation ends with FLUSH CACHE.
 */
#ifndef VMLAB_GUEST_DISKFS_H
#define VMLAB_GUEST_DISKFS_H

#include "../common/types.h"

#define DISKFS_MAGIC "VMLABFS1"
#define DISKFS_INODE_START 1u
#define DISKFS_INODES 64u
#define DISKFS_INODE_SECTORS 8u
#define DISKFS_BITMAP_START 9u
#define DISKFS_DIRECT 10u
#define DISKFS_PER_INDIRECT 128u
#define DISKFS_MAX_SECTORS (DISKFS_DIRECT + DISKFS_PER_INDIRECT)
#define DISKFS_NAME_MAX 27u /* plus the terminating NUL */
#define DISKFS_TYPE_FREE 0u
#define DISKFS_TYPE_FILE 1u
#define DISKFS_TYPE_DIR 2u

struct diskfs_super {
  char magic[8];
  u32 sectors;        /* the disk's size */
  u32 inode_start;    /* DISKFS_INODE_START */
  u32 inodes;         /* DISKFS_INODES */
  u32 bitmap_start;   /* DISKFS_BITMAP_START */
  u32 bitmap_sectors; /* ceil(sectors / 4096) */
  u32 data_start;     /* bitmap_start + bitmap_sectors */
};

struct diskfs_inode {
  u32 type; /* DISKFS_TYPE_* */
  u32 size; /* bytes */
  u32 direct[DISKFS_DIRECT];
  u32 indirect; /* 0: none */
  u32 reserved[3];
};

struct diskfs_dirent {
  u32 inode; /* 0: a free entry */
  char name[DISKFS_NAME_MAX + 1];
};

_Static_assert(sizeof(struct diskfs_inode) == 64, "inode size");
_Static_assert(sizeof(struct diskfs_dirent) == 32, "entry size");

#endif
