/*
 * Processes: the process table, creation (init and fork), exit and wait, and
 * the checks on user pointers that system calls pass in.
 *
 * Each process has a fixed 8 KiB kernel stack. Its top holds the process's user
 * state as a trap frame (where the CPU and trapentry.S put it on every entry
 * from user mode), so `p->tf` never moves.
 */
#include "proc.h"
#include "kernel.h"

struct proc procs[NPROC];
struct proc* cur;
static u8 kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;
static struct proc* initproc;

u32 proc_kstack_top(const struct proc* p) {
  return (u32)kstacks[p - procs] + KSTACK_SIZE;
}

/*
 * Takes a free slot and prepares its kernel stack so that the first swtch()
 * to it "returns" into pv->user_return (trap_return), which pops the trap frame
 * into user mode.
 */
struct proc* proc_alloc(void) {
  struct proc* p = 0;
  for (u32 i = 0; i < NPROC; i++) {
    if (procs[i].state == UNUSED) {
      p = &procs[i];
      break;
    }
  }
  if (!p) return 0;
  memset(p, 0, sizeof(*p));
  p->pid = next_pid++;
  p->state = SLEEPING; /* not runnable until fully built */

  u32 sp = proc_kstack_top(p) - sizeof(struct trapframe);
  p->tf = (struct trapframe*)sp;
  memset(p->tf, 0, sizeof(*p->tf));
  p->tf->cs = USER_CS;
  p->tf->ds = p->tf->es = p->tf->fs = p->tf->gs = p->tf->user_ss = USER_DS;
  p->tf->eflags = EFLAGS_IF | EFLAGS_RESERVED1;

  sp -= 4;
  *(u32*)sp = (u32)pv->user_return; /* swtch's `ret` goes here: trap_return natively */
  sp -= 16;
  memset((void*)sp, 0, 16); /* EDI, ESI, EBX, EBP popped by swtch */
  p->kesp = sp;
  return p;
}

void proc_create_init(void) {
  struct proc* p = proc_alloc();
  initproc = p;
  p->pd_phys = kernel_pd_phys;
  for (u32 fd = 0; fd < 3; fd++) p->files[fd] = file_open_device("console");
  if (proc_exec(p, "init", boot_argv) < 0) panic("cannot start init");
  p->state = RUNNABLE;
}

int proc_fork(void) {
  struct proc* child = proc_alloc();
  if (!child) return -1;
  child->pd_phys = vm_fork(cur->pd_phys);
  if (!child->pd_phys) {
    child->state = UNUSED;
    return -1;
  }
  *child->tf = *cur->tf;
  child->tf->eax = 0; /* fork() returns 0 in the child */
  memcpy(child->name, cur->name, sizeof(child->name));
  memcpy(child->vmas, cur->vmas, sizeof(child->vmas));
  child->heap_vma = cur->heap_vma;
  child->brk = cur->brk;
  child->catch_pad = cur->catch_pad;
  for (u32 fd = 0; fd < NFD; fd++) {
    child->files[fd] = cur->files[fd];
    if (child->files[fd]) file_dup(child->files[fd]);
  }
  child->parent = cur;
  child->state = RUNNABLE;
  return child->pid;
}

void proc_exit(int status) {
  if (cur == initproc) {
    /* init is the workload driver: its end is the machine's end. */
    kprintf(
        "kstat ticks=%u preemptions=%u switches=%u syscalls=%u hidden_faults=%u true_faults=%u "
        "free_kib=%u\n",
        kstat.ticks, kstat.preemptions, kstat.switches, kstat.syscalls, kstat.hidden_faults,
        kstat.true_faults, pmm_free_count() * 4);
    kprintf("done status=%d\n", status);
    pv->machine_exit((u32)status);
  }
  for (u32 fd = 0; fd < NFD; fd++) {
    if (cur->files[fd]) {
      file_close(cur->files[fd]);
      cur->files[fd] = 0;
    }
  }
  /* Leave our address space before freeing it; the kernel half is the same. */
  u32 pd = cur->pd_phys;
  cur->pd_phys = kernel_pd_phys;
  vm_switch(kernel_pd_phys);
  vm_free(pd);

  for (u32 i = 0; i < NPROC; i++) {
    if (procs[i].state != UNUSED && procs[i].parent == cur) {
      procs[i].parent = initproc;
      if (procs[i].state == ZOMBIE) wakeup(initproc);
    }
  }
  cur->exit_status = status;
  cur->state = ZOMBIE;
  wakeup(cur->parent);
  sched_switch_away();
  panic("zombie %d was scheduled", cur->pid);
}

int proc_wait(u32 status_uaddr) {
  if (status_uaddr && !user_range_ok(status_uaddr, 4, true)) return -1;
  for (;;) {
    bool have_children = false;
    for (u32 i = 0; i < NPROC; i++) {
      struct proc* p = &procs[i];
      if (p->state == UNUSED || p->parent != cur) continue;
      have_children = true;
      if (p->state == ZOMBIE) {
        int pid = p->pid;
        if (status_uaddr) *(int*)status_uaddr = p->exit_status;
        p->state = UNUSED;
        p->parent = 0;
        return pid;
      }
    }
    if (!have_children) return -1;
    sleep_on(cur);
  }
}

struct vma* proc_find_vma(struct proc* p, u32 va) {
  for (u32 i = 0; i < NVMA; i++)
    if (va >= p->vmas[i].start && va < p->vmas[i].end) return &p->vmas[i];
  return 0;
}

/*
 * A user buffer is acceptable if every page of it lies in one of the process's
 * ranges (and a writable one for writes). The kernel then touches it directly;
 * demand-zero and COW faults it takes while doing so are resolved by vm_fault
 * like a user's.
 */
bool user_range_ok(u32 addr, u32 len, bool write) {
  if (len == 0) return true;
  if (addr + len < addr || addr + len > KERNBASE) return false;
  for (u32 page = PG_ROUND_DOWN(addr); page < addr + len; page += PAGE_SIZE) {
    struct vma* v = proc_find_vma(cur, page);
    if (!v || (write && !v->writable)) return false;
  }
  return true;
}

bool user_string_ok(u32 addr, u32 max) {
  for (u32 i = 0; i < max; i++) {
    if (!user_range_ok(addr + i, 1, false)) return false;
    if (*(const char*)(addr + i) == '\0') return true;
  }
  return false;
}
