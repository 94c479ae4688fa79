/*
 * The NMI test kernel (issue 12): the processor's NMI input and the APIC messages that
 * reach it (SDM Vol. 3A 6.7 and 6.7.1; 10.6.1, ICR delivery mode 100b; the 82093AA's
 * delivery mode 100), checked in an order where each step relies only on the ones before:
 *   a self-NMI through the ICR with IF clear is taken through IDT vector 2 -> a second
 *   NMI sent inside the handler waits until its IRET, a third one is lost (one pending at
 *   most) -> the ICR's other destinations (its physical ID, "all including self"), the
 *   vector field ignored (no ESR error) -> an I/O APIC pin in NMI mode (the PIT on pin 2)
 *   wakes HLT with IF clear -> IF and the interrupt gate: the handler runs with IF clear.
 * The command-line words choose a hostile variant instead (tests/kernels/nmi/
 * CMakeLists.txt): "storm", a handler that sends itself an NMI before every IRET, forever;
 * "notpresent", an NMI gate that is not present (#NP with the IDT and EXT bits, 0x13);
 * "taskgate", an NMI gate that is a task gate to an available TSS: the NMI switches to that
 * task, which counts it and returns with IRET (NT set: back through its link), twice (SDM
 * Vol. 3A 6.11 and 7.3, "Interrupt 2" through a task gate); "taskbusy", a task gate to the
 * busy current TSS (#GP with the EXT bit, 0x29).
 * Only counts and register values are printed, so the console is byte-identical under
 * vmlab, in every non-PV mode, and under QEMU (tests/kernels/compare_with_qemu.sh).
 * The processor's performance counters are not modeled (tests/kernels/pmu): no LVTPC
 * overflow is tested.
 */
#include "own_tables.h"

#define LAPIC ((volatile uint32_t*)0xFEE00000)
#define LREG(off) LAPIC[(off) / 4]
#define LAPIC_ID 0x20
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_NMI (4u << 8)
#define ICR_SELF (1u << 18)
#define ICR_ALL_INCL (2u << 18)
#define IOAPIC ((volatile uint32_t*)0xFEC00000)

static uint64_t gdt[7];
static uint64_t idt[256];
static struct tss32 tss, tss2;
static uint8_t stack0[4096] __attribute__((aligned(16)));
static uint8_t task_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t task_nmis;   /* NMIs the NMI task took */
static volatile uint32_t task_link;   /* its TSS's link, read inside it */
static volatile uint32_t task_eflags; /* its EFLAGS (NT), read inside it */

/* The NMI task: each NMI resumes it after its IRET, which returns to the interrupted task. */
static void nmi_task(void) {
  for (;;) {
    uint32_t flags;
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    task_eflags = flags & 0x4000;
    task_link = tss2.prev;
    ++task_nmis;
    __asm__ volatile("iret" ::: "memory");
  }
}

static volatile uint32_t nmis;           /* NMIs taken */
static volatile uint32_t phase;          /* what the handler does */
static volatile uint32_t count_inside;   /* nmis, read inside the handler after a send */
static volatile uint32_t if_at_nmi = 99; /* the interrupted code's IF, from the frame */
static volatile uint32_t if_in_handler = 99;

static void ioapic_write(uint8_t reg, uint32_t v) {
  IOAPIC[0] = reg;
  IOAPIC[4] = v;
}

static uint32_t ioapic_read(uint8_t reg) {
  IOAPIC[0] = reg;
  return IOAPIC[4];
}

static void send_nmi(uint32_t shorthand, uint8_t dest, uint8_t vector) {
  __asm__ volatile("" ::: "memory"); /* the IDT and the counters are written before */
  LREG(LAPIC_ICR_HI) = (uint32_t)dest << 24;
  LREG(LAPIC_ICR_LO) = shorthand | ICR_NMI | vector;
}

/* The NMI entry: the registers, then the C handler with the interrupt frame. */
void nmi_handler(uint32_t* frame);
__asm__(
    ".globl nmi_entry\n"
    "nmi_entry:\n"
    "  pusha\n"
    "  lea 32(%esp), %eax\n"
    "  push %eax\n"
    "  call nmi_handler\n"
    "  add $4, %esp\n"
    "  popa\n"
    "  iret\n");
extern void nmi_entry(void);

void nmi_handler(uint32_t* frame) {
  /* frame[0] EIP, frame[1] CS, frame[2] EFLAGS of the interrupted code. */
  nmis++;
  uint32_t fl;
  __asm__ volatile("pushf; pop %0" : "=r"(fl));
  if (nmis == 1) {
    if_at_nmi = (frame[2] >> 9) & 1;
    if_in_handler = (fl >> 9) & 1;
  }
  if (phase == 2 && nmis == 1) {
    /* Blocked until this handler's IRET: the second waits, the third is lost. */
    send_nmi(ICR_SELF, 0, 0);
    for (volatile int i = 0; i < 100; ++i) {
    }
    count_inside = nmis;
    send_nmi(ICR_SELF, 0, 0);
  } else if (phase == 4) {
    ioapic_write(0x10 + 2 * 2, 0x00010400); /* mask pin 2 again: one NMI */
  } else if (phase == 9) {
    send_nmi(ICR_SELF, 0, 0); /* storm: another before every IRET, forever */
  }
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 11 || f->vector == 13) {
    puts(f->vector == 11 ? "#NP error " : "#GP error ");
    puthex(f->error);
    putc('\n');
    exit_machine(0);
  }
  unexpected_vector(f);
}

