/*
 * The file-system system calls (SYS_fs_*, docs/guest.md) as the `disk` program calls
 * them: the guest kernel's file system (kernel/fs.c) on whatever block device it has.
 */
#ifndef VMLAB_GUEST_DISK_FS_H
#define VMLAB_GUEST_DISK_FS_H

#include "ulib.h"

static inline int sys4(u32 nr, u32 a, u32 b, u32 c, u32 d) {
  int ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
  return ret;
}
static inline int fs_read(const char* name, u32 off, void* buf, u32 len) {
  return sys4(SYS_fs_read, (u32)name, off, (u32)buf, len);
}
static inline int fs_write(const char* name, u32 off, const void* buf, u32 len) {
  return sys4(SYS_fs_write, (u32)name, off, (u32)buf, len);
}
static inline int fs_unlink(const char* name) {
  return sys4(SYS_fs_unlink, (u32)name, 0, 0, 0);
}
static inline int fs_list(u32 index, char* name) {
  return sys4(SYS_fs_list, index, (u32)name, 0, 0);
}
/* Empties the kernel's buffer cache (after writing back what is dirty): the next reads go
 * to the disk, as `echo 3 > /proc/sys/vm/drop_caches` before a dd run on Linux. */
static inline int blk_drop(void) {
  return sys4(SYS_blk_drop, 0, 0, 0, 0);
}

/* disk_bench.c: `disk bench WORKLOAD ITERS [key=value...]`, the disk workloads, run by
 * init (workloads.c) in a child process; the result goes back through fd 3's pipe. */
int disk_bench(int argc, char** argv);

#endif
