/*
 * Address spaces: one page directory per process, two-level 32-bit paging with
 * 4 KiB pages (SDM 3A 4.3).
 *
 * Layout (docs/guest.md): user space is [0, KERNBASE); all physical RAM is
 * mapped at KERNBASE + pa by the kernel page tables, which are built once here
 * and whose page-directory entries are copied into every process's directory;
 * [HYPERVISOR_HOLE, 4 GiB) is never mapped or touched.
 *
 * Every page-table write goes through pv->pte_write, inside a batch where many
 * writes happen together, and every TLB invalidation first flushes the batch
 * (vm_invalidate, vm_switch). This is the discipline a shadow-paging monitor can
 * trace and a paravirtual table can turn into batched mmu_update hypercalls.
 */
#include "kernel.h"
#include "mm.h"

u32 kernel_pd_phys;
static u32 current_pd; /* the page directory in CR3 */

#define PDE_USER_FLAGS (PTE_P | PTE_W | PTE_U)

static pte_t* table(u32 pa) {
  return P2V(pa);
}

/* A frame for a page table or directory; pv_ops is told, since under PV the frame
 * must become read-only and be pinned before it can serve as one. */
static u32 pt_alloc(u32 level) {
  u32 pa = pmm_alloc();
  if (pa) pv->pt_alloc(pa, level);
  return pa;
}

void vm_switch(u32 pd_phys) {
  pv->pte_batch_flush();
  current_pd = pd_phys;
  pv->load_cr3(pd_phys);
}

void vm_invalidate(u32 pd_phys, u32 va) {
  pv->pte_batch_flush();
  if (pd_phys == current_pd) pv->invlpg(va);
}

static void flush_all(u32 pd_phys) {
  pv->pte_batch_flush();
  if (pd_phys == current_pd) pv->flush_tlb();
}

void vm_init(void) {
  kernel_pd_phys = pt_alloc(2);
  pte_t* pd = table(kernel_pd_phys);
  pv->pte_batch_begin();
  for (u32 base = 0; base < phys_top; base += 1024 * PAGE_SIZE) {
    u32 pt_pa = pt_alloc(1);
    if (!pt_pa) panic("vm_init: out of memory for kernel page tables");
    pte_t* pt = table(pt_pa);
    for (u32 i = 0; i < 1024 && base + i * PAGE_SIZE < phys_top; i++)
      pv->pte_write(&pt[i], pte_from_pa(base + i * PAGE_SIZE) | PTE_P | PTE_W);
    pv->pte_write(&pd[PDX(KERNBASE + base)], pte_from_pa(pt_pa) | PTE_P | PTE_W);
  }
  pv->pte_batch_flush();
  vm_switch(kernel_pd_phys);
}

u32 vm_create(void) {
  u32 pd_pa = pt_alloc(2);
  if (!pd_pa) return 0;
  pte_t *pd = table(pd_pa), *kpd = table(kernel_pd_phys);
  pv->pte_batch_begin();
  for (u32 i = PDE_KERNEL_FIRST; i < PDE_HOLE_FIRST; i++)
    if (kpd[i] & PTE_P) pv->pte_write(&pd[i], kpd[i]);
  pv->pte_batch_flush();
  return pd_pa;
}

void vm_free(u32 pd_phys) {
  if (pd_phys == current_pd) panic("vm_free: freeing the page directory in use");
  pv->pt_release(pd_phys, 2); /* first the directory: it holds the tables */
  pte_t* pd = table(pd_phys);
  for (u32 i = 0; i < PDE_KERNEL_FIRST; i++) {
    if (!(pd[i] & PTE_P)) continue;
    pte_t* pt = table(pte_pa(pd[i]));
    for (u32 j = 0; j < 1024; j++)
      if (pt[j] & PTE_P) pmm_decref(pte_pa(pt[j]));
    pv->pt_release(pte_pa(pd[i]), 1);
    pmm_decref(pte_pa(pd[i]));
  }
  pmm_decref(pd_phys);
  pv->pte_batch_flush(); /* the freed frames are writable again before reuse */
}

pte_t* vm_walk(u32 pd_phys, u32 va, bool create) {
  pte_t* pd = table(pd_phys);
  pte_t pde = pd[PDX(va)];
  if (!(pde & PTE_P)) {
    if (!create) return 0;
    u32 pt_pa = pt_alloc(1);
    if (!pt_pa) return 0;
    /* Use the value we write, not a re-read: under batching the write may
     * still be queued. */
    pde = pte_from_pa(pt_pa) | PDE_USER_FLAGS;
    pv->pte_write(&pd[PDX(va)], pde);
  }
  return &table(pte_pa(pde))[PTX(va)];
}

