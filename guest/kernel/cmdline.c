/*
 * The kernel command line (Multiboot's cmdline string) becomes init's argv.
 *
 * Loaders put the kernel's own path first (QEMU and GRUB both do), so only
 * words of the form key=value are kept: "run=syscall iters=1000" gives
 * argv = { "init", "run=syscall", "iters=1000" }. The kernel itself interprets
 * nothing: what to run is init's business.
 */
#include "kernel.h"

static char cmdline_copy[MAX_ARG_BYTES];
static char words[MAX_ARG_BYTES];
const char* boot_argv[MAX_ARGS + 1];
const char* boot_cmdline = "";

void cmdline_init(const char* mb_cmdline) {
  u32 argc = 0;
  boot_argv[argc++] = "init";
  if (!mb_cmdline) {
    boot_argv[argc] = 0;
    return;
  }
  u32 n = 0;
  while (mb_cmdline[n] && n + 1 < sizeof(cmdline_copy)) {
    cmdline_copy[n] = mb_cmdline[n];
    n++;
  }
  cmdline_copy[n] = '\0';
  boot_cmdline = cmdline_copy;

  memcpy(words, cmdline_copy, n + 1);
  char* p = words;
  while (*p && argc < MAX_ARGS) {
    while (*p == ' ') *p++ = '\0';
    if (!*p) break;
    char* word = p;
    bool has_eq = false;
    while (*p && *p != ' ') has_eq |= (*p++ == '=');
    if (has_eq) boot_argv[argc++] = word;
  }
  if (*p == ' ') *p = '\0';
  boot_argv[argc] = 0;
}
