/*
 * The local APIC and fw_cfg test kernel: what a test kernel such as kvm-unit-tests finds
 * on a PC booted with qemu-system-i386 -kernel, checked in an order where each step relies
 * only on the ones before it:
 *   CPUID and IA32_APIC_BASE -> the registers' reset values -> fw_cfg -> software enable ->
 *   self-IPIs and EOI -> the task priority holding an interrupt back -> the periodic and
 *   one-shot timer -> the 8259A still reaching INTR through LINT0 -> a global disable.
 * Two places where QEMU departs from the SDM are left out: the APIC page is not read after
 * the global disable (the SDM has it decode nothing then; QEMU keeps answering), and the
 * LVT entries are not read while software-disabled (the SDM has their mask bits set and
 * stuck; QEMU leaves them as they were). engine/machine's unit tests cover both.
 * Everything it prints is deterministic (no timer counts are printed, only how many
 * interrupts arrived and whether counts fell), so its console must be byte-identical under
 * vmlab and QEMU (tests/kernels/compare_with_qemu.sh).
 */
#include "klib.h"

#define APIC ((volatile uint32_t*)0xFEE00000)
#define REG(off) APIC[(off) / 4]
#define APIC_ID 0x20
#define APIC_VERSION 0x30
#define APIC_TPR 0x80
#define APIC_PPR 0xA0
#define APIC_EOI 0xB0
#define APIC_LDR 0xD0
#define APIC_DFR 0xE0
#define APIC_SVR 0xF0
#define APIC_ISR 0x100
#define APIC_IRR 0x200
#define APIC_ICR_LOW 0x300
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3E0

static volatile uint32_t hits[6]; /* interrupts taken on vectors 0x40-0x45 */
static volatile uint32_t pit_ticks;

static void cpuid1(uint32_t* edx) {
  uint32_t a = 1, b, c, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  *edx = d;
}

static uint64_t rdmsr(uint32_t index) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
  return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t index, uint64_t v) {
  __asm__ volatile("wrmsr" ::"a"((uint32_t)v), "d"((uint32_t)(v >> 32)), "c"(index));
}

static void show(const char* name, uint32_t v) {
  puts(name);
  puts(" = ");
  puthex(v);
  putc('\n');
}

void isr_dispatch(struct frame* f) {
  if (f->vector >= 0x40 && f->vector <= 0x45) {
    hits[f->vector - 0x40]++;
    REG(APIC_EOI) = 0;
  } else if (f->vector == 0x20) {
    pit_ticks++;
    outb(0x20, 0x20); /* EOI to the master PIC */
  } else {
    puts("unexpected vector ");
    putdec(f->vector);
    putc('\n');
    exit_machine(1);
  }
}

static void fw_cfg_select(uint16_t key) {
  outw(0x510, key);
}

static uint32_t fw_cfg_read(unsigned bytes) {
  uint32_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= (uint32_t)inb(0x511) << (8 * i);
  return v;
}

