/*
 * The system-call ABI between the guest kernel and its user programs.
 *
 * A system call is `int 0x80` with the number in EAX and up to four arguments in
 * EBX, ECX, EDX, ESI; the result comes back in EAX (negative on error). The
 * numbers are part of the documented ABI (docs/guest.md): never renumber them.
 */
#ifndef VMLAB_GUEST_ABI_H
#define VMLAB_GUEST_ABI_H

#include "types.h"

#define SYSCALL_VECTOR 0x80

enum syscall_nr {
  SYS_exit = 0,    /* exit(status)                         never returns   */
  SYS_write = 1,   /* write(fd, buf, len)                  -> bytes        */
  SYS_read = 2,    /* read(fd, buf, len)                   -> bytes, 0=EOF */
  SYS_getpid = 3,  /* getpid()                             -> pid          */
  SYS_getppid = 4, /* getppid()                            -> parent pid   */
  SYS_fork = 5,    /* fork()                   -> child pid / 0 in child   */
  SYS_wait = 6,    /* wait(&status)                        -> pid or -1    */
  SYS_exec = 7,    /* exec(name, argv)         built-in program; no return */
  SYS_yield = 8,   /* yield()                                              */
  SYS_sbrk = 9,    /* sbrk(increment)                      -> old break    */
  SYS_mmap = 10,   /* mmap(len)   anonymous demand-zero    -> address      */
  SYS_munmap = 11, /* munmap(addr, len)                    -> 0            */
  SYS_pipe = 12,   /* pipe(int fds[2])                     -> 0            */
  SYS_close = 13,  /* close(fd)                            -> 0            */
  SYS_open = 14,   /* open(device name: "console", "null") -> fd           */
  SYS_catch = 15,  /* catch(struct ucatch *)  register a fault landing pad */
  SYS_bench = 16,  /* bench(op, iters, arg, u64 *cycles) kernel-side loop  */
  /* The file system on the ATA disk (kernel/fs.h, docs/disk.md). */
  SYS_fs_read = 17,   /* fs_read(name, off, buf, len)      -> bytes, 0 = end */
  SYS_fs_write = 18,  /* fs_write(name, off, buf, len)  creates; -> bytes    */
  SYS_fs_unlink = 19, /* fs_unlink(name)                       -> 0          */
  SYS_fs_list = 20,   /* fs_list(index, char name[28])         -> size, -1 at end */
  /* The raw disk, through the block seam (kernel/blk.h: ATA, or the PV block ring). */
  SYS_blk_read = 21,    /* blk_read(lba, count, buf, unit)  count <= 256 -> 0       */
  SYS_blk_write = 22,   /* blk_write(lba, count, buf, unit) may be queued -> 0      */
  SYS_blk_flush = 23,   /* blk_flush(unit): durable; a queued write failed -> -1    */
  SYS_blk_sectors = 24, /* blk_sectors(unit)                  -> sectors, -1: none */
  SYS_blk_drop = 25,    /* blk_drop(): write back, empty the buffer cache -> 0    */
  SYS_count
};

/* Operations of SYS_bench: nanobenchmarks whose operation must run in the kernel. */
enum bench_op {
  BENCH_IN = 0,      /* port read of 0x80: `inb` (pv: pv_ops->inb)         */
  BENCH_IRQMASK = 1, /* interrupt-flag write: pv_ops->irq_enable+disable  */
  BENCH_CALLRET = 2, /* a call/ret pair in kernel code                    */
  BENCH_PTEMOD = 3,  /* PTE change (R/W toggled) + batch flush + INVLPG   */
  BENCH_PV_HOSTILE = 4, /* PV only: try every forbidden page-table update   */
  BENCH_PTEMOD_SAME = 5, /* PTE rewritten with its own value, no INVLPG (A&A) */
  BENCH_TPR = 6,         /* local APIC TPR write, MMIO (A&A's cr8wr, 32-bit)  */
};
/* SYS_bench's answers other than 0 and -1 (failed): the operation has nothing to act on. */
#define BENCH_NO_APIC_PV (-2) /* BENCH_TPR under pv: a paravirtual guest has no APIC */
#define BENCH_NO_APIC (-3)    /* BENCH_TPR: CPUID.1:EDX.APIC is 0                      */

/*
 * A fault landing pad registered with SYS_catch. When a user-mode fault cannot be
 * resolved by the kernel (divide error, protection fault, access to an unmapped
 * address, ...) and a pad is registered, the kernel resumes the process at `eip`
 * with these callee-saved registers and EAX = CATCH_FLAG | vector, instead of
 * killing it. user/ucatch.S fills it like setjmp().
 */
struct ucatch {
  u32 eip, esp, ebp, ebx, esi, edi;
};
#define CATCH_FLAG 0x100

/* Well-known user address-space layout (see docs/guest.md, "Memory map"). */
#define USER_TEXT_BASE 0x00400000u /* user programs are linked here       */
#define USER_MMAP_BASE 0x40000000u /* mmap() hands out addresses from here */
#define USER_MMAP_END 0xB0000000u
#define USER_STACK_TOP 0xC0000000u  /* = KERNBASE: user space ends here    */
#define USER_STACK_SIZE 0x00100000u /* 1 MiB, demand-zero                  */
#define USER_UNMAPPED 0x30000000u   /* never mapped: the pgfault workload  */

#endif
