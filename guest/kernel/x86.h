/*
 * IA-32 architectural constants the kernel uses (Intel SDM Vol. 3A, chapters 3-6),
 * the layout of the kernel's address space, and the trap frame.
 */
#ifndef VMLAB_GUEST_X86_H
#define VMLAB_GUEST_X86_H

#include "../common/types.h"

/* ---- Address space (docs/guest.md, "Memory map") ---- */
#define KERNBASE 0xC0000000u        /* physical memory is mapped from here up      */
#define HYPERVISOR_HOLE 0xFC000000u /* top 64 MiB: reserved for a hypervisor     */
#define PHYS_MAX (512u << 20)       /* RAM above this is ignored (direct-map cap)  */
#define KERNEL_PHYS_LOAD 0x00100000u

#define P2V(pa) ((void*)((u32)(pa) + KERNBASE))
#define V2P(va) ((u32)(va)-KERNBASE)

/* ---- Paging (SDM 3A 4.3, 32-bit paging, 4 KiB pages only) ---- */
#define PAGE_SIZE 4096u
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PG_ROUND_DOWN(a) ((u32)(a)&PAGE_MASK)
#define PG_ROUND_UP(a) (((u32)(a) + PAGE_SIZE - 1) & PAGE_MASK)
#define PDX(va) ((u32)(va) >> 22)
#define PTX(va) (((u32)(va) >> 12) & 0x3FF)
#define PDE_KERNEL_FIRST PDX(KERNBASE)      /* 768  */
#define PDE_HOLE_FIRST PDX(HYPERVISOR_HOLE) /* 1008 */

typedef u32 pte_t;
#define PTE_P 0x001u   /* present                                            */
#define PTE_W 0x002u   /* writable                                           */
#define PTE_U 0x004u   /* user accessible                                    */
#define PTE_A 0x020u   /* accessed (set by the page walker)                  */
#define PTE_D 0x040u   /* dirty                                              */
#define PTE_COW 0x200u /* software bit ("available"): copy-on-write page     */
#define PTE_ADDR(pte) ((pte)&PAGE_MASK)

/* Page-fault error code bits (SDM 3A 4.7). */
#define PF_ERR_P 0x1u /* 1 = protection violation, 0 = not present */
#define PF_ERR_W 0x2u /* 1 = write                                  */
#define PF_ERR_U 0x4u /* 1 = user mode                              */

/* ---- Control registers and EFLAGS (SDM 3A 2.3, 2.5) ---- */
#define CR0_PG 0x80000000u
#define CR0_WP 0x00010000u /* supervisor writes honour R/W: needed for COW */
#define EFLAGS_IF 0x00000200u
#define EFLAGS_RESERVED1 0x00000002u

/* ---- Exception and interrupt vectors ---- */
#define T_DIVIDE 0
#define T_DEBUG 1
#define T_NMI 2
#define T_BREAKPOINT 3
#define T_OVERFLOW 4
#define T_BOUND 5
#define T_INVALID_OP 6
#define T_NO_DEVICE 7
#define T_DOUBLE_FAULT 8
#define T_INVALID_TSS 10
#define T_SEG_NOT_PRESENT 11
#define T_STACK_FAULT 12
#define T_GP 13
#define T_PAGE_FAULT 14
#define T_FPU_ERROR 16
#define T_ALIGNMENT 17
#define T_IRQ0 32 /* the PIC is remapped to 32..47 (pic.c) */
#define T_SYSCALL 0x80

/* ---- GDT layout (gdt.c); the RPL of kernel selectors is pv_ops->kernel_ring ---- */
#define GDT_NULL 0
#define GDT_KCODE 1
#define GDT_KDATA 2
#define GDT_UCODE 3
#define GDT_UDATA 4
#define GDT_TSS 5
#define GDT_ENTRIES 6
#define SEL(index, rpl) ((u16)(((index) << 3) | (rpl)))
#define USER_CS SEL(GDT_UCODE, 3)
#define USER_DS SEL(GDT_UDATA, 3)

/*
 * The trap frame: what the CPU pushes on an interrupt (EIP..SS), then what
 * trapentry.S pushes (vector, error code, the general registers, the data
 * segment registers). The last two fields exist only when the trap came from
 * a less privileged ring (user mode).
 */
struct trapframe {
  u32 gs, fs, es, ds;
  u32 edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
  u32 vector, error;
  u32 eip, cs, eflags;
  u32 user_esp, user_ss;
};

static inline bool trap_from_user(const struct trapframe* tf) {
  /* Not "CPL != 0": the kernel itself may run in ring 1 (paravirtualized). */
  return (tf->cs & 3) == 3;
}

/* RDTSC is not privileged (CR4.TSD stays 0), so it needs no pv_ops entry. */
static inline u64 rdtsc(void) {
  u64 v;
  __asm__ volatile("rdtsc" : "=A"(v));
  return v;
}

#endif
