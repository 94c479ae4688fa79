/*
 * Processes, the scheduler and open files.
 */
#ifndef VMLAB_GUEST_PROC_H
#define VMLAB_GUEST_PROC_H

#include "mm.h"
#include "x86.h"

#define NPROC 32
#define NFD 8
#define KSTACK_SIZE 8192

enum proc_state { UNUSED = 0, RUNNABLE, RUNNING, SLEEPING, ZOMBIE };

struct file;

struct proc {
  enum proc_state state;
  int pid;
  struct proc* parent;
  char name[16];
  u32 pd_phys;           /* page directory: this process's address space   */
  u32 kesp;              /* saved kernel ESP while switched out (swtch.S)  */
  struct trapframe* tf;  /* user state, at the top of the kernel stack     */
  const void* wait_chan; /* what a SLEEPING process waits for              */
  int exit_status;
  struct vma vmas[NVMA]; /* valid user ranges: program, heap, stack, mmap  */
  int heap_vma;          /* index of the heap in vmas                      */
  u32 brk;               /* current program break (sbrk)                   */
  u32 catch_pad;         /* user address of a struct ucatch, or 0          */
  struct file* files[NFD];
};

/* proc.c */
extern struct proc procs[NPROC];
extern struct proc* cur;
u32 proc_kstack_top(const struct proc* p);
struct proc* proc_alloc(void);
void proc_create_init(void);
int proc_fork(void);
void proc_exit(int status) __attribute__((noreturn));
int proc_wait(u32 status_uaddr);
struct vma* proc_find_vma(struct proc* p, u32 va);
bool user_range_ok(u32 addr, u32 len, bool write);
bool user_string_ok(u32 addr, u32 max);

/* exec.c */
int proc_exec(struct proc* p, const char* name, const char* const* argv);

/* sched.c */
void sched_start(void) __attribute__((noreturn));
void sched_yield(void);
void sleep_on(const void* chan);
void wakeup(const void* chan);
void sched_tick(bool from_user);
void sched_switch_away(void);

/* file.c: console, null device and pipes behind one file interface */
struct file* file_open_device(const char* name);
void file_dup(struct file* f);
void file_close(struct file* f);
int file_read(struct file* f, u32 uaddr, u32 len);
int file_write(struct file* f, u32 uaddr, u32 len);
int file_pipe(struct file** rd, struct file** wr);

/* syscall.c */
void syscall_dispatch(struct trapframe* tf);

#endif
