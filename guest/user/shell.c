/*
 * The interactive shell on the console: lists and runs the workloads.
 *
 *   list                     the workloads, with their default iteration counts
 *   <workload> [iters=N]     run one (n=N is a synonym, as for forkwait)
 *   all [iters=N]            run them all (quick counts unless iters= is given)
 *   exit [status]            end the machine with that status
 *   ls                       the files on the disk, with their sizes (docs/disk.md)
 *   cat NAME                 a file's contents
 *   write NAME TEXT...       the file becomes TEXT and a newline (created if missing)
 *   rm NAME                  remove a file
 *   fsstress N               N rounds of: create a file of 0-10 KiB, write it, remove
 *                            every other one (the durability test kills a run of this)
 *
 * Input arrives through the UART's receive interrupt (kernel/uart.c); the
 * shell echoes what it reads, as a terminal in raw mode expects.
 */
#include "workloads.h"

#define LINE_MAX 128
#define MAX_WORDS 8

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

/* The disk commands; false when `words[0]` is none of them. `rest` is the line after the
 * second word (write's text, blanks kept). */
static bool disk_command(char** words, u32 n, const char* rest) {
  char name[28];
  char buf[128];
  if (strcmp(words[0], "ls") == 0) {
    int size;
    for (u32 i = 0; (size = fs_list(i, name)) >= 0; i++) printf("%s %u\n", name, (u32)size);
    return true;
  }
  if (strcmp(words[0], "fsstress") == 0) {
    bool ok = n > 1;
    const u32 rounds = ok ? parse_u32(words[1], &ok) : 0;
    if (!ok) {
      printf("error usage: fsstress N\n");
      return true;
    }
    static char block[10240];
    for (u32 i = 0; i < sizeof block; i++) block[i] = (char)('a' + i % 26);
    for (u32 i = 0; i < rounds; i++) {
      fmt_name(name, i);
      const u32 size = (i * 2731u) % (sizeof block + 1); /* 0 to 10 KiB */
      if (fs_write(name, 0, block, size) != (int)size) {
        printf("error fsstress write %s\n", name);
        return true;
      }
      if (i % 2 == 1) {
        fmt_name(name, i - 1);
        if (fs_unlink(name) < 0) {
          printf("error fsstress rm %s\n", name);
          return true;
        }
      }
      printf("fsstress %u\n", i);
    }
    return true;
  }
  if (strcmp(words[0], "cat") != 0 && strcmp(words[0], "write") != 0 &&
      strcmp(words[0], "rm") != 0) {
    return false;
  }
  if (n < 2) {
    printf("error usage: %s NAME%s\n", words[0], strcmp(words[0], "write") == 0 ? " TEXT" : "");
    return true;
  }
  if (strcmp(words[0], "cat") == 0) {
    int got;
    u32 off = 0;
    while ((got = fs_read(words[1], off, buf, sizeof buf)) > 0) {
      write(1, buf, (u32)got);
      off += (u32)got;
    }
    if (got < 0) printf("error cat %s\n", words[1]);
  } else if (strcmp(words[0], "rm") == 0) {
    if (fs_unlink(words[1]) < 0) printf("error rm %s\n", words[1]);
  } else {
    const u32 len = strlen(rest);
    fs_unlink(words[1]); /* replace: a missing file is fine */
    if (fs_write(words[1], 0, rest, len) != (int)len || fs_write(words[1], len, "\n", 1) != 1)
      printf("error write %s\n", words[1]);
  }
  return true;
}

int shell_main(void) {
  char line[LINE_MAX];
  char* words[MAX_WORDS];
  printf("vmlab shell: 'list' shows the workloads, 'help' the commands\n");
  for (;;) {
    printf("vmlab$ ");
    read_line(line);
    /* The text after the second word, for write, before split() cuts the line up. */
    char rest[LINE_MAX];
    const char* r = line;
    for (u32 w = 0; w < 2; w++) {
      while (*r == ' ') r++;
      while (*r && *r != ' ') r++;
    }
    if (*r == ' ') r++;
    memcpy(rest, r, strlen(r) + 1);
    u32 n = split(line, words);
    if (n == 0) continue;
    if (disk_command(words, n, rest)) continue;
    u32 iters = 0;
    if (n > 1 && strcmp(words[0], "exit") != 0 && !parse_iters(words[1], &iters)) {
      printf("error bad argument=%s (expected iters=N)\n", words[1]);
      continue;
    }
    if (strcmp(words[0], "help") == 0) {
      printf("commands: list | <workload> [iters=N] | all [iters=N] | exit [status]\n");
      printf("disk: ls | cat NAME | write NAME TEXT | rm NAME | fsstress N\n");
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
