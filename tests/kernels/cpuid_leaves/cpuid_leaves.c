/*
 * CPUID as the guest must see it (issue 12, item 15), from ring 0 and from ring 3: the
 * raw leaves 0, 1, 40000000H and 40000001H, the CPUID-faulting MSRs (MSR_PLATFORM_INFO
 * bit 31, MSR_MISC_FEATURES_ENABLES bit 0: Intel SDM Vol. 4 and Intel's "Virtualization
 * Technology FlexMigration" application note), and CPUID faulting as the guest itself
 * asks for it: with bit 0 set, CPUID in ring 3 is #GP(0) and in ring 0 still answers.
 * Natively the leaves are the processor's; under every monitor they carry the hypervisor
 * bit (leaf 1, ECX bit 31) and leaf 40000000H, and the same in ring 3 as in ring 0 (the
 * classic CPU does not trap CPUID: the deprivileged monitors turn on CPUID faulting
 * themselves, and the guest's own MSR_MISC_FEATURES_ENABLES stays the guest's).
 */
#include "klib.h"

static uint8_t user_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t user_leaf1[4];
static volatile uint32_t phase;

static void cpuid(uint32_t leaf, uint32_t r[4]) {
  r[0] = leaf;
  r[2] = 0;
  __asm__ volatile("cpuid" : "+a"(r[0]), "=b"(r[1]), "+c"(r[2]), "=d"(r[3]));
}

static uint64_t rdmsr(uint32_t index) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
  return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t index, uint64_t v) {
  __asm__ volatile("wrmsr" ::"a"((uint32_t)v), "d"((uint32_t)(v >> 32)), "c"(index));
}

static void show_leaf(const char* who, uint32_t leaf) {
  uint32_t r[4];
  cpuid(leaf, r);
  puts(who);
  puts(" leaf ");
  puthex(leaf);
  puts(":");
  for (int i = 0; i < 4; ++i) {
    putc(' ');
    puthex(r[i]);
  }
  putc('\n');
}

static void user_probe(void) {
  uint32_t r[4];
  cpuid(1, r); /* phase 0: answers; phase 1: #GP (the guest enabled faulting) */
  for (int i = 0; i < 4; ++i) user_leaf1[i] = r[i];
  __asm__ volatile("int $0x80" ::"a"(1));
  for (;;) {
  }
}

static void finish(void) {
  puts("ring 0 after faulting on:\n");
  show_leaf("ring 0", 1);
  wrmsr(0x140, 0);
  puts("misc_features_enables after clearing = ");
  puthex((uint32_t)rdmsr(0x140));
  putc('\n');
  puts("cpuid leaves test done\n");
  exit_machine(0);
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x80 && phase == 0) {
    puts("ring 3 leaf 0x00000001:");
    for (int i = 0; i < 4; ++i) {
      putc(' ');
      puthex(user_leaf1[i]);
    }
    putc('\n');
    wrmsr(0x140, 1); /* CPUID faulting on, for this guest's user mode */
    puts("misc_features_enables = ");
    puthex((uint32_t)rdmsr(0x140));
    putc('\n');
    phase = 1;
    enter_ring3(user_probe, user_stack + sizeof user_stack);
  }
  if (f->vector == 13 && phase == 1 && (f->cs & 3) == 3) {
    puts("ring 3 cpuid with faulting on: #GP, error code ");
    puthex(f->error);
    puts(", at the cpuid: ");
    putdec(*(volatile uint16_t*)f->eip == 0xA20F);
    putc('\n');
    phase = 2;
    finish();
  }
  puts("unexpected vector ");
  putdec(f->vector);
  puts(" in phase ");
  putdec(phase);
  putc('\n');
  exit_machine(1);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("vmlab cpuid leaves kernel\n");
  show_leaf("ring 0", 0);
  show_leaf("ring 0", 1);
  show_leaf("ring 0", 0x40000000);
  show_leaf("ring 0", 0x40000001);
  puts("platform_info cpuid faulting = ");
  putdec((uint32_t)(rdmsr(0xCE) >> 31) & 1);
  putc('\n');
  puts("misc_features_enables = ");
  puthex((uint32_t)rdmsr(0x140));
  putc('\n');
  enter_ring3(user_probe, user_stack + sizeof user_stack);
}
