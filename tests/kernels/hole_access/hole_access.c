/*
 * The hole-access test kernel (issue 12, item 12). Under ring compression (trap on the
 * classic CPU, bt) the monitor keeps its GDT, IDT, TSS and translation cache in the top
 * 64 MiB of the linear space, the hypervisor hole at 0xFC000000, and cuts the guest's
 * segments below it. The guest does not know: its flat segments reach 4 GiB, and it may put
 * anything there (the local APIC's page at 0xFEE00000 is the common case). The kernel uses
 * linear addresses in the hole with paging off (nothing is there: reads give all ones,
 * writes vanish) and with paging on, its own pages mapped there:
 *   - reads and writes of a page mapped at 0xFEE00000, checked through its low alias;
 *   - PUSH and POP with ESP at 0 (the push lands at 0xFFFFFFFC) and near 4 GiB;
 *   - REP MOVSD across a page boundary in the hole, in and out;
 *   - a call to code the kernel copied to 0xFFFFF800, which returns;
 *   - reads and writes of one page mapped at 0xFC040000 and 0xFC100000, where bt keeps its
 *     own data and translation cache (the guest's page, never the monitor's);
 *   - a read of an unmapped hole address: the #PF the guest's own tables give it, CR2 and
 *     error code as natively.
 * With "spin" on its command line it jumps to a loop at 0xFFFFF800 instead: every mode must
 * end the run on its instruction budget.
 * Every mode prints the same console (hole_access.expected): the monitor executes each
 * access for the guest (a hole_access event), and a fault there is only one the guest
 * earned.
 */
#include "probe.h"

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_apic[1024] __attribute__((aligned(4096)));    /* 0xFEC00000-0xFEFFFFFF */
static uint32_t pt_top[1024] __attribute__((aligned(4096)));     /* 0xFFC00000-0xFFFFFFFF */
static uint32_t page_apic[1024] __attribute__((aligned(4096)));  /* at 0xFEE00000 */
static uint32_t page_below[1024] __attribute__((aligned(4096))); /* at 0xFEDFF000 */
static uint32_t page_top[1024] __attribute__((aligned(4096)));   /* at 0xFFFFF000 */
static uint32_t pt_bottom[1024] __attribute__((aligned(4096)));  /* 0xFC000000-0xFC3FFFFF */
static uint32_t page_tc[1024] __attribute__((aligned(4096)));    /* at 0xFC040000, 0xFC100000 */
static uint32_t buf[16];

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static void checks(void) {
  probe_write(0xFEE00010, 0x12345678);
  probe_print_cr2("write 0xFEE00010", 0x12345678);
  probe_print_cr2("read  0xFEE00010", probe_read(0xFEE00010));
  probe_print_cr2("read  0xFEE00FFC", probe_read(0xFEE00FFC));
  probe_print_cr2("push/pop esp 0", probe_push_pop(0, 0xCAFEBABE));
  probe_print_cr2("push/pop esp 0xFFFFF800", probe_push_pop(0xFFFFF800, 0x0BADF00D));
  for (uint32_t i = 0; i < 16; ++i) buf[i] = 0x11111111u * (i + 1);
  probe_rep_movsd(0xFEDFFFE0, (uint32_t)buf, 16); /* 8 dwords each side of 0xFEE00000 */
  probe_print_cr2("rep movsd into the hole", 16);
  for (uint32_t i = 0; i < 16; ++i) buf[i] = 0;
  probe_rep_movsd((uint32_t)buf, 0xFEDFFFE8, 8);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < 16; ++i) sum = sum * 31 + buf[i];
  probe_print_cr2("rep movsd out of the hole", sum);
  probe_print_cr2("read  0xFD000000", probe_read(0xFD000000));
  probe_write(0xFD000004, 1);
  probe_print_cr2("write 0xFD000004", 1);
  /* Where bt keeps its translator's data and translation cache: the guest's own page. */
  probe_write(0xFC100010, 0xFEEDFACE);
  probe_print_cr2("write 0xFC100010", 0xFEEDFACE);
  probe_print_cr2("read  0xFC040010", probe_read(0xFC040010));
  probe_write(0xFC040000, 0xDEADBEEF);
  probe_print_cr2("read  0xFC100000", probe_read(0xFC100000));
  /* Code in the hole: a call to a stub at 0xFFFFF800 that returns a value. */
  static const uint8_t stub[] = {0xB8, 0xDE, 0xC0, 0x0D, 0x60, /* mov eax, 0x600DC0DE */
                                 0x05, 0x01, 0x00, 0x00, 0x00, /* add eax, 1 */
                                 0xC3};                        /* ret */
  for (uint32_t i = 0; i < sizeof stub; ++i) ((volatile uint8_t*)0xFFFFF800)[i] = stub[i];
  uint32_t v;
  probe.faulted = 0;
  __asm__ volatile("call *%1" : "=a"(v) : "r"(0xFFFFF800u) : "ecx", "edx", "memory");
  probe_print_cr2("call 0xFFFFF800", v);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  tables_init();

  puts("paging off\n");
  /* Nothing decodes these physical addresses: reads give all ones, writes vanish. */
  probe_write(0xFD000000, 0x55AA55AA);
  probe_print_cr2("write 0xFD000000", 0x55AA55AA);
  probe_print_cr2("read  0xFD000000", probe_read(0xFD000000));
  probe_print_cr2("push/pop esp 0", probe_push_pop(0, 0xCAFEBABE));

  puts("paging on\n");
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pd[0] = (uint32_t)pt_low | 3;
  pd[0xFEC00000u >> 22] = (uint32_t)pt_apic | 3;
  pd[0xFFC00000u >> 22] = (uint32_t)pt_top | 3;
  pt_apic[(0xFEE00000u >> 12) & 1023] = (uint32_t)page_apic | 3;
  pt_apic[(0xFEDFF000u >> 12) & 1023] = (uint32_t)page_below | 3;
  pt_top[1023] = (uint32_t)page_top | 3;
  pd[0xFC000000u >> 22] = (uint32_t)pt_bottom | 3;
  pt_bottom[0x40] = (uint32_t)page_tc | 3;
  pt_bottom[0x100] = (uint32_t)page_tc | 3;
  paging_on(pd);
  if (cmdline_has(mbi, "spin")) {
    /* A loop in the hole (jmp $ at 0xFFFFF800): the run must end on its budget. */
    ((volatile uint8_t*)0xFFFFF800)[0] = 0xEB;
    ((volatile uint8_t*)0xFFFFF800)[1] = 0xFE;
    __asm__ volatile("jmp *%0" ::"r"(0xFFFFF800u));
  }
  checks();
  /* What the accesses left in the guest's own pages, read through their low aliases. */
  probe.faulted = 0;
  probe_print_cr2("page at 0xFEE00000 [4]", page_apic[4]);
  probe_print_cr2("page at 0xFEE00000 [0]", page_apic[0]);
  probe_print_cr2("page at 0xFEE00000 [7]", page_apic[7]);
  probe_print_cr2("page at 0xFEDFF000 [1016]", page_below[1016]);
  probe_print_cr2("page at 0xFFFFF000 [1023]", page_top[1023]);
  probe_print_cr2("page at 0xFFFFF000 [511]", page_top[511]);
  probe_print_cr2("page at 0xFC100000 [4]", page_tc[4]);
  puts("done\n");
  exit_machine(0);
}
