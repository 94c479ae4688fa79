/*
 * The workloads, after Adams & Agesen 2006 (nanobenchmarks, forkwait) and
 * Barham et al. 2003 (lmbench). docs/guest.md says what each one measures and
 * how it relates to the paper's definition.
 *
 * Each is timed with RDTSC around the measured loop only. Under the simulated
 * machine RDTSC returns modeled cycles, so the numbers are the model's.
 */
#include "workloads.h"

#define PAGE 4096u
#define MAX_EXEC_ARGS 16 /* kernel/kernel.h MAX_ARGS */

/* ---- Adams & Agesen nanobenchmarks ---- */

static int w_syscall(u32 n, struct result* r) {
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) getpid();
  r->cycles = rdtsc() - t0;
  return 0;
}

static int w_kernel_op(u32 op, u32 n, struct result* r) {
  return bench(op, n, 0, &r->cycles) < 0 ? 1 : 0;
}

static int w_in(u32 n, struct result* r) {
  return w_kernel_op(BENCH_IN, n, r);
}
static int w_irqmask(u32 n, struct result* r) {
  return w_kernel_op(BENCH_IRQMASK, n, r);
}
static int w_callret(u32 n, struct result* r) {
  return w_kernel_op(BENCH_CALLRET, n, r);
}

/* Set by a workload that printed a `skip` line: it has nothing to measure here. */
static bool skipped;

/* Adams & Agesen's cr8wr in its 32-bit form: a store to the local APIC's task-priority
 * register, in the kernel (kernel/lapic.c). Where there is no local APIC it is skipped:
 * under pv by design (a Xen 2003 guest has no APIC and no virtual TPR). */
static int w_tpr(u32 n, struct result* r) {
  const int rc = bench(BENCH_TPR, n, 0, &r->cycles);
  if (rc == BENCH_NO_APIC_PV || rc == BENCH_NO_APIC) {
    printf("skip workload=tpr reason=\"%s\"\n",
           rc == BENCH_NO_APIC_PV
               ? "no local APIC: a paravirtual guest has none (Xen 2003 has no virtual TPR)"
               : "no local APIC (CPUID.1:EDX.APIC is 0)");
    skipped = true;
    return 0;
  }
  return rc < 0 ? 1 : 0;
}

/*
 * The three fault workloads resume after each fault at a landing pad
 * (SYS_catch): fault, kernel, back to user, n times. `expect` is the vector.
 */
static struct ucatch pad;
static volatile u32 zero;
static volatile u32 sink;
static const u32 read_only_word = 0; /* .rodata: in the read-only segment */

enum fault_kind { FAULT_UNMAPPED, FAULT_DIVIDE, FAULT_READ_ONLY };

/* An explicit DIV: in C, gcc may rewrite 1/x as (x == 1) and never divide. */
static inline void divide_by(u32 divisor) {
  u32 quotient, remainder;
  __asm__ volatile("divl %2" : "=a"(quotient), "=d"(remainder) : "r"(divisor), "a"(1), "d"(0));
  sink = quotient + remainder;
}

static int w_faults(enum fault_kind kind, u32 n, struct result* r) {
  static const u32 expect[] = {CATCH_FLAG | 14, CATCH_FLAG | 0, CATCH_FLAG | 14};
  volatile u32* unmapped = (volatile u32*)USER_UNMAPPED;
  volatile u32* read_only = (volatile u32*)(uintptr_t)&read_only_word;
  volatile u32 caught = 0; /* lives in memory across the "second return" */
  if (catch_faults(&pad) < 0) return 1;
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) {
    int how = ucatch_set(&pad);
    if (how == 0) {
      if (kind == FAULT_UNMAPPED)
        *unmapped = i;
      else if (kind == FAULT_DIVIDE)
        divide_by(zero);
      else
        *read_only = i;
    } else if ((u32)how == expect[kind]) {
      caught++;
    }
  }
  r->cycles = rdtsc() - t0;
  catch_faults(0);
  if (caught != n) {
    printf("error workload fault kind=%u caught=%u of %u\n", kind, caught, n);
    return 1;
  }
  return 0;
}

static int w_pgfault(u32 n, struct result* r) {
  return w_faults(FAULT_UNMAPPED, n, r);
}
static int w_divzero(u32 n, struct result* r) {
  return w_faults(FAULT_DIVIDE, n, r);
}
static int w_protfault(u32 n, struct result* r) {
  return w_faults(FAULT_READ_ONLY, n, r);
}

