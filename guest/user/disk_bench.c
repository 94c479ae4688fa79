/*
 * The disk workloads (docs/guest.md, "Disk workloads"): block I/O through the guest's
 * file system (SYS_fs_*, kernel/fs.c), never the driver beneath it, so they measure
 * whatever block device the kernel drives (the emulated ATA disk by polled PIO, or the PV
 * block ring). diskread, diskwrite and diskrand empty the kernel's buffer cache before
 * each pass or read (SYS_blk_drop, as a dd benchmark drops Linux's page cache), so they
 * measure the device; filecreate runs from the cache, as lmbench's lat_fs did.
 *
 *   diskread    sequential read of a kib-KiB file in bs-byte requests, as dd does;
 *               one iteration reads the whole file once
 *   diskwrite   sequential overwrite of the same file in bs-byte requests (each request
 *               ends with the file system's FLUSH CACHE); one iteration = the whole file
 *   diskrand    one 4 KiB read at a pseudo-random 4 KiB-aligned offset of the file
 *   filecreate0, filecreate10   create a file of 0 KiB or 10 KiB (one write of its
 *               contents) and delete it: Barham et al. 2003, Table 5's file latencies
 *
 * init runs `disk bench WORKLOAD ITERS FD key=value...` in a child process (so that init,
 * whose size forkwait measures, does not grow) and reads the struct result this program
 * writes to FD. Exit status 0: measured; 1: failed (an `error` line says why); 3: skipped
 * because there is no usable file system (a `skip` line says why).
 */
#include "disk_fs.h"
#include "workloads.h"

#define FILE_NAME "diskbench.dat"
#define CREATE_NAME "filecreate.tmp"
#define MAX_KIB 64u /* the file system's largest file is 69 KiB */
#define RAND_BLOCK 4096u
#define EXIT_SKIP 3

static int argc_;
static char** argv_;

/* The value of key=N among the words after `bench WORKLOAD ITERS FD`, or dflt. */
static u32 arg(const char* key, u32 dflt, bool* ok) {
  const u32 len = strlen(key);
  for (int i = 4; i < argc_; i++) {
    if (strncmp(argv_[i], key, len) == 0 && argv_[i][len] == '=')
      return parse_u32(argv_[i] + len + 1, ok);
  }
  return dflt;
}

/* The byte at offset o of the workloads' file: the same in every mode. */
static u8 pattern(u32 o) {
  return (u8)(o ^ (o >> 8) ^ 0x5A);
}

