/*
 * The smoke-test kernel: the smallest guest that exercises what issue 2 promises of the
 * simulated PC, in an order where each step relies only on the ones before it:
 *   Multiboot entry and information -> UART console -> GDT/TSS and segment reloads ->
 *   IDT and exceptions (#DE, #PF, #GP) -> 2-level paging with 4 KiB and 4 MiB pages ->
 *   PIC + PIT timer interrupts with HLT -> ring 3 through IRET -> system calls through an
 *   int 0x80 gate -> exit through the isa-debug-exit port.
 * Everything it prints is deterministic, so its console must be byte-identical under
 * vmlab and under qemu-system-i386 -kernel (tests/kernels/compare_with_qemu.sh).
 */
#include "klib.h"

#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_U 0x004
#define PDE_PS 0x080

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_table0[1024] __attribute__((aligned(4096)));
extern char __user_start[], __user_end[];
static volatile uint32_t ticks;

static void paging_init(void) {
  for (uint32_t i = 0; i < 1024; ++i) {
    uint32_t addr = i << 12;
    uint32_t flags = PTE_P | PTE_W;
    if (addr >= (uint32_t)__user_start && addr < (uint32_t)__user_end) flags |= PTE_U;
    page_table0[i] = i == 0 ? 0 : addr | flags; /* page 0 unmapped: null dereferences fault */
  }
  page_dir[0] = (uint32_t)page_table0 | PTE_P | PTE_W | PTE_U;
  page_dir[1] = 0x00400000 | PTE_P | PTE_W | PDE_PS; /* identity 4-8 MiB, one 4 MiB page */
  page_dir[2] = 0x00000000 | PTE_P | PTE_W | PDE_PS; /* an alias of 0-4 MiB at 8 MiB */
  __asm__ volatile(
      "mov %%cr4, %%eax\n or $0x10, %%eax\n mov %%eax, %%cr4\n" /* CR4.PSE */
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n or $0x80010000, %%eax\n mov %%eax, %%cr0\n" /* PG and WP */
      ::"r"(page_dir)
      : "eax", "memory");
}

void isr_dispatch(struct frame* f) {
  switch (f->vector) {
    case 0:
      puts("exception: #DE at ring ");
      putdec(f->cs & 3);
      puts(", skipping the div\n");
      f->eip += 2; /* div %ecx is two bytes */
      return;
    case 13:
      puts("exception: #GP error ");
      puthex(f->error);
      puts(" from ring ");
      putdec(f->cs & 3);
      puts(", skipping the instruction\n");
      f->eip += 1; /* the one-byte cli of user_main */
      return;
    case 14: {
      uint32_t cr2;
      __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
      puts("exception: #PF at ");
      puthex(cr2);
      puts(" error ");
      puthex(f->error);
      puts(", mapping a 4 MiB page there\n");
      page_dir[cr2 >> 22] = 0x00400000 | PTE_P | PTE_W | PDE_PS;
      __asm__ volatile("invlpg (%0)" ::"r"(cr2) : "memory");
      return;
    }
    case 32:
      ticks = ticks + 1;
      outb(0x20, 0x20); /* EOI */
      return;
    case 128:            /* system calls: eax = number, ebx = argument */
      if (f->eax == 1) { /* write(str) */
        puts((const char*)f->ebx);
        f->eax = 0;
      } else if (f->eax == 2) { /* getcs() */
        f->eax = f->cs;
      } else if (f->eax == 3) { /* exit(status): the test ends here, on the kernel stack */
        puts("ring 3 exited with status ");
        putdec(f->ebx);
        puts("\n");
        puts("smoke: all checks done\n");
        exit_machine(0);
      } else {
        f->eax = (uint32_t)-1;
      }
      return;
    default:
      puts("unexpected vector ");
      putdec(f->vector);
      puts("\n");
      exit_machine(3);
  }
}

/* ---- ring 3 ------------------------------------------------------------------------- */
static uint8_t user_stack[4096] __attribute__((aligned(4096), section(".user_data")));
static const char user_msg1[] __attribute__((section(".user_rodata"))) =
    "ring 3: hello through int 0x80\n";
static const char user_msg2[] __attribute__((section(".user_rodata"))) = "ring 3: cs has RPL 3\n";

__attribute__((section(".user_text"), noinline)) static uint32_t user_syscall(uint32_t n,
                                                                              uint32_t a) {
  uint32_t r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a) : "memory");
  return r;
}

__attribute__((section(".user_text"), noreturn, noinline)) static void user_main(void) {
  user_syscall(1, (uint32_t)user_msg1);
  if ((user_syscall(2, 0) & 3) == 3) user_syscall(1, (uint32_t)user_msg2);
  __asm__ volatile("cli"); /* CPL 3 > IOPL 0: #GP, which the kernel reports and skips */
  user_syscall(3, 42);
  for (;;) {
  }
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  console_init();
  puts("vmlab smoke kernel\n");
  if (magic != 0x2BADB002) {
    puts("not booted by a Multiboot loader\n");
    exit_machine(2);
  }
  /* The exact figure differs between loaders (QEMU keeps some top memory for itself),
   * so only its order of magnitude is printed. */
  puts("multiboot: mem_lower=");
  putdec(mbi->mem_lower);
  puts(" KiB, mem_upper at least 16 MiB: ");
  puts(mbi->mem_upper >= 16 * 1024 ? "yes\n" : "no\n");
  if (mbi->flags & 4) {
    puts("multiboot: cmdline '");
    puts((const char*)mbi->cmdline);
    puts("'\n");
  }

  tables_init();
  puts("gdt, tss, idt: loaded\n");

  volatile uint32_t zero = 0, q = 7;
  __asm__ volatile("xor %%edx, %%edx\n div %%ecx" : "+a"(q) : "c"(zero) : "edx");
  puts("after #DE: eax=");
  putdec(q);
  puts("\n");

  paging_init();
  volatile uint32_t* alias = (volatile uint32_t*)(0x00800000 + (uint32_t)&ticks);
  *alias = 1234;
  puts("paging: on, 4 MiB alias sees ");
  putdec(ticks);
  puts("\n");
  ticks = 0;
  volatile uint32_t* far = (volatile uint32_t*)0x00C00010;
  *far = 0xC0FFEE;
  puts("paging: wrote through the new mapping, read back ");
  puthex(*far);
  puts("\n");

  pic_init(0xFE); /* only IRQ0, the PIT */
  pit_init(100);
  __asm__ volatile("sti");
  while (ticks < 3) __asm__ volatile("hlt");
  __asm__ volatile("cli");
  puts("timer: 3 ticks\n");

  puts("entering ring 3\n");
  enter_ring3(user_main, user_stack + sizeof user_stack);
}