static int w_ptemod(u32 n, struct result* r) {
  volatile u32* page = mmap(PAGE);
  if ((i32)(uintptr_t)page == -1) return 1;
  *page = 1; /* make it present */
  int rc = bench(BENCH_PTEMOD, n, (u32)(uintptr_t)page, &r->cycles);
  munmap((void*)(uintptr_t)page, PAGE);
  return rc < 0 ? 1 : 0;
}

static int w_ptemod_same(u32 n, struct result* r) {
  volatile u32* page = mmap(PAGE);
  if ((i32)(uintptr_t)page == -1) return 1;
  *page = 1; /* make it present */
  int rc = bench(BENCH_PTEMOD_SAME, n, (u32)(uintptr_t)page, &r->cycles);
  munmap((void*)(uintptr_t)page, PAGE);
  return rc < 0 ? 1 : 0;
}

/* ---- lmbench, after Barham et al. ---- */

static int w_nullcall(u32 n, struct result* r) {
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) getppid();
  r->cycles = rdtsc() - t0;
  return 0;
}

static int w_nullio(u32 n, struct result* r) {
  int fd = open("null");
  char c = 0;
  if (fd < 0) return 1;
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) write(fd, &c, 1);
  r->cycles = rdtsc() - t0;
  close(fd);
  return 0;
}

/* Two processes pass a byte back and forth through two pipes; one iteration
 * is a round trip, i.e. two context switches. */
static int w_ctxsw(u32 n, struct result* r) {
  int to_child[2], to_parent[2], status = -1;
  char c = 'x';
  if (pipe(to_child) < 0 || pipe(to_parent) < 0) return 1;
  int pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    for (u32 i = 0; i < n; i++) {
      if (read(to_child[0], &c, 1) != 1 || write(to_parent[1], &c, 1) != 1) exit(1);
    }
    exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) {
    write(to_child[1], &c, 1);
    read(to_parent[0], &c, 1);
  }
  r->cycles = rdtsc() - t0;
  close(to_child[1]);
  close(to_parent[0]);
  wait(&status);
  return status == 0 ? 0 : 1;
}

static int fork_loop(u32 n, struct result* r, bool do_exec) {
  static const char* const hello_argv[] = {"hello", 0};
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) {
    int pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      if (do_exec) exec("hello", hello_argv);
      exit(do_exec ? 127 : 0);
    }
    int status = -1;
    if (wait(&status) != pid || status != 0) return 1;
  }
  r->cycles = rdtsc() - t0;
  return 0;
}

static int w_forkexit(u32 n, struct result* r) {
  return fork_loop(n, r, false);
}
static int w_forkexec(u32 n, struct result* r) {
  return fork_loop(n, r, true);
}
int workload_argc;
char** workload_argv;

u32 workload_arg(const char* key, u32 dflt, bool* ok) {
  u32 len = strlen(key);
  for (int i = 1; i < workload_argc; i++) {
    const char* a = workload_argv[i];
    if (strncmp(a, key, len) == 0 && a[len] == '=') return parse_u32(a + len + 1, ok);
  }
  return dflt;
}

/*
 * forkwait with a process of a given size (docs/guest.md, "forkwait's process size"):
 * the child writes child_touch pages of its private memory before it exits, and the
 * parent writes parent_touch pages after each wait, as a real process touches its stack,
 * data and heap between forks. Each written page is a copy-on-write break, and each page
 * the parent wrote is write-protected again by the next fork. Both 0 (the default): the
 * paper's bare loop.
 */
#define FORKWAIT_MAX_TOUCH 1024u
static int w_forkwait(u32 n, struct result* r) {
  bool ok = true;
  u32 child = workload_arg("child_touch", 0, &ok);
  u32 parent = workload_arg("parent_touch", 0, &ok);
  if (!ok || child > FORKWAIT_MAX_TOUCH || parent > FORKWAIT_MAX_TOUCH) {
    printf("error workload=forkwait reason=\"child_touch and parent_touch take 0 to %u\"\n",
           FORKWAIT_MAX_TOUCH);
    return 1;
  }
  if (child == 0 && parent == 0) return fork_loop(n, r, false);
  u32 pages = child > parent ? child : parent;
  volatile u8* m = mmap(pages * PAGE);
  if ((i32)(uintptr_t)m == -1) return 1;
  for (u32 p = 0; p < pages; p++) m[p * PAGE] = 1; /* present and private before the loop */
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) {
    int pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      for (u32 p = 0; p < child; p++) m[p * PAGE] = 2;
      exit(0);
    }
    int status = -1;
    if (wait(&status) != pid || status != 0) return 1;
    for (u32 p = 0; p < parent; p++) m[p * PAGE] = (u8)i;
  }
  r->cycles = rdtsc() - t0;
  munmap((void*)(uintptr_t)m, pages * PAGE);
  return 0;
}

