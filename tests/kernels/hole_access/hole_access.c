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

static uint32_t read_cr2(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  puts("unexpected vector ");
  putdec(f->vector);
  puts(" error ");
  puthex(f->error);
  puts(" at ");
  puthex(f->eip);
  putc('\n');
  exit_machine(1);
}

static uint32_t probe_read(uint32_t lin) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "movl (%[lin]), %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   : [lin] "r"(lin)
                   : "memory");
  return v;
}

static void probe_write(uint32_t lin, uint32_t v) {
  __asm__ volatile(PROBE_BEGIN "movl %[v], (%[lin])\n" PROBE_END
                   :
                   : [lin] "r"(lin), [v] "r"(v)
                   : "memory");
}

/* PUSH `v` with ESP = `esp`, then POP it back: returns what POP read. */
static uint32_t push_pop(uint32_t esp, uint32_t v) {
  uint32_t out = 0;
  __asm__ volatile(PROBE_BEGIN
                   "movl %%esp, %%ebx\n"
                   "movl %[esp], %%esp\n"
                   "pushl %[v]\n"
                   "popl %[out]\n" PROBE_END "movl %%ebx, %%esp\n"
                   : [out] "+r"(out)
                   : [esp] "r"(esp), [v] "r"(v)
                   : "ebx", "memory");
  return out;
}

static void rep_movsd(uint32_t dst, uint32_t src, uint32_t count) {
  __asm__ volatile(PROBE_BEGIN
                   "cld\n"
                   "rep movsl\n" PROBE_END
                   : "+D"(dst), "+S"(src), "+c"(count)
                   :
                   : "memory");
}

static void show(const char* what, uint32_t v) {
  puts(what);
  puts(" -> ");
  if (probe.faulted) {
    puts("vector ");
    putdec(probe.vector);
    puts(" error ");
    puthex(probe.error);
    if (probe.vector == 14) {
      puts(" cr2 ");
      puthex(read_cr2());
    }
  } else {
    puthex(v);
  }
  putc('\n');
}

static void checks(void) {
  probe_write(0xFEE00010, 0x12345678);
  show("write 0xFEE00010", 0x12345678);
  show("read  0xFEE00010", probe_read(0xFEE00010));
  show("read  0xFEE00FFC", probe_read(0xFEE00FFC));
  show("push/pop esp 0", push_pop(0, 0xCAFEBABE));
  show("push/pop esp 0xFFFFF800", push_pop(0xFFFFF800, 0x0BADF00D));
  for (uint32_t i = 0; i < 16; ++i) buf[i] = 0x11111111u * (i + 1);
  rep_movsd(0xFEDFFFE0, (uint32_t)buf, 16); /* 8 dwords each side of 0xFEE00000 */
  show("rep movsd into the hole", 16);
  for (uint32_t i = 0; i < 16; ++i) buf[i] = 0;
  rep_movsd((uint32_t)buf, 0xFEDFFFE8, 8);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < 16; ++i) sum = sum * 31 + buf[i];
  show("rep movsd out of the hole", sum);
  show("read  0xFD000000", probe_read(0xFD000000));
  probe_write(0xFD000004, 1);
  show("write 0xFD000004", 1);
  /* Where bt keeps its translator's data and translation cache: the guest's own page. */
  probe_write(0xFC100010, 0xFEEDFACE);
  show("write 0xFC100010", 0xFEEDFACE);
  show("read  0xFC040010", probe_read(0xFC040010));
  probe_write(0xFC040000, 0xDEADBEEF);
  show("read  0xFC100000", probe_read(0xFC100000));
  /* Code in the hole: a call to a stub at 0xFFFFF800 that returns a value. */
  static const uint8_t stub[] = {0xB8, 0xDE, 0xC0, 0x0D, 0x60, /* mov eax, 0x600DC0DE */
                                 0x05, 0x01, 0x00, 0x00, 0x00, /* add eax, 1 */
                                 0xC3};                        /* ret */
  for (uint32_t i = 0; i < sizeof stub; ++i) ((volatile uint8_t*)0xFFFFF800)[i] = stub[i];
  uint32_t v;
  probe.faulted = 0;
  __asm__ volatile("call *%1" : "=a"(v) : "r"(0xFFFFF800u) : "ecx", "edx", "memory");
  show("call 0xFFFFF800", v);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  tables_init();

  puts("paging off\n");
  /* Nothing decodes these physical addresses: reads give all ones, writes vanish. */
  probe_write(0xFD000000, 0x55AA55AA);
  show("write 0xFD000000", 0x55AA55AA);
  show("read  0xFD000000", probe_read(0xFD000000));
  show("push/pop esp 0", push_pop(0, 0xCAFEBABE));

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
  __asm__ volatile(
      "mov %0, %%cr3\n"
      "mov %%cr0, %%eax\n"
      "or $0x80000000, %%eax\n"
      "mov %%eax, %%cr0\n" ::"r"(pd)
      : "eax", "memory");
  if (cmdline_has(mbi, "spin")) {
    /* A loop in the hole (jmp $ at 0xFFFFF800): the run must end on its budget. */
    ((volatile uint8_t*)0xFFFFF800)[0] = 0xEB;
    ((volatile uint8_t*)0xFFFFF800)[1] = 0xFE;
    __asm__ volatile("jmp *%0" ::"r"(0xFFFFF800u));
  }
  checks();
  /* What the accesses left in the guest's own pages, read through their low aliases. */
  probe.faulted = 0;
  show("page at 0xFEE00000 [4]", page_apic[4]);
  show("page at 0xFEE00000 [0]", page_apic[0]);
  show("page at 0xFEE00000 [7]", page_apic[7]);
  show("page at 0xFEDFF000 [1016]", page_below[1016]);
  show("page at 0xFFFFF000 [1023]", page_top[1023]);
  show("page at 0xFFFFF000 [511]", page_top[511]);
  show("page at 0xFC100000 [4]", page_tc[4]);
  puts("done\n");
  exit_machine(0);
}
