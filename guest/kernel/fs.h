/*
 * The guest's file system on the ATA disk (diskfs.h, docs/disk.md): one flat root
 * directory of files, mounted on first use. Names are 1-27 characters without '/'.
 * Every call returns -1 on error: no disk, no file system, a bad name, no space.
 */
#ifndef VMLAB_GUEST_FS_H
#define VMLAB_GUEST_FS_H

#include "../common/types.h"

/* Reads up to len bytes of `name` from `off` into buf; bytes read, 0 at the end. */
int fs_read(const char* name, u32 off, void* buf, u32 len);
/* Writes len bytes at `off` (creating the file if missing; a gap reads as zeros);
 * bytes written. */
int fs_write(const char* name, u32 off, const void* buf, u32 len);
/* Removes `name`; 0. */
int fs_unlink(const char* name);
/* The index-th file of the directory: copies its name (28 bytes) and returns its size,
 * or -1 past the last. */
int fs_list(u32 index, char* name);

/* The system calls (common/abi.h SYS_fs_*), for syscall.c's table. */
int sys_fs_read(u32 name_u, u32 off, u32 buf, u32 len);
int sys_fs_write(u32 name_u, u32 off, u32 buf, u32 len);
int sys_fs_unlink(u32 name_u, u32 b, u32 c, u32 d);
int sys_fs_list(u32 index, u32 name_u, u32 c, u32 d);

#endif