/* Demand-zero faults: write the first word of fresh anonymous pages. Only
 * the touching is timed; the mmap/munmap around each batch of 64 is not. */
static int w_pagefault(u32 n, struct result* r) {
  r->cycles = 0;
  for (u32 done = 0; done < n;) {
    u32 pages = n - done < 64 ? n - done : 64;
    volatile u8* m = mmap(pages * PAGE);
    if ((i32)(uintptr_t)m == -1) return 1;
    u64 t0 = rdtsc();
    for (u32 p = 0; p < pages; p++) m[p * PAGE] = 1;
    r->cycles += rdtsc() - t0;
    munmap((void*)(uintptr_t)m, pages * PAGE);
    done += pages;
  }
  return 0;
}

/* mmap latency: map 64 KiB, touch each of its 16 pages, unmap. */
static int w_mmap(u32 n, struct result* r) {
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) {
    volatile u8* m = mmap(16 * PAGE);
    if ((i32)(uintptr_t)m == -1) return 1;
    for (u32 p = 0; p < 16; p++) m[p * PAGE] = 1;
    munmap((void*)(uintptr_t)m, 16 * PAGE);
  }
  r->cycles = rdtsc() - t0;
  return 0;
}

/* ---- Disk workloads ----
 * They run in the `disk` program (disk_bench.c), which init forks and execs, so that init
 * stays the size forkwait measures; the child sends its struct result back through a
 * pipe, and init prints the result line as for every workload. */
static struct disk_result disk_last; /* the last disk workload's report */
static u8 disk_state;                /* for workload_run: 0 none, 1 measured, 2 skipped */
static int run_in_disk(const char* name, u32 n, struct result* r) {
  char iters[12], fd[12];
  const char* argv[MAX_EXEC_ARGS + 1];
  int fds[2], status = -1, argc = 0;
  if (pipe(fds) < 0) return 1;
  snfmt(iters, sizeof iters, "%u", n);
  snfmt(fd, sizeof fd, "%d", fds[1]);
  argv[argc++] = "bench";
  argv[argc++] = name;
  argv[argc++] = iters;
  argv[argc++] = fd;
  for (int i = 1; i < workload_argc && argc < MAX_EXEC_ARGS; i++) argv[argc++] = workload_argv[i];
  argv[argc] = 0;
  int pid = fork();
  if (pid == 0) {
    close(fds[0]);
    exit(exec("disk", argv) < 0 ? 127 : 0);
  }
  close(fds[1]);
  u32 got = 0;
  for (int k = 1; pid > 0 && got < sizeof disk_last && k > 0; got += (u32)k)
    k = read(fds[0], (u8*)&disk_last + got, sizeof disk_last - got);
  close(fds[0]);
  if (pid < 0 || wait(&status) != pid) return 1;
  *r = disk_last.r;
  disk_state = status == 3 ? 2 : 1;
  return status == 3 || (status == 0 && got == sizeof disk_last) ? 0 : 1;
}
static int w_diskread(u32 n, struct result* r) {
  return run_in_disk("diskread", n, r);
}
static int w_diskwrite(u32 n, struct result* r) {
  return run_in_disk("diskwrite", n, r);
}
static int w_diskrand(u32 n, struct result* r) {
  return run_in_disk("diskrand", n, r);
}
static int w_filecreate0(u32 n, struct result* r) {
  return run_in_disk("filecreate0", n, r);
}
static int w_filecreate10(u32 n, struct result* r) {
  return run_in_disk("filecreate10", n, r);
}

/* ---- compute-bound: the "about native" line ---- */

#define SIEVE_N 16384
static u8 sieve[SIEVE_N];

