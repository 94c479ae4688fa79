/*
 * The local APIC's page mapped at a linear address of the guest's choosing (issue 12,
 * item 14): with paging on, linear 0x40000000 maps the APIC's physical page 0xFEE00000,
 * and the kernel reads and writes the APIC there, far below the monitors' hypervisor hole.
 * Under the classic CPU and bt the page is never mapped in the shadow tables: every access
 * faults to the monitor, which executes the instruction for the guest (FaultKind::kDevice);
 * under VT it is the APIC-access page, and every access exits. The console must be the
 * native one in every mode.
 */
#include "klib.h"

#define ALIAS 0x40000000u
#define R32(off) (*(volatile uint32_t*)(ALIAS + (off)))

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t low_table[1024] __attribute__((aligned(4096)));
static uint32_t alias_table[1024] __attribute__((aligned(4096)));
static volatile uint32_t hits;

static void show(const char* name, uint32_t v) {
  puts(name);
  puts(" = ");
  puthex(v);
  putc('\n');
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x44) {
    hits++;
    R32(0xB0) = 0; /* EOI, through the alias */
    return;
  }
  unexpected_vector(f);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  pic_mask_all();
  puts("vmlab apic remap kernel\n");
  for (uint32_t i = 0; i < 1024; ++i) low_table[i] = (i << 12) | 0x3; /* 0-4 MiB identity */
  alias_table[0] = 0xFEE00000u | 0x13;                                 /* P, RW, PCD */
  page_directory[0] = (uint32_t)low_table | 0x3;
  page_directory[ALIAS >> 22] = (uint32_t)alias_table | 0x3;
  __asm__ volatile("mov %0, %%cr3" ::"r"(page_directory) : "memory");
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" ::"r"(cr0 | 0x80000000u) : "memory");
  puts("paging on, the APIC at linear 0x40000000\n");
  show("version", R32(0x30));
  show("svr", R32(0xF0));
  R32(0x80) = 0x30;
  show("tpr after a write", R32(0x80));
  show("ppr", R32(0xA0));
  R32(0x80) = 0;
  R32(0x300) = 0x00040044; /* a self-IPI through the alias */
  while (hits == 0) __asm__ volatile("sti; hlt; cli");
  show("self ipi taken", hits);
  show("isr bits 64-95 after eoi", R32(0x120));
  puts("apic remap test done\n");
  exit_machine(0);
}
