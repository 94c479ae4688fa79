/*
 * The workloads: what `run=<name>` on the kernel command line (or the shell)
 * can run, and the one place that prints result lines.
 */
#ifndef VMLAB_GUEST_WORKLOADS_H
#define VMLAB_GUEST_WORKLOADS_H

#include "ulib.h"

struct result {
  u64 cycles; /* RDTSC delta over the measured part, all iterations */
  bool has_check;
  u32 check; /* a deterministic checksum (compute), same in every mode */
};

/* What a disk workload (disk_bench.c) reports: its struct result and these, sent whole
 * through a pipe to init. Kept out of struct result, which lives on init's stack while
 * every workload runs: a bigger frame would move init's stack and what forkwait measures. */
struct disk_result {
  struct result r;
  u32 bytes_per_iter;    /* bytes read or written per iteration */
  u32 requests_per_iter; /* file-system requests per iteration */
  u64 create_cycles;     /* filecreate: the creates' share of cycles */
  u64 delete_cycles;     /* and the deletes' */
};

struct workload {
  const char* name;
  const char* paper;                       /* which benchmark it follows */
  const char* what;                        /* one line for `list` */
  u32 default_iters;                       /* for run=<name> */
  u32 quick_iters;                         /* for run=all */
  int (*run)(u32 iters, struct result* r); /* 0 on success */
};

/* The command line's key=value words (init's argv), for workloads that take
 * parameters of their own (forkwait's child_touch= and parent_touch=). */
extern int workload_argc;
extern char** workload_argv;
/* The value of `key`=N on the command line, or `dflt`; *ok = false when N is not a number. */
u32 workload_arg(const char* key, u32 dflt, bool* ok);

extern const struct workload workloads[];
extern const u32 workload_count;

const struct workload* workload_find(const char* name);

/* Runs one workload and prints its result line; returns 0 or an error status. */
int workload_run(const struct workload* w, u32 iters);

/* Runs every workload with `iters` (or each one's quick count when 0). */
int workload_run_all(u32 iters);

/* shell.c */
int shell_main(void);

#endif
