/*
 * Open files: the console, a null device, and pipes, behind one small
 * interface. A process's descriptors point into a global table of files, so
 * fork() shares them (with a reference count), as in Unix.
 *
 * Blocking: a pipe reader with nothing to read sleeps on &pipe->nread, a
 * writer with a full buffer on &pipe->nwrite; each side wakes the other.
 */
#include "kernel.h"
#include "proc.h"

#define NFILE 64
#define NPIPE 16
#define PIPE_SIZE 512

enum file_type { FILE_NONE = 0, FILE_CONSOLE, FILE_NULL, FILE_PIPE };

struct pipe {
  u8 buf[PIPE_SIZE];
  u32 nread, nwrite; /* free-running byte counters */
  int readers, writers;
};

struct file {
  enum file_type type;
  int ref;
  bool writable;
  struct pipe* pipe;
};

static struct file files[NFILE];
static struct pipe pipes[NPIPE];

static struct file* file_alloc(enum file_type type, bool writable) {
  for (u32 i = 0; i < NFILE; i++) {
    if (files[i].type == FILE_NONE) {
      files[i].type = type;
      files[i].ref = 1;
      files[i].writable = writable;
      files[i].pipe = 0;
      return &files[i];
    }
  }
  return 0;
}

struct file* file_open_device(const char* name) {
  if (strcmp(name, "console") == 0) return file_alloc(FILE_CONSOLE, true);
  if (strcmp(name, "null") == 0) return file_alloc(FILE_NULL, true);
  return 0;
}

void file_dup(struct file* f) {
  f->ref++;
}

void file_close(struct file* f) {
  if (--f->ref > 0) return;
  if (f->type == FILE_PIPE) {
    struct pipe* p = f->pipe;
    if (f->writable)
      p->writers--;
    else
      p->readers--;
    wakeup(&p->nread);
    wakeup(&p->nwrite);
  }
  f->type = FILE_NONE;
}

int file_pipe(struct file** rd, struct file** wr) {
  struct pipe* p = 0;
  for (u32 i = 0; i < NPIPE; i++) {
    if (pipes[i].readers == 0 && pipes[i].writers == 0) {
      p = &pipes[i];
      break;
    }
  }
  if (!p) return -1;
  *rd = file_alloc(FILE_PIPE, false);
  *wr = *rd ? file_alloc(FILE_PIPE, true) : 0;
  if (!*wr) {
    if (*rd) (*rd)->type = FILE_NONE;
    return -1;
  }
  p->nread = p->nwrite = 0;
  p->readers = p->writers = 1;
  (*rd)->pipe = (*wr)->pipe = p;
  return 0;
}

static int pipe_read(struct pipe* p, u8* dst, u32 len) {
  while (p->nread == p->nwrite) {
    if (p->writers == 0) return 0; /* end of file */
    sleep_on(&p->nread);
  }
  u32 n = 0;
  while (n < len && p->nread != p->nwrite) dst[n++] = p->buf[p->nread++ % PIPE_SIZE];
  wakeup(&p->nwrite);
  return (int)n;
}

static int pipe_write(struct pipe* p, const u8* src, u32 len) {
  for (u32 n = 0; n < len;) {
    if (p->readers == 0) return -1; /* broken pipe */
    if (p->nwrite - p->nread == PIPE_SIZE) {
      wakeup(&p->nread);
      sleep_on(&p->nwrite);
      continue;
    }
    p->buf[p->nwrite++ % PIPE_SIZE] = src[n++];
  }
  wakeup(&p->nread);
  return (int)len;
}

/* uaddr has been checked with user_range_ok() by the caller. */
int file_read(struct file* f, u32 uaddr, u32 len) {
  if (f->writable && f->type == FILE_PIPE) return -1;
  switch (f->type) {
    case FILE_CONSOLE: return uart_read((char*)uaddr, len);
    case FILE_NULL: return 0;
    case FILE_PIPE: return pipe_read(f->pipe, (u8*)uaddr, len);
    default: return -1;
  }
}

int file_write(struct file* f, u32 uaddr, u32 len) {
  if (!f->writable) return -1;
  switch (f->type) {
    case FILE_CONSOLE: pv->console_write((const char*)uaddr, len); return (int)len;
    case FILE_NULL: return (int)len;
    case FILE_PIPE: return pipe_write(f->pipe, (const u8*)uaddr, len);
    default: return -1;
  }
}
