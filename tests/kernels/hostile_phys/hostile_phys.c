/*
 * The hostile-physical-address test kernel (issue 12, item 1): a guest that maps
 * guest-physical addresses outside its RAM must find nothing there, in every mode. On a PC
 * a read of an address no device decodes returns all ones and a write is dropped; the
 * monitors keep their own page tables, GDT and translation cache in machine frames just
 * below the guest's, and a frame number computed in 32 bits once wrapped from the top of
 * the guest's physical space onto them. The kernel checks, with paging on:
 *   - every page of 0xFE800000-0xFFFFFFFF (4 MiB pages; the I/O APIC's and the local
 *     APIC's pages are skipped, since every mode but pv has them there, as QEMU's PC)
 *     reads all ones, at 64 places per page;
 *   - the same after a write to each of those places, and after a string port input
 *     there (a store the monitors emulate): the writes went nowhere;
 *   - a page table placed above RAM (its entries read all ones, so it maps every linear
 *     page of its 4 MiB to physical 0xFFFFF000) gives all ones through it;
 *   - the first page past RAM is unbacked and the last page of RAM is memory.
 * Every figure printed is exact and the same in every mode.
 */
#include "klib.h"

#define PTE_P 0x001
#define PTE_W 0x002
#define PDE_PS 0x080

#define SCAN_LIN 0x40000000u  /* 24 MiB window onto physical 0xFE800000-0xFFFFFFFF */
#define SCAN_PHYS 0xFE800000u
#define SCAN_PAGES 6144u
#define APIC_PAGE 0xFEE00000u
#define IOAPIC_PAGE 0xFEC00000u
#define ABOVE_PT_LIN 0x41800000u /* PDE 0x106: a page table at physical 0xFF400000 */
#define ABOVE_PT_PHYS 0xFF400000u
#define EDGE_LIN 0x41C00000u /* PDE 0x107: the last page of RAM and the first past it */

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_table0[1024] __attribute__((aligned(4096)));
static uint32_t edge_table[1024] __attribute__((aligned(4096)));
static volatile uint32_t faults;

void isr_dispatch(struct frame* f) {
  uint32_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  puts("unexpected vector ");
  putdec(f->vector);
  puts(" error ");
  puthex(f->error);
  puts(" eip ");
  puthex(f->eip);
  puts(" cr2 ");
  puthex(cr2);
  putc('\n');
  faults++;
  exit_machine(1);
}

static void paging_init(uint32_t ram_end) {
  for (uint32_t i = 0; i < 1024; ++i) page_table0[i] = (i << 12) | PTE_P | PTE_W;
  page_dir[0] = (uint32_t)page_table0 | PTE_P | PTE_W;
  for (uint32_t i = 0; i < SCAN_PAGES / 1024; ++i)
    page_dir[(SCAN_LIN >> 22) + i] = (SCAN_PHYS + (i << 22)) | PTE_P | PTE_W | PDE_PS;
  page_dir[ABOVE_PT_LIN >> 22] = ABOVE_PT_PHYS | PTE_P | PTE_W;
  edge_table[0] = (ram_end - 4096) | PTE_P | PTE_W;
  edge_table[1] = ram_end | PTE_P | PTE_W;
  page_dir[EDGE_LIN >> 22] = (uint32_t)edge_table | PTE_P | PTE_W;
  __asm__ volatile(
      "mov %%cr4, %%eax\n or $0x10, %%eax\n mov %%eax, %%cr4\n" /* CR4.PSE */
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n or $0x80010000, %%eax\n mov %%eax, %%cr0\n" /* PG and WP */
      ::"r"(page_dir)
      : "eax", "memory");
}

static int skipped(uint32_t page) {
  return SCAN_PHYS + page * 4096 == APIC_PAGE || SCAN_PHYS + page * 4096 == IOAPIC_PAGE;
}

/* Words of the window that do not read all ones (64 per page, 64 bytes apart). */
static uint32_t scan(void) {
  uint32_t bad = 0;
  for (uint32_t p = 0; p < SCAN_PAGES; ++p) {
    if (skipped(p)) continue;
    volatile uint32_t* w = (volatile uint32_t*)(SCAN_LIN + p * 4096);
    for (uint32_t i = 0; i < 1024; i += 16) bad += w[i] != 0xFFFFFFFFu;
  }
  return bad;
}

static void scribble(void) {
  for (uint32_t p = 0; p < SCAN_PAGES; ++p) {
    if (skipped(p)) continue;
    volatile uint32_t* w = (volatile uint32_t*)(SCAN_LIN + p * 4096);
    for (uint32_t i = 0; i < 1024; i += 16) w[i] = 0x5A5A0000u | p;
    volatile uint8_t* b = (volatile uint8_t*)w;
    b[4095] = 0; /* a byte store at the end of the page */
  }
}

static void show(const char* what, uint32_t v) {
  puts(what);
  puts(": ");
  puthex(v);
  putc('\n');
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  tables_init();
  puts("hostile_phys: guest-physical addresses outside RAM\n");
  const uint32_t ram_end = (mbi->mem_upper + 1024) * 1024;
  paging_init(ram_end);
  show("words not all ones above 0xFE800000, before writes", scan());
  scribble();
  show("words not all ones above 0xFE800000, after writes", scan());

  /* A store the monitors emulate (string port input) into the same space. */
  uint32_t* dst = (uint32_t*)(SCAN_LIN + 0x10);
  uint32_t n = 4;
  __asm__ volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(0x80) : "memory");
  show("after REP INSB from port 0x80", *(volatile uint32_t*)(SCAN_LIN + 0x10));

  volatile uint32_t* through = (volatile uint32_t*)(ABOVE_PT_LIN + 0x1234 * 4);
  show("through a page table above RAM", *through);
  *through = 0x12345678u;
  show("through a page table above RAM, after a write", *through);
  show("its last page", ((volatile uint32_t*)(ABOVE_PT_LIN + 0x3FF000))[1023]);

  volatile uint32_t* last = (volatile uint32_t*)EDGE_LIN;
  volatile uint32_t* past = (volatile uint32_t*)(EDGE_LIN + 4096);
  last[1023] = 0xC0DE0001u;
  past[0] = 0xC0DE0002u;
  show("last word of RAM", last[1023]);
  show("first word past RAM", past[0]);
  show("faults", faults);
  puts("hostile_phys: done\n");
  exit_machine(0);
}