static u32 xorshift32(u32* state) {
  u32 x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

/* Creates `name` empty (removing an older one): false when the file system cannot, which
 * the workloads report as a skip, not a failure: no disk, no vmlabfs on it, or no inode. */
static bool create_empty(const char* workload, const char* name) {
  fs_unlink(name); /* a missing file is fine */
  if (fs_write(name, 0, "", 0) == 0) return true;
  printf(
      "skip workload=%s reason=\"no usable file system: no disk (--disk), no vmlabfs on it "
      "(vmlab mkfs) or no free inode\"\n",
      workload);
  return false;
}

/* The workloads' file, kib KiB of pattern(), written in 4 KiB requests (not measured). */
static int make_file(u8* buf, u32 bytes) {
  for (u32 i = 0; i < bytes; i++) buf[i] = pattern(i);
  for (u32 off = 0; off < bytes; off += RAND_BLOCK) {
    const u32 n = bytes - off < RAND_BLOCK ? bytes - off : RAND_BLOCK;
    if (fs_write(FILE_NAME, off, buf + off, n) != (int)n) return 1;
  }
  return 0;
}

/* diskread, diskwrite: the whole file once per iteration, bs bytes a request. The check
 * folds the first byte of every request read, which must be the file's. */
static int sequential(bool writing, u32 iters, u32 bs, u32 bytes, u8* buf, struct disk_result* r) {
  u32 check = 0;
  u64 t0 = rdtsc();
  for (u32 i = 0; i < iters; i++) {
    blk_drop();
    for (u32 off = 0; off < bytes; off += bs) {
      const u32 n = bytes - off < bs ? bytes - off : bs;
      const int got =
          writing ? fs_write(FILE_NAME, off, buf + off, n) : fs_read(FILE_NAME, off, buf, n);
      if (got != (int)n || (!writing && buf[0] != pattern(off))) {
        printf("error workload=disk%s offset=%u reason=\"request failed\"\n",
               writing ? "write" : "read", off);
        return 1;
      }
      check = check * 31 + buf[writing ? off : 0];
    }
  }
  r->r.cycles = rdtsc() - t0;
  r->r.has_check = true;
  r->r.check = check;
  r->bytes_per_iter = bytes;
  r->requests_per_iter = (bytes + bs - 1) / bs;
  return 0;
}

/* diskrand: one 4 KiB read per iteration at a xorshift32 offset (Marsaglia 2003, seed
 * 2463534242 as there), so every run reads the same blocks in the same order. */
static int random_reads(u32 iters, u32 bytes, u8* buf, struct disk_result* r) {
  const u32 blocks = bytes / RAND_BLOCK;
  u32 state = 2463534242u, check = 0;
  u64 t0 = rdtsc();
  for (u32 i = 0; i < iters; i++) {
    const u32 off = xorshift32(&state) % blocks * RAND_BLOCK;
    blk_drop();
    if (fs_read(FILE_NAME, off, buf, RAND_BLOCK) != (int)RAND_BLOCK || buf[0] != pattern(off)) {
      printf("error workload=diskrand offset=%u reason=\"request failed\"\n", off);
      return 1;
    }
    check = check * 31 + off / RAND_BLOCK;
  }
  r->r.cycles = rdtsc() - t0;
  r->r.has_check = true;
  r->r.check = check;
  r->bytes_per_iter = RAND_BLOCK;
  r->requests_per_iter = 1;
  return 0;
}

/* filecreate0/10: create (one write of `bytes`), then unlink, each timed on its own. */
static int create_delete(const char* workload, u32 iters, u32 bytes, u8* buf,
                         struct disk_result* r) {
  for (u32 i = 0; i < bytes; i++) buf[i] = pattern(i);
  for (u32 i = 0; i < iters; i++) {
    const u64 t0 = rdtsc();
    const int wrote = fs_write(CREATE_NAME, 0, buf, bytes);
    const u64 t1 = rdtsc();
    const int removed = fs_unlink(CREATE_NAME);
    const u64 t2 = rdtsc();
    if (wrote != (int)bytes || removed != 0) {
      printf("error workload=%s iteration=%u reason=\"create or delete failed\"\n", workload, i);
      return 1;
    }
    r->create_cycles += t1 - t0;
    r->delete_cycles += t2 - t1;
  }
  r->r.cycles = r->create_cycles + r->delete_cycles;
  r->bytes_per_iter = bytes;
  r->requests_per_iter = 2;
  return 0;
}

static int usage(const char* workload, const char* what) {
  printf("error workload=%s reason=\"%s\"\n", workload, what);
  return 2;
}

static int run(const char* w, u32 iters, u8* buf, struct disk_result* r) {
  bool ok = true;
  const u32 kib = arg("kib", MAX_KIB, &ok);
  const u32 bs = arg("bs", 4096, &ok);
  if (!ok) return usage(w, "kib= and bs= take a number");
  const bool filecreate = strncmp(w, "filecreate", 10) == 0;
  if (filecreate) {
    const u32 bytes = strcmp(w, "filecreate0") == 0 ? 0 : 10 * 1024;
    if (!create_empty(w, CREATE_NAME) || fs_unlink(CREATE_NAME) != 0) return EXIT_SKIP;
    return create_delete(w, iters, bytes, buf, r);
  }
  if (kib == 0 || kib > MAX_KIB) return usage(w, "kib= takes 1 to 64 (the file's size in KiB)");
  if (bs == 0 || bs > kib * 1024) return usage(w, "bs= takes 1 to the file's size in bytes");
  if (strcmp(w, "diskrand") == 0 && kib % 4 != 0)
    return usage(w, "kib= takes a multiple of 4 for diskrand");
  if (!create_empty(w, FILE_NAME)) return EXIT_SKIP;
  int status = make_file(buf, kib * 1024);
  if (status == 0) {
    if (strcmp(w, "diskread") == 0)
      status = sequential(false, iters, bs, kib * 1024, buf, r);
    else if (strcmp(w, "diskwrite") == 0)
      status = sequential(true, iters, bs, kib * 1024, buf, r);
    else if (strcmp(w, "diskrand") == 0)
      status = random_reads(iters, kib * 1024, buf, r);
    else
      status = usage(w, "not a disk workload");
  }
  fs_unlink(FILE_NAME);
  return status;
}

int disk_bench(int argc, char** argv) {
  bool ok = argc >= 4;
  const u32 iters = ok ? parse_u32(argv[2], &ok) : 0;
  const u32 fd = ok ? parse_u32(argv[3], &ok) : 0;
  if (!ok || iters == 0) {
    printf("error usage: bench WORKLOAD ITERS FD [kib=N] [bs=N]\n");
    return 2;
  }
  argc_ = argc;
  argv_ = argv;
  struct disk_result r;
  memset(&r, 0, sizeof r);
  u8* buf = mmap(MAX_KIB * 1024);
  if ((i32)(uintptr_t)buf == -1) return 1;
  const int status = run(argv[1], iters, buf, &r);
  munmap(buf, MAX_KIB * 1024);
  if (status == 0 && write((int)fd, &r, sizeof r) != (int)sizeof r) return 1;
  return status;
}
