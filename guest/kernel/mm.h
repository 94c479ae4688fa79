/*
 * Memory management: the physical page allocator (pmm.c) and address spaces
 * (vm.c). Page-table memory is written only through pv->pte_write().
 */
#ifndef VMLAB_GUEST_MM_H
#define VMLAB_GUEST_MM_H

#include "x86.h"

struct multiboot_info;

/* pmm.c: physical frames with reference counts (shared by COW mappings). */
void pmm_init(const struct multiboot_info* mbi);
u32 pmm_alloc(void); /* a zeroed frame's physical address, 0 if none */
void pmm_incref(u32 pa);
void pmm_decref(u32 pa); /* frees the frame when the count reaches 0 */
u32 pmm_refcount(u32 pa);
u32 pmm_free_count(void);
u32 pmm_total_count(void);
extern u32 phys_top; /* end of usable, direct-mapped RAM */

/*
 * What a page-table entry holds. Natively, the physical address of the frame. Under PV
 * (direct paging), the machine frame: the start-info page's P2M table translates the
 * kernel's (pseudo-)physical frames to machine frames, and its M2P table back
 * (docs/pv-abi.md). Every entry vm.c and exec.c build or read goes through these two.
 */
extern const u32* pv_p2m; /* 0 natively: the identity */
extern const u32* pv_m2p;
static inline pte_t pte_from_pa(u32 pa) {
  return pv_p2m ? (pv_p2m[pa / PAGE_SIZE] * PAGE_SIZE) | (pa & (PAGE_SIZE - 1)) : pa;
}
static inline u32 pte_pa(pte_t pte) {
  return pv_m2p ? pv_m2p[PTE_ADDR(pte) / PAGE_SIZE] * PAGE_SIZE : PTE_ADDR(pte);
}

/* vm.c */
struct vma {
  u32 start, end; /* [start, end), page aligned; end == start means unused */
  u32 writable;
};
#define NVMA 16

void vm_init(void); /* kernel page directory + switch */
extern u32 kernel_pd_phys;
u32 vm_create(void);        /* new PD holding the kernel part */
void vm_free(u32 pd_phys);  /* user pages, page tables, PD    */
u32 vm_fork(u32 parent_pd); /* COW copy of the user part      */
pte_t* vm_walk(u32 pd_phys, u32 va, bool create);
int vm_map_page(u32 pd_phys, u32 va, u32 pa, u32 flags);
void vm_unmap_range(u32 pd_phys, u32 start, u32 end);
int vm_fault(u32 pd_phys, const struct vma* vmas, u32 va, u32 err);
void vm_invalidate(u32 pd_phys, u32 va); /* flush batch, INVLPG if current */
void vm_switch(u32 pd_phys);             /* flush batch, load CR3          */

#endif