static int w_compute(u32 n, struct result* r) {
  u32 check = 0;
  u64 t0 = rdtsc();
  for (u32 round = 0; round < n; round++) {
    memset(sieve, 1, SIEVE_N);
    u32 primes = 0;
    for (u32 i = 2; i < SIEVE_N; i++) {
      if (!sieve[i]) continue;
      primes++;
      for (u32 j = i * i; j < SIEVE_N; j += i) sieve[j] = 0;
    }
    check = check * 31 + primes + round;
  }
  r->cycles = rdtsc() - t0;
  r->has_check = true;
  r->check = check;
  return 0;
}

/* Defaults finish in about a second each under QEMU TCG. */
const struct workload workloads[] = {
    {"syscall", "A&A", "null system call round trip (getpid)", 100000, 1000, w_syscall},
    {"in", "A&A", "port read of 0x80, in the kernel", 100000, 1000, w_in},
    {"irqmask", "A&A cr8wr", "interrupt-flag write (sti;cli), in the kernel", 100000, 1000,
     w_irqmask},
    {"tpr", "A&A cr8wr", "local APIC task-priority write (MMIO), in the kernel", 100000, 1000,
     w_tpr},
    {"callret", "A&A", "call/ret pair, in the kernel", 1000000, 10000, w_callret},
    {"pgfault", "A&A", "true page fault reflected to the process", 20000, 500, w_pgfault},
    {"divzero", "A&A", "divide-error fault reflected to the process", 20000, 500, w_divzero},
    {"ptemod", "A&A", "PTE change + INVLPG, in the kernel", 100000, 1000, w_ptemod},
    {"ptemod_same", "A&A ptemod", "PTE rewritten unchanged, no INVLPG, in the kernel", 100000, 1000,
     w_ptemod_same},
    {"nullcall", "lmbench", "null call (getppid)", 100000, 1000, w_nullcall},
    {"nullio", "lmbench", "null I/O: 1-byte write to the null device", 100000, 1000, w_nullio},
    {"ctxsw", "lmbench", "context switch 2p/0K: pipe round trip", 10000, 200, w_ctxsw},
    {"forkexit", "lmbench", "fork + exit + wait", 2000, 50, w_forkexit},
    {"forkexec", "lmbench", "fork + exec(hello) + wait", 1000, 20, w_forkexec},
    {"pagefault", "lmbench", "demand-zero page fault", 10000, 256, w_pagefault},
    {"mmap", "lmbench", "mmap 64 KiB + touch 16 pages + munmap", 2000, 50, w_mmap},
    {"protfault", "lmbench", "protection fault (write to read-only page)", 20000, 500, w_protfault},
    {"forkwait", "A&A", "fork/wait pairs (paper: 40000)", 40000, 200, w_forkwait},
    {"compute", "sanity", "integer sieve, no system calls", 20, 2, w_compute},
    {"diskread", "dd", "sequential read of a 64 KiB file, bs=4096 (--disk)", 20, 1, w_diskread},
    {"diskwrite", "dd", "sequential write of a 64 KiB file, bs=4096 (--disk)", 10, 1, w_diskwrite},
    {"diskrand", "disk", "random 4 KiB read of a 64 KiB file (--disk)", 200, 8, w_diskrand},
    {"filecreate0", "lmbench", "create + delete a 0 KiB file (--disk)", 200, 4, w_filecreate0},
    {"filecreate10", "lmbench", "create + delete a 10 KiB file (--disk)", 100, 2, w_filecreate10},
};
const u32 workload_count = sizeof(workloads) / sizeof(workloads[0]);

/* Workloads that only make sense in one mode: run by name, never by run=all.
 * `hostile` (--mode pv): the kernel tries every page-table update the monitor
 * must refuse and prints one `hostile attempt=...` line for each. */
static int w_hostile(u32 n, struct result* r) {
  return w_kernel_op(BENCH_PV_HOSTILE, n, r);
}

/*
 * dirty (docs/migration.md, "A dirty-rate workload"): a steady writer for live migration's
 * pre-copy rounds, after the workloads of Clark et al. 2005, section 4.1. It maps pages=N
 * pages (default 512) and hot=H more (default 16) and writes each once; then every
 * iteration writes the next of the N pages in turn (a sweep) and the next of the H (the
 * hot set), and waits until rate=R iterations per million cycles have passed (default 64).
 * A round that lasts T cycles finds R*T/1e6 sweep pages dirty (at most N) and up to H hot
 * ones: the rounds shrink while the sweep's share falls and level off at the hot set.
 */