static void wait_for(volatile uint32_t* counter, uint32_t n) {
  while (*counter < n) __asm__ volatile("sti; hlt; cli");
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("vmlab apic test kernel\n");

  uint32_t edx;
  cpuid1(&edx);
  show("cpuid.1:edx.apic", (edx >> 9) & 1);
  show("ia32_apic_base", (uint32_t)rdmsr(0x1B));

  puts("-- reset values\n");
  show("id", REG(APIC_ID));
  show("version", REG(APIC_VERSION));
  show("tpr", REG(APIC_TPR));
  show("ppr", REG(APIC_PPR));
  show("ldr", REG(APIC_LDR));
  show("dfr", REG(APIC_DFR));
  show("svr", REG(APIC_SVR));
  show("lvt timer", REG(APIC_LVT_TIMER));
  show("lvt lint0", REG(APIC_LVT_LINT0));
  show("lvt lint1", REG(APIC_LVT_LINT1));
  show("lvt error", REG(APIC_LVT_ERROR));
  show("timer divide", REG(APIC_TIMER_DIVIDE));

  puts("-- fw_cfg\n");
  fw_cfg_select(0x0000);
  puts("signature = ");
  for (int i = 0; i < 4; ++i) putc((char)inb(0x511));
  putc('\n');
  fw_cfg_select(0x0005);
  show("nb_cpus", fw_cfg_read(2));
  fw_cfg_select(0x0003);
  show("ram_size", fw_cfg_read(4));
  show("ram_size high", fw_cfg_read(4));

  puts("-- software enable, self-IPIs\n");
  pic_mask_all(); /* the PICs quiet */
  REG(APIC_SVR) = 0x0FF; /* software disable */
  REG(APIC_SVR) = 0x1FF;
  REG(APIC_LVT_LINT0) = 0x8700;
  show("svr", REG(APIC_SVR));
  show("lvt lint0", REG(APIC_LVT_LINT0));
  REG(APIC_ICR_LOW) = 0x00040041; /* shorthand self, fixed, vector 0x41 */
  show("irr bits 64-95 before sti", REG(APIC_IRR + 0x20));
  wait_for(&hits[1], 1);
  show("self ipi 0x41 taken", hits[1]);
  show("isr after eoi", REG(APIC_ISR + 0x20));

  puts("-- task priority\n");
  REG(APIC_TPR) = 0x50;
  show("ppr", REG(APIC_PPR));
  REG(APIC_ICR_LOW) = 0x00040045; /* class 4: held back by TPR class 5 */
  show("irr bits 64-95", REG(APIC_IRR + 0x20));
  REG(APIC_TPR) = 0;
  wait_for(&hits[5], 1);
  show("after tpr 0, 0x45 taken", hits[5]);
  show("irr bits 64-95", REG(APIC_IRR + 0x20));

  puts("-- timer\n");
  REG(APIC_TIMER_DIVIDE) = 0x3;        /* divide by 16 */
  REG(APIC_LVT_TIMER) = 0x20042;       /* periodic, vector 0x42 */
  REG(APIC_TIMER_INITIAL) = 100000;    /* 1.6 ms at QEMU's 1 GHz timer clock */
  wait_for(&hits[2], 5);
  REG(APIC_LVT_TIMER) = 0x10042;       /* masked */
  REG(APIC_TIMER_INITIAL) = 0;         /* stopped */
  show("periodic timer interrupts (5 awaited)", hits[2]);
  show("lvt timer", REG(APIC_LVT_TIMER));
  show("current count after stop", REG(APIC_TIMER_CURRENT));
  REG(APIC_TIMER_DIVIDE) = 0xB;        /* divide by 1 */
  REG(APIC_LVT_TIMER) = 0x00043;       /* one-shot, vector 0x43 */
  REG(APIC_TIMER_INITIAL) = 2000000;   /* 2 ms */
  const uint32_t first = REG(APIC_TIMER_CURRENT);
  for (volatile int i = 0; i < 1000; ++i) {
  }
  const uint32_t second = REG(APIC_TIMER_CURRENT);
  show("one-shot count falls", second < first && first <= 2000000);
  wait_for(&hits[3], 1);
  for (volatile int i = 0; i < 1000; ++i) {
  }
  show("one-shot interrupts", hits[3]);
  show("current count after expiry", REG(APIC_TIMER_CURRENT));

  puts("-- the PIC through LINT0\n");
  pic_init(0xFE); /* IRQ 0 on vector 0x20 */
  pit_init(1000);
  wait_for(&pit_ticks, 3);
  outb(0x21, 0xFF);
  show("pit interrupts (3 awaited)", pit_ticks);

  puts("-- global disable\n");
  wrmsr(0x1B, rdmsr(0x1B) & ~(uint64_t)0x800);
  cpuid1(&edx);
  show("cpuid.1:edx.apic", (edx >> 9) & 1);
  show("ia32_apic_base", (uint32_t)rdmsr(0x1B));
  puts("apic test done\n");
  exit_machine(0);
}
