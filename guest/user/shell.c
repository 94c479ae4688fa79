/*
 * The interactive shell on the console: lists and runs the workloads.
 *
 *   list                     the workloads, with their default iteration counts
 *   <workload> [iters=N]     run one (n=N is a synonym, as for forkwait)
 *   all [iters=N]            run them all (quick counts unless iters= is given)
 *   exit [status]            end the machine with that status
 *   ls, cat, write, rm, fsstress, blkread, blkwrite   the disk: run by the `disk` program (disk.c)
 *
 * Input arrives through the UART's receive interrupt (kernel/uart.c); the
 * shell echoes what it reads, as a terminal in raw mode expects.
 */
#include "workloads.h"

#define LINE_MAX 128
#define MAX_WORDS 15 /* and the terminating null pointer of exec's argv */

static u32 read_line(char* line) {
  u32 len = 0;
  for (;;) {
    char c;
    if (read(0, &c, 1) != 1) continue;
    if (c == '\r' || c == '\n') {
      write(1, "\n", 1);
      line[len] = '\0';
      return len;
    }
    if (c == 0x7F || c == '\b') {
      if (len > 0) {
        len--;
        write(1, "\b \b", 3);
      }
      continue;
    }
    if (len + 1 < LINE_MAX && c >= ' ') {
      line[len++] = c;
      write(1, &c, 1);
    }
  }
}

static u32 split(char* line, char** words) {
  u32 n = 0;
  while (*line && n < MAX_WORDS) {
    while (*line == ' ') *line++ = '\0';
    if (!*line) break;
    words[n++] = line;
    while (*line && *line != ' ') line++;
  }
  return n;
}

static void list(void) {
  for (u32 i = 0; i < workload_count; i++) {
    const struct workload* w = &workloads[i];
    printf("  %10s  iters=%u  %s [%s]\n", w->name, w->default_iters, w->what, w->paper);
  }
}

/* Parses "iters=N" / "n=N"; returns false on anything else. */
static bool parse_iters(const char* word, u32* iters) {
  const char* v = 0;
  if (strncmp(word, "iters=", 6) == 0)
    v = word + 6;
  else if (strncmp(word, "n=", 2) == 0)
    v = word + 2;
  bool ok = false;
  if (v) *iters = parse_u32(v, &ok);
  return ok;
}

/* The disk commands run in their own program (user/disk.c), so the shell stays small. */
static bool disk_command(char** words, u32 n) {
  static const char* const names[] = {"ls",       "cat",     "write",   "rm",
                                      "fsstress", "blkread", "blkwrite"};
  for (u32 i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(words[0], names[i]) != 0) continue;
    words[n] = 0;
    int pid = fork();
    if (pid == 0) exit(exec("disk", (const char* const*)words));
    wait(0);
    return true;
  }
  return false;
}

int shell_main(void) {
  char line[LINE_MAX];
  char* words[MAX_WORDS + 1];
  printf("vmlab shell: 'list' shows the workloads, 'help' the commands\n");
  for (;;) {
    printf("vmlab$ ");
    read_line(line);
    u32 n = split(line, words);
    if (n == 0) continue;
    if (disk_command(words, n)) continue;
    u32 iters = 0;
    if (n > 1 && strcmp(words[0], "exit") != 0 && !parse_iters(words[1], &iters)) {
      printf("error bad argument=%s (expected iters=N)\n", words[1]);
      continue;
    }
    if (strcmp(words[0], "help") == 0) {
      printf("commands: list | <workload> [iters=N] | all [iters=N] | exit [status]\n");
    } else if (strcmp(words[0], "list") == 0) {
      list();
    } else if (strcmp(words[0], "all") == 0) {
      workload_run_all(iters);
    } else if (strcmp(words[0], "exit") == 0) {
      bool ok = true;
      u32 status = n > 1 ? parse_u32(words[1], &ok) : 0;
      return ok ? (int)status : 2;
    } else {
      const struct workload* w = workload_find(words[0]);
      if (w)
        workload_run(w, iters ? iters : w->default_iters);
      else
        printf("error unknown command=%s\n", words[0]);
    }
  }
}