int vm_map_page(u32 pd_phys, u32 va, u32 pa, u32 flags) {
  pte_t* ptep = vm_walk(pd_phys, va, true);
  if (!ptep) return -1;
  pv->pte_write(ptep, pte_from_pa(pa) | flags | PTE_P);
  return 0;
}

void vm_unmap_range(u32 pd_phys, u32 start, u32 end) {
  u32 unmapped = 0;
  pv->pte_batch_begin();
  for (u32 va = start; va < end; va += PAGE_SIZE) {
    pte_t* ptep = vm_walk(pd_phys, va, false);
    if (!ptep) {
      va = (va | (1024 * PAGE_SIZE - 1)) - PAGE_SIZE + 1; /* skip this 4 MiB */
      continue;
    }
    if (*ptep & PTE_P) {
      pmm_decref(pte_pa(*ptep));
      pv->pte_write(ptep, 0);
      unmapped++;
    }
  }
  if (unmapped > 0)
    flush_all(pd_phys);
  else
    pv->pte_batch_flush();
}

/*
 * Copy-on-write fork: the child gets its own page tables pointing at the same
 * frames; every writable page becomes read-only + PTE_COW in both, and the
 * frame's reference count goes up. The first write by either side faults and
 * vm_fault() copies (or, if it is the last sharer, just re-enables writing).
 */
u32 vm_fork(u32 parent_pd) {
  u32 child_pd = vm_create();
  if (!child_pd) return 0;
  pte_t *ppd = table(parent_pd), *cpd = table(child_pd);
  pv->pte_batch_begin();
  for (u32 i = 0; i < PDE_KERNEL_FIRST; i++) {
    if (!(ppd[i] & PTE_P)) continue;
    u32 cpt_pa = pt_alloc(1);
    if (!cpt_pa) {
      flush_all(parent_pd);
      vm_free(child_pd);
      return 0;
    }
    pte_t *ppt = table(pte_pa(ppd[i])), *cpt = table(cpt_pa);
    for (u32 j = 0; j < 1024; j++) {
      pte_t pte = ppt[j];
      if (!(pte & PTE_P)) continue;
      if (pte & (PTE_W | PTE_COW)) {
        pte = (pte & ~PTE_W) | PTE_COW;
        if (pte != ppt[j]) pv->pte_write(&ppt[j], pte);
      }
      pv->pte_write(&cpt[j], pte);
      pmm_incref(pte_pa(pte));
    }
    pv->pte_write(&cpd[i], pte_from_pa(cpt_pa) | PDE_USER_FLAGS);
  }
  /* The parent lost write permission on its pages: its TLB must forget them. */
  flush_all(parent_pd);
  return child_pd;
}

static const struct vma* find_vma(const struct vma* vmas, u32 va) {
  for (u32 i = 0; i < NVMA; i++)
    if (va >= vmas[i].start && va < vmas[i].end) return &vmas[i];
  return 0;
}

/*
 * Resolves a page fault at va if the process may access it: a demand-zero page
 * (first touch of heap, stack or mmap memory) or a copy-on-write break.
 * Returns -1 for a true fault, which the caller reports to the process.
 */
int vm_fault(u32 pd_phys, const struct vma* vmas, u32 va, u32 err) {
  pv->pte_batch_flush(); /* a PV guest may fault on its own queued update */
  if (va >= KERNBASE) return -1;
  const struct vma* vma = find_vma(vmas, va);
  if (!vma || ((err & PF_ERR_W) && !vma->writable)) return -1;
  u32 page = PG_ROUND_DOWN(va);
  pte_t* ptep = vm_walk(pd_phys, page, true);
  if (!ptep) return -1;
  pte_t pte = *ptep;

  if (!(pte & PTE_P)) {
    u32 pa = pmm_alloc();
    if (!pa) return -1;
    pv->pte_write(ptep, pte_from_pa(pa) | PTE_P | PTE_U | (vma->writable ? PTE_W : 0));
    /* Not-present entries are never cached in the TLB: no INVLPG needed. */
    pv->pte_batch_flush();
    return 0;
  }
  if ((err & PF_ERR_W) && (pte & PTE_COW)) {
    u32 old = pte_pa(pte);
    if (pmm_refcount(old) == 1) {
      pv->pte_write(ptep, (pte | PTE_W) & ~PTE_COW);
    } else {
      u32 pa = pmm_alloc();
      if (!pa) return -1;
      memcpy(P2V(pa), P2V(old), PAGE_SIZE);
      pv->pte_write(ptep, pte_from_pa(pa) | PTE_P | PTE_U | PTE_W);
      pmm_decref(old);
    }
    vm_invalidate(pd_phys, page);
    return 0;
  }
  if (!(err & PF_ERR_W) || (pte & PTE_W)) {
    /* The entry already allows this access (a stale TLB entry): retry. */
    vm_invalidate(pd_phys, page);
    return 0;
  }
  return -1;
}
