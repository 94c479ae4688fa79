/*
 * The physical page allocator.
 *
 * One 16-bit reference count per 4 KiB frame of the direct-mapped RAM: 0 means
 * free, RESERVED marks frames that are not RAM or hold the kernel image.
 * Counts above 1 come from copy-on-write sharing after fork(). Allocation scans
 * upward from the lowest frame that may be free, so the same run hands out the
 * same frames in the same order: a deterministic guest.
 *
 * The allocator never writes to a frame it does not hand out, so it needs no
 * mapping of free memory (frames above the 16 MiB boot mapping can be counted
 * before vm.c has mapped them).
 */
#include "kernel.h"
#include "mm.h"
#include "multiboot.h"

#define MAX_FRAMES (PHYS_MAX / PAGE_SIZE)
#define RESERVED 0xFFFFu

static u16 refcount[MAX_FRAMES];
static u32 nframes; /* frames below phys_top                 */
static u32 free_frames;
static u32 usable_frames;
static u32 lowest_free; /* no free frame below this index        */
u32 phys_top;

extern char kernel_end[]; /* kernel.ld */

static void mark_range_free(u64 base, u64 len, u32 first_free_pa) {
  u64 start = (base + PAGE_SIZE - 1) & ~(u64)(PAGE_SIZE - 1);
  u64 end = (base + len) & ~(u64)(PAGE_SIZE - 1);
  if (end > PHYS_MAX) end = PHYS_MAX;
  if (start < first_free_pa) start = first_free_pa;
  for (u64 a = start; a < end; a += PAGE_SIZE) {
    u32 f = (u32)(a / PAGE_SIZE);
    if (refcount[f] == RESERVED) {
      refcount[f] = 0;
      free_frames++;
      usable_frames++;
    }
    if ((u32)a + PAGE_SIZE > phys_top) phys_top = (u32)a + PAGE_SIZE;
  }
}

void pmm_init(const struct multiboot_info* mbi) {
  for (u32 f = 0; f < MAX_FRAMES; f++) refcount[f] = RESERVED;
  /* Everything below the end of the kernel image stays reserved, including the
   * first megabyte (BIOS data, VGA memory) and the Multiboot structures, which
   * loaders put low; cmdline_init() has copied what we need from them. */
  u32 first_free = PG_ROUND_UP(V2P(kernel_end));
  if (mbi->flags & MBI_FLAG_MMAP) {
    u32 p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p < end) {
      const struct multiboot_mmap_entry* e = P2V(p);
      if (e->type == 1) mark_range_free(e->base, e->length, first_free);
      p += e->size + 4;
    }
  } else if (mbi->flags & MBI_FLAG_MEM) {
    mark_range_free(0x100000, (u64)mbi->mem_upper * 1024, first_free);
  }
  nframes = phys_top / PAGE_SIZE;
  lowest_free = first_free / PAGE_SIZE;
  if (usable_frames < 1024)
    panic("pmm: only %u KiB of usable RAM; vmlab-guest needs at least 16 MiB", usable_frames * 4);
}

u32 pmm_alloc(void) {
  for (u32 f = lowest_free; f < nframes; f++) {
    if (refcount[f] == 0) {
      refcount[f] = 1;
      free_frames--;
      lowest_free = f + 1;
      u32 pa = f * PAGE_SIZE;
      memset(P2V(pa), 0, PAGE_SIZE);
      return pa;
    }
  }
  return 0;
}

void pmm_incref(u32 pa) {
  u32 f = pa / PAGE_SIZE;
  if (f >= nframes || refcount[f] == 0 || refcount[f] >= RESERVED - 1)
    panic("pmm_incref: bad frame %x", pa);
  refcount[f]++;
}

void pmm_decref(u32 pa) {
  u32 f = pa / PAGE_SIZE;
  if (f >= nframes || refcount[f] == 0 || refcount[f] == RESERVED)
    panic("pmm_decref: bad frame %x", pa);
  if (--refcount[f] == 0) {
    free_frames++;
    if (f < lowest_free) lowest_free = f;
  }
}

u32 pmm_refcount(u32 pa) {
  return refcount[pa / PAGE_SIZE];
}
u32 pmm_free_count(void) {
  return free_frames;
}
u32 pmm_total_count(void) {
  return usable_frames;
}
