/*
 * `disk`: the shell's file commands on the disk's file system (kernel/fs.c,
 * docs/disk.md), a program of its own that the shell fork()s and exec()s, so that
 * init stays as small as the workloads measure it.
 *
 *   ls                   the files and their sizes
 *   cat NAME             a file's contents
 *   write NAME TEXT...   the file becomes the words of TEXT, one blank apart, and a newline
 *   rm NAME              remove a file
 *   fsstress N           N rounds of: create a file of 0-10 KiB (written 512 bytes at a
 *                        time), remove every other one (the durability test kills this)
 *   blkread LBA N [DISK]  N sectors (at most 128) of the raw disk (DISK 0, the file
 *                        system's, or 1, the second --disk) in one request of the block
 *                        seam; prints their byte sum
 *   blkwrite LBA N BYTE [DISK]  N sectors (at most 128) of the value BYTE, then a flush
 *   bench WORKLOAD N ... a disk workload (disk_bench.c), as init runs it for run=disk...
 */
#include "disk_fs.h"

/* blkread and blkwrite: one raw request of up to BLK_SECTORS sectors. The buffer is touched
 * whole first, so that the run's page faults do not depend on N. */
#define BLK_SECTORS 128
static u8 blkbuf[BLK_SECTORS * 512];

static int blk_command(bool write, int argc, char** argv) {
  const int args = write ? 4 : 3; /* without the optional DISK */
  bool ok = argc == args || argc == args + 1;
  const u32 lba = ok ? parse_u32(argv[1], &ok) : 0;
  const u32 n = ok ? parse_u32(argv[2], &ok) : 0;
  const u32 value = ok && write ? parse_u32(argv[3], &ok) : 0;
  const u32 unit = ok && argc == args + 1 ? parse_u32(argv[args], &ok) : 0;
  if (!ok || n == 0 || n > BLK_SECTORS || value > 255 || unit > 1) {
    printf("error usage: %s\n", write ? "blkwrite LBA N BYTE [DISK] (N 1-128, DISK 0-1)"
                                      : "blkread LBA N [DISK] (N 1-128, DISK 0-1)");
    return 2;
  }
  /* The second disk is named in what is printed; the first as before. */
  const char* disk = unit ? " disk=1" : "";
  memset(blkbuf, write ? (int)value : 0, sizeof blkbuf);
  if (write) {
    if (sys4(SYS_blk_write, lba, n, (u32)blkbuf, unit) < 0 ||
        sys4(SYS_blk_flush, unit, 0, 0, 0) < 0) {
      printf("error blkwrite%s %u %u\n", disk, lba, n);
      return 1;
    }
    printf("blkwrite%s lba=%u sectors=%u\n", disk, lba, n);
    return 0;
  }
  if (sys4(SYS_blk_read, lba, n, (u32)blkbuf, unit) < 0) {
    printf("error blkread%s %u %u\n", disk, lba, n);
    return 1;
  }
  u32 sum = 0;
  for (u32 i = 0; i < n * 512; i++) sum += blkbuf[i];
  printf("blkread%s lba=%u sectors=%u sum=%u\n", disk, lba, n, sum);
  return 0;
}

/* "f" and the decimal number: fsstress's file names. */
static void fmt_name(char* name, u32 i) {
  char digits[12];
  u32 n = 0;
  do {
    digits[n++] = (char)('0' + i % 10);
    i /= 10;
  } while (i);
  name[0] = 'f';
  for (u32 k = 0; k < n; k++) name[1 + k] = digits[n - 1 - k];
  name[1 + n] = '\0';
}

static int fsstress(u32 rounds) {
  static char pattern[512 + 26]; /* the alphabet over and over */
  char name[28];
  for (u32 i = 0; i < sizeof pattern; i++) pattern[i] = (char)('a' + i % 26);
  for (u32 i = 0; i < rounds; i++) {
    fmt_name(name, i);
    const u32 size = (i * 2731u) % 10241u; /* 0 to 10 KiB */
    u32 off = 0;
    do {
      const u32 n = size - off < 512 ? size - off : 512;
      if (fs_write(name, off, pattern + off % 26, n) != (int)n) {
        printf("error fsstress write %s\n", name);
        return 1;
      }
      off += n;
    } while (off < size);
    if (i % 2 == 1) {
      fmt_name(name, i - 1);
      if (fs_unlink(name) < 0) {
        printf("error fsstress rm %s\n", name);
        return 1;
      }
    }
    printf("fsstress %u\n", i);
  }
  return 0;
}

int main(int argc, char** argv) {
  char name[28];
  char buf[256];
  if (argc < 1) return 2;
  const char* cmd = argv[0];
  if (strcmp(cmd, "ls") == 0) {
    int size;
    for (u32 i = 0; (size = fs_list(i, name)) >= 0; i++) printf("%s %u\n", name, (u32)size);
    return 0;
  }
  if (strcmp(cmd, "blkread") == 0 || strcmp(cmd, "blkwrite") == 0)
    return blk_command(strcmp(cmd, "blkwrite") == 0, argc, argv);
  if (strcmp(cmd, "bench") == 0) return disk_bench(argc, argv);
  if (strcmp(cmd, "fsstress") == 0) {
    bool ok = argc > 1;
    const u32 rounds = ok ? parse_u32(argv[1], &ok) : 0;
    if (!ok) {
      printf("error usage: fsstress N\n");
      return 2;
    }
    return fsstress(rounds);
  }
  if (argc < 2) {
    printf("error usage: %s NAME%s\n", cmd, strcmp(cmd, "write") == 0 ? " TEXT" : "");
    return 2;
  }
  if (strcmp(cmd, "cat") == 0) {
    int got;
    u32 off = 0;
    while ((got = fs_read(argv[1], off, buf, sizeof buf)) > 0) {
      write(1, buf, (u32)got);
      off += (u32)got;
    }
    if (got < 0) printf("error cat %s\n", argv[1]);
    return got < 0;
  }
  if (strcmp(cmd, "rm") == 0) {
    if (fs_unlink(argv[1]) == 0) return 0;
    printf("error rm %s\n", argv[1]);
    return 1;
  }
  /* write: the words after the name, one blank apart, and a newline. */
  u32 len = 0;
  for (int i = 2; i < argc; i++) {
    for (const char* p = argv[i]; *p && len + 2 < sizeof buf; p++) buf[len++] = *p;
    if (i + 1 < argc && len + 2 < sizeof buf) buf[len++] = ' ';
  }
  buf[len++] = '\n';
  fs_unlink(argv[1]); /* replace: a missing file is fine */
  if (fs_write(argv[1], 0, buf, len) != (int)len) {
    printf("error write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
