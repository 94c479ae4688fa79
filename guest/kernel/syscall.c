/*
 * System calls: `int 0x80`, number in EAX, arguments in EBX, ECX, EDX, ESI,
 * result in EAX (common/abi.h has the numbers; docs/guest.md the table).
 * Every user pointer is checked against the process's memory ranges first.
 */
#include "../common/abi.h"
#include "bcache.h"
#include "blk.h"
#include "fs.h"
#include "kernel.h"
#include "proc.h"

typedef int (*syscall_fn)(u32 a, u32 b, u32 c, u32 d);

static struct file* fd_file(u32 fd) {
  return fd < NFD ? cur->files[fd] : 0;
}

static int fd_alloc(struct file* f) {
  for (u32 fd = 0; fd < NFD; fd++) {
    if (!cur->files[fd]) {
      cur->files[fd] = f;
      return (int)fd;
    }
  }
  return -1;
}

static int sys_exit(u32 status, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  proc_exit((int)status);
}

static int sys_write(u32 fd, u32 buf, u32 len, u32 d) {
  (void)d;
  struct file* f = fd_file(fd);
  if (!f || !user_range_ok(buf, len, false)) return -1;
  return file_write(f, buf, len);
}

static int sys_read(u32 fd, u32 buf, u32 len, u32 d) {
  (void)d;
  struct file* f = fd_file(fd);
  if (!f || !user_range_ok(buf, len, true)) return -1;
  return file_read(f, buf, len);
}

static int sys_getpid(u32 a, u32 b, u32 c, u32 d) {
  (void)a, (void)b, (void)c, (void)d;
  return cur->pid;
}

static int sys_getppid(u32 a, u32 b, u32 c, u32 d) {
  (void)a, (void)b, (void)c, (void)d;
  return cur->parent ? cur->parent->pid : 0;
}

static int sys_fork(u32 a, u32 b, u32 c, u32 d) {
  (void)a, (void)b, (void)c, (void)d;
  return proc_fork();
}

static int sys_wait(u32 status, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  return proc_wait(status);
}

/* exec(name, argv): the strings are copied into the kernel first, because the
 * address space they live in is about to be replaced. */
static int sys_exec(u32 name_u, u32 argv_u, u32 c, u32 d) {
  (void)c, (void)d;
  static char name[16];
  static char strings[MAX_ARG_BYTES];
  static const char* argv[MAX_ARGS + 1];
  if (!user_string_ok(name_u, sizeof(name))) return -1;
  memcpy(name, (const char*)name_u, strlen((const char*)name_u) + 1);
  u32 used = 0, argc = 0;
  for (; argc < MAX_ARGS; argc++) {
    u32 slot = argv_u + argc * 4;
    if (!user_range_ok(slot, 4, false)) return -1;
    u32 s = *(const u32*)slot;
    if (!s) break;
    if (!user_string_ok(s, MAX_ARG_BYTES - used)) return -1;
    u32 len = strlen((const char*)s) + 1;
    memcpy(strings + used, (const char*)s, len);
    argv[argc] = strings + used;
    used += len;
  }
  argv[argc] = 0;
  return proc_exec(cur, name, argv);
}

static int sys_yield(u32 a, u32 b, u32 c, u32 d) {
  (void)a, (void)b, (void)c, (void)d;
  sched_yield();
  return 0;
}

/* sbrk(increment): the heap range grows or shrinks; pages appear on first
 * touch (demand zero) and are freed when the break moves below them. */
static int sys_sbrk(u32 increment, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  struct vma* heap = &cur->vmas[cur->heap_vma];
  u32 old = cur->brk, new_brk = old + increment;
  if ((i32)increment < 0 ? new_brk > old : new_brk < old) return -1;
  if (new_brk < heap->start || PG_ROUND_UP(new_brk) > USER_MMAP_BASE) return -1;
  u32 new_end = PG_ROUND_UP(new_brk);
  if (new_end < heap->end) vm_unmap_range(cur->pd_phys, new_end, heap->end);
  heap->end = new_end;
  cur->brk = new_brk;
  return (int)old;
}

static bool range_free(u32 start, u32 end) {
  for (u32 i = 0; i < NVMA; i++) {
    const struct vma* v = &cur->vmas[i];
    if (v->end > v->start && start < v->end && v->start < end) return false;
  }
  return true;
}

/* mmap(len): anonymous, private, read/write, demand-zero memory at an address
 * the kernel chooses (first fit in the mmap area). */
