/*
 * The benchmark kernel: guest loops whose instruction throughput the host benchmarks
 * measure (benchmarks/cpu_bench.cpp), selected by a word on the command line:
 *   compute  - integer work in ring 0: a CRC-like mixing loop over an array, gcc -O2 code
 *   syscall  - ring 3 making null system calls through an int 0x80 gate, with the PIT
 *              interrupting at 1 kHz: the interrupt/privilege-change path
 * Each loop runs until the host's instruction budget stops it, so it never exits.
 */
#include "klib.h"

static uint32_t data[4096];

static void compute(void) {
  uint32_t h = 0x12345678;
  for (uint32_t i = 0; i < 4096; ++i) data[i] = i * 2654435761u;
  for (uint32_t round = 0;; ++round) {
    for (uint32_t i = 0; i < 4096; ++i) {
      uint32_t x = data[i] ^ h;
      x = (x << 5) | (x >> 27);
      h = x * 31 + (h >> 3) + round;
      data[i] = h;
    }
  }
}

static uint8_t user_stack[4096] __attribute__((aligned(4096), section(".user_data")));

__attribute__((section(".user_text"), noreturn, noinline)) static void user_syscall_loop(void) {
  for (uint32_t i = 0;; ++i) {
    uint32_t r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(i) : "memory");
  }
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 32) {
    outb(0x20, 0x20); /* EOI */
  } else if (f->vector == 128) {
    f->eax += 1; /* the null system call */
  } else {
    puts("bench: unexpected vector ");
    putdec(f->vector);
    puts("\n");
    exit_machine(3);
  }
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  console_init();
  if (magic != 0x2BADB002) exit_machine(2);
  tables_init();
  if (cmdline_has(mbi, "syscall")) {
    pic_init(0xFE);
    pit_init(1000);
    puts("bench: syscall loop\n");
    enter_ring3(user_syscall_loop, user_stack + sizeof user_stack);
  }
  puts("bench: compute loop\n");
  compute();
}
