/*
 * init: the first user process. Its argv is the kernel command line's
 * key=value words (kernel/cmdline.c):
 *
 *   run=<workload>|all|shell   what to do (no run= means the shell)
 *   iters=<n>  (or n=<n>)      iteration count, overriding the default
 *   <key>=<n>                  a workload's own parameter (forkwait: child_touch=,
 *                              parent_touch=; docs/guest.md)
 *
 * When init exits, the kernel prints "done status=<n>" and ends the machine
 * through the exit port with that status: 0 = every workload succeeded,
 * 1 = a workload failed, 2 = a usage error.
 */
#include "workloads.h"

int main(int argc, char** argv) {
  const char* run = 0;
  u32 iters = 0;
  bool have_iters = false;
  workload_argc = argc;
  workload_argv = argv;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    bool ok = true;
    if (strncmp(a, "run=", 4) == 0) {
      run = a + 4;
    } else if (strncmp(a, "iters=", 6) == 0) {
      iters = parse_u32(a + 6, &ok);
      have_iters = true;
    } else if (strncmp(a, "n=", 2) == 0) {
      iters = parse_u32(a + 2, &ok);
      have_iters = true;
    }
    /* Other key=value words are for others (a monitor, a future option). */
    if (!ok) {
      printf("error bad argument=%s\n", a);
      return 2;
    }
  }
  if (!run || strcmp(run, "shell") == 0) return shell_main();
  if (strcmp(run, "all") == 0) return workload_run_all(have_iters ? iters : 0);
  const struct workload* w = workload_find(run);
  if (!w) {
    printf("error unknown workload=%s\n", run);
    return 2;
  }
  return workload_run(w, have_iters ? iters : w->default_iters);
}