static int w_dirty(u32 n, struct result* r) {
  bool ok = true;
  u32 pages = workload_arg("pages", 512, &ok);
  u32 hot = workload_arg("hot", 16, &ok);
  u32 rate = workload_arg("rate", 64, &ok);
  if (!ok || pages == 0 || pages > 4096 || hot > 1024 || rate == 0 || rate > 1000000) {
    printf("error workload=dirty reason=\"pages 1-4096, hot 0-1024, rate 1-1000000\"\n");
    return 1;
  }
  u32 words = PAGE / 4, gap = 1000000 / rate;
  volatile u32* m = mmap((pages + hot) * PAGE);
  if ((i32)(uintptr_t)m == -1) return 1;
  for (u32 p = 0; p < pages + hot; p++) m[p * words] = 1;
  u64 t0 = rdtsc();
  for (u32 i = 0; i < n; i++) {
    m[(i % pages) * words] = i;
    if (hot) m[(pages + i % hot) * words] = i;
    while (rdtsc() - t0 < (u64)(i + 1) * gap) {
    }
  }
  r->cycles = rdtsc() - t0;
  munmap((void*)(uintptr_t)m, (pages + hot) * PAGE);
  return 0;
}

static const struct workload mode_workloads[] = {
    {"hostile", "pv", "forbidden page-table updates, each refused (--mode pv)", 1, 1, w_hostile},
    {"dirty", "Clark", "steady page writes at rate= per Mcycle (--migrate-to)", 2000, 20, w_dirty},
};

const struct workload* workload_find(const char* name) {
  for (u32 i = 0; i < workload_count; i++)
    if (strcmp(workloads[i].name, name) == 0) return &workloads[i];
  for (u32 i = 0; i < sizeof(mode_workloads) / sizeof(mode_workloads[0]); i++)
    if (strcmp(mode_workloads[i].name, name) == 0) return &mode_workloads[i];
  return 0;
}

/*
 * The result line. Stable, one line, key=value fields in this order:
 *   result workload=<name> iters=<n> cycles=<total> cycles_per_iter=<int>.<tenth>
 * then optional extra fields (compute: check=<hex>). cycles_per_iter is
 * rounded to one decimal with integer arithmetic (the guest has no FPU code).
 */
int workload_run(const struct workload* w, u32 iters) {
  struct result r;
  memset(&r, 0, sizeof(r));
  if (iters == 0) {
    printf("error workload=%s reason=\"iters must be > 0\"\n", w->name);
    return 2;
  }
  disk_state = 0;
  skipped = false;
  if (w->run(iters, &r) != 0) {
    printf("error workload=%s reason=\"workload failed\"\n", w->name);
    return 1;
  }
  if (disk_state == 2 || skipped) return 0; /* the `skip` line is printed */
  u64 tenths = (r.cycles * 10 + iters / 2) / iters;
  char line[200];
  int len =
      snfmt(line, sizeof(line), "result workload=%s iters=%u cycles=%llu cycles_per_iter=%llu.%u",
            w->name, iters, r.cycles, tenths / 10, (u32)(tenths % 10));
  if (r.has_check) len += snfmt(line + len, sizeof(line) - (u32)len, " check=%08x", r.check);
  if (disk_state == 1)
    len += snfmt(line + len, sizeof(line) - (u32)len, " bytes_per_iter=%u requests_per_iter=%u",
                 disk_last.bytes_per_iter, disk_last.requests_per_iter);
  if (disk_state == 1 && disk_last.create_cycles)
    len += snfmt(line + len, sizeof(line) - (u32)len, " create_cycles=%llu delete_cycles=%llu",
                 disk_last.create_cycles, disk_last.delete_cycles);
  len += snfmt(line + len, sizeof(line) - (u32)len, "\n");
  write(1, line, (u32)len); /* one write: the line is never split */
  return 0;
}

int workload_run_all(u32 iters) {
  int status = 0;
  for (u32 i = 0; i < workload_count; i++) {
    int s = workload_run(&workloads[i], iters ? iters : workloads[i].quick_iters);
    if (s != 0 && status == 0) status = s;
  }
  return status;
}