static int sys_mmap(u32 len, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  len = PG_ROUND_UP(len);
  if (len == 0 || len > USER_MMAP_END - USER_MMAP_BASE) return -1;
  struct vma* slot = 0;
  for (u32 i = 0; i < NVMA && !slot; i++)
    if (cur->vmas[i].start == cur->vmas[i].end && (int)i != cur->heap_vma) slot = &cur->vmas[i];
  if (!slot) return -1;
  for (u32 start = USER_MMAP_BASE; start + len <= USER_MMAP_END;) {
    if (range_free(start, start + len)) {
      slot->start = start;
      slot->end = start + len;
      slot->writable = 1;
      return (int)start;
    }
    /* Skip past the range we collided with. */
    u32 next = start + PAGE_SIZE;
    for (u32 i = 0; i < NVMA; i++) {
      const struct vma* v = &cur->vmas[i];
      if (v->end > v->start && start < v->end && v->start < start + len && v->end > next)
        next = v->end;
    }
    start = next;
  }
  return -1;
}

/* munmap(addr, len): removes exactly one whole mmap'd range. */
static int sys_munmap(u32 addr, u32 len, u32 c, u32 d) {
  (void)c, (void)d;
  for (u32 i = 0; i < NVMA; i++) {
    struct vma* v = &cur->vmas[i];
    if (v->start == addr && v->end == addr + PG_ROUND_UP(len) && addr >= USER_MMAP_BASE &&
        v->end > v->start) {
      vm_unmap_range(cur->pd_phys, v->start, v->end);
      v->start = v->end = 0;
      return 0;
    }
  }
  return -1;
}

static int sys_pipe(u32 fds_u, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  struct file *rd, *wr;
  if (!user_range_ok(fds_u, 8, true) || file_pipe(&rd, &wr) < 0) return -1;
  int fd_rd = fd_alloc(rd);
  int fd_wr = fd_rd < 0 ? -1 : fd_alloc(wr);
  if (fd_wr < 0) {
    if (fd_rd >= 0) cur->files[fd_rd] = 0;
    file_close(rd);
    file_close(wr);
    return -1;
  }
  ((int*)fds_u)[0] = fd_rd;
  ((int*)fds_u)[1] = fd_wr;
  return 0;
}

static int sys_close(u32 fd, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  struct file* f = fd_file(fd);
  if (!f) return -1;
  cur->files[fd] = 0;
  file_close(f);
  return 0;
}

static int sys_open(u32 name_u, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  if (!user_string_ok(name_u, 16)) return -1;
  struct file* f = file_open_device((const char*)name_u);
  if (!f) return -1;
  int fd = fd_alloc(f);
  if (fd < 0) file_close(f);
  return fd;
}

static int sys_catch(u32 pad, u32 b, u32 c, u32 d) {
  (void)b, (void)c, (void)d;
  if (pad && !user_range_ok(pad, sizeof(struct ucatch), false)) return -1;
  cur->catch_pad = pad;
  return 0;
}

static int sys_bench_call(u32 op, u32 iters, u32 arg, u32 out) {
  return sys_bench(op, iters, arg, out);
}

static const syscall_fn syscalls[SYS_count] = {
    [SYS_exit] = sys_exit,     [SYS_write] = sys_write,      [SYS_read] = sys_read,
    [SYS_getpid] = sys_getpid, [SYS_getppid] = sys_getppid,  [SYS_fork] = sys_fork,
    [SYS_wait] = sys_wait,     [SYS_exec] = sys_exec,        [SYS_yield] = sys_yield,
    [SYS_sbrk] = sys_sbrk,     [SYS_mmap] = sys_mmap,        [SYS_munmap] = sys_munmap,
    [SYS_pipe] = sys_pipe,     [SYS_close] = sys_close,      [SYS_open] = sys_open,
    [SYS_catch] = sys_catch,   [SYS_bench] = sys_bench_call, [SYS_fs_read] = sys_fs_read,
    [SYS_fs_write] = sys_fs_write, [SYS_fs_unlink] = sys_fs_unlink, [SYS_fs_list] = sys_fs_list,
    [SYS_blk_read] = sys_blk_read, [SYS_blk_write] = sys_blk_write, [SYS_blk_flush] = sys_blk_flush,
    [SYS_blk_sectors] = sys_blk_sectors, [SYS_blk_drop] = sys_blk_drop,
};

void syscall_dispatch(struct trapframe* tf) {
  u32 nr = tf->eax;
  if (nr >= SYS_count || !syscalls[nr]) {
    tf->eax = (u32)-1;
    return;
  }
  tf->eax = (u32)syscalls[nr](tf->ebx, tf->ecx, tf->edx, tf->esi);
}