static void settle(void) {
  /* Long enough for any NMI in flight to be taken (QEMU looks between translation blocks). */
  for (volatile int i = 0; i < 1000; ++i) {
  }
}

static void show(const char* name, uint32_t v) {
  puts(name);
  puts(" = ");
  puthex(v);
  putc('\n');
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  tables_init();
  own_tables_load(gdt, 7, idt, &tss, (uint32_t)(stack0 + sizeof stack0));
  gdt[6] = seg_desc((uint32_t)&tss2, sizeof tss2 - 1, 0x89, 0x0); /* an available TSS */
  idt[2] = own_gate(SEL_KCODE, (uint32_t)nmi_entry, 0x8E);
  pic_mask_all();
  puts("vmlab nmi test kernel\n");

  if (cmdline_has(mbi, "notpresent")) {
    idt[2] &= ~(1ull << 47);
    send_nmi(ICR_SELF, 0, 0);
    settle();
    puts("no #NP\n");
    exit_machine(1);
  }
  if (cmdline_has(mbi, "taskgate")) {
    uint32_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    tss2.eip = (uint32_t)nmi_task;
    tss2.eflags = 0x2;
    tss2.cs = SEL_KCODE;
    tss2.ss = tss2.ds = tss2.es = SEL_KDATA;
    tss2.esp = (uint32_t)(task_stack + sizeof task_stack);
    tss2.cr3 = cr3;
    tss2.iomap_base = sizeof tss2;
    idt[2] = own_gate(0x30, 0, 0x85);
    send_nmi(ICR_SELF, 0, 0);
    settle();
    show("nmis through the task gate", task_nmis);
    show("the NMI task's link", task_link);
    show("the NMI task's NT", task_eflags);
    show("its TSS type after the return", (uint32_t)(gdt[6] >> 40) & 0xF);
    show("ours after the return", (uint32_t)(gdt[SEL_TSS >> 3] >> 40) & 0xF);
    send_nmi(ICR_SELF, 0, 0); /* the task's IRET ended the blocking */
    settle();
    show("nmis after a second one", task_nmis);
    exit_machine(0);
  }
  if (cmdline_has(mbi, "taskbusy")) {
    /* To the busy current TSS (#GP). */
    idt[2] = own_gate(SEL_TSS, 0, 0x85);
    send_nmi(ICR_SELF, 0, 0);
    settle();
    puts("no task switch\n");
    exit_machine(1);
  }
  if (cmdline_has(mbi, "storm")) {
    phase = 9;
    send_nmi(ICR_SELF, 0, 0);
    for (;;) {
      settle();
    }
  }

  puts("-- a self-NMI with IF clear\n");
  __asm__ volatile("cli");
  phase = 1;
  send_nmi(ICR_SELF, 0, 0x42);
  settle();
  show("nmis", nmis);
  show("IF of the interrupted code", if_at_nmi);
  show("IF in the handler", if_in_handler);

  puts("-- NMIs sent inside the handler\n");
  nmis = 0;
  phase = 2;
  send_nmi(ICR_SELF, 0, 0);
  settle();
  show("nmis inside the first handler", count_inside);
  show("nmis after its IRET", nmis);
  settle();
  show("nmis later (the third was lost)", nmis);

  puts("-- other destinations\n");
  phase = 3;
  nmis = 0;
  LREG(LAPIC_ESR) = 0;
  send_nmi(0, (uint8_t)(LREG(LAPIC_ID) >> 24), 0);
  settle();
  show("nmis to the physical ID", nmis);
  send_nmi(ICR_ALL_INCL, 0, 0x05);
  settle();
  show("nmis to all including self", nmis);
  send_nmi(0, 7, 0);
  settle();
  show("nmis to another physical ID", nmis);
  LREG(LAPIC_ESR) = 0;
  show("esr (the vector is ignored)", LREG(LAPIC_ESR));

  puts("-- the PIT through an I/O APIC pin in NMI mode wakes HLT, IF clear\n");
  phase = 4;
  nmis = 0;
  pit_init(1000);
  ioapic_write(0x11 + 2 * 2, 0);
  ioapic_write(0x10 + 2 * 2, 0x00000400); /* NMI, physical APIC 0, edge, unmasked */
  show("entry 2", ioapic_read(0x10 + 2 * 2));
  __asm__ volatile("cli; hlt");
  settle();
  show("nmis", nmis);
  show("entry 2 after", ioapic_read(0x10 + 2 * 2));
  exit_machine(0);
}
