/*
 * The I/O APIC test kernel: what a kernel written for QEMU's PC finds at 0xFEC00000 (an
 * 82093AA as QEMU's hw/intc/ioapic.c models it), checked in an order where each step
 * relies only on the ones before it:
 *   ID, VER, ARB -> the redirection table at reset -> writes read back (read-only and
 *   reserved bits) -> narrow and unaligned accesses (as QEMU's TCG makes them) -> the
 *   PIT through pin 2 with the 8259A masked (physical, then logical lowest-priority
 *   destination) -> a level-triggered pin (COM1's transmitter-empty
 *   interrupt on pin 4): remote IRR, the local APIC's EOI broadcast delivering it again
 *   while the line is high -> QEMU's EOI register -> the 8259A path again, all pins masked
 *   -> the page mapped by the kernel's own page tables at a low linear address (a monitor
 *   must trap and emulate that mapping, never map memory there).
 * Only counts and register values are printed, so the console must be byte-identical
 * under vmlab, in every non-PV mode, and under QEMU (tests/kernels/compare_with_qemu.sh).
 * The console polls COM1 and is silent while the transmitter interrupt is enabled.
 */
#include "klib.h"

#define IOAPIC ((volatile uint32_t*)0xFEC00000)
#define IOREGSEL IOAPIC[0]
#define IOWIN IOAPIC[4]
#define IOEOI IOAPIC[16] /* +0x40 */
#define LAPIC ((volatile uint32_t*)0xFEE00000)
#define LREG(off) LAPIC[(off) / 4]
#define LAPIC_EOI 0xB0
#define LAPIC_LDR 0xD0
#define LAPIC_TMR 0x180
#define LAPIC_IRR 0x200
#define COM1 0x3F8

static volatile uint32_t pit_hits;   /* vector 0x42: the PIT through pin 2 */
static volatile uint32_t pic_ticks;  /* vector 0x20: the PIT through the 8259A */
static volatile uint32_t level_hits; /* vector 0x44: COM1 on pin 4, level-triggered */
static volatile uint32_t entry_in_handler, tmr_in_handler;
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t identity_pt[1024] __attribute__((aligned(4096)));
static uint32_t alias_pt[1024] __attribute__((aligned(4096)));

static uint32_t ioapic_read(uint8_t reg) {
  IOREGSEL = reg;
  return IOWIN;
}

static void ioapic_write(uint8_t reg, uint32_t v) {
  IOREGSEL = reg;
  IOWIN = v;
}

static void route(unsigned pin, uint32_t low, uint32_t high) {
  ioapic_write((uint8_t)(0x11 + 2 * pin), high);
  ioapic_write((uint8_t)(0x10 + 2 * pin), low);
}

static void show(const char* name, uint32_t v) {
  puts(name);
  puts(" = ");
  puthex(v);
  putc('\n');
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x42) {
    pit_hits++;
    LREG(LAPIC_EOI) = 0;
  } else if (f->vector == 0x44) {
    level_hits++;
    if (level_hits == 1) {
      /* The line is still high: the EOI broadcast clears the remote IRR and the I/O APIC
       * delivers again. */
      entry_in_handler = ioapic_read(0x10 + 2 * 4);
      tmr_in_handler = LREG(LAPIC_TMR + 0x20);
    } else if (level_hits == 2) {
      (void)inb(COM1 + 2); /* reading IIR ends the transmitter interrupt: the line falls */
    }
    LREG(LAPIC_EOI) = 0;
  } else if (f->vector == 0x20) {
    pic_ticks++;
    outb(0x20, 0x20);
  } else {
    puts("unexpected vector ");
    putdec(f->vector);
    putc('\n');
    exit_machine(1);
  }
}

static void wait_for(volatile uint32_t* counter, uint32_t n) {
  while (*counter < n) __asm__ volatile("sti; hlt; cli");
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("vmlab ioapic test kernel\n");

  puts("-- registers\n");
  show("id", ioapic_read(0x00));
  show("version", ioapic_read(0x01));
  show("arb", ioapic_read(0x02));
  IOREGSEL = 0x3F;
  show("ioregsel", IOREGSEL);
  uint32_t masked = 0, high_zero = 0;
  for (unsigned pin = 0; pin < 24; ++pin) {
    masked += ioapic_read((uint8_t)(0x10 + 2 * pin)) == 0x10000;
    high_zero += ioapic_read((uint8_t)(0x11 + 2 * pin)) == 0;
  }
  show("entries masked at reset", masked);
  show("entries with destination 0", high_zero);
  show("past the table (0x40)", ioapic_read(0x40));

  puts("-- writes read back\n");
  ioapic_write(0x00, 0xFFFFFFFF);
  show("id after writing ones", ioapic_read(0x00));
  show("arb", ioapic_read(0x02));
  ioapic_write(0x00, 0);
  ioapic_write(0x01, 0);
  show("version after a write", ioapic_read(0x01));
  route(5, 0xFFFFFFFF, 0xFFFFFFFF); /* masked: nothing is delivered */
  show("entry 5 low after ones", ioapic_read(0x1A));
  show("entry 5 high after ones", ioapic_read(0x1B));
  route(5, 0x00010000, 0);
  show("entry 5 low", ioapic_read(0x1A));
  show("entry 5 high", ioapic_read(0x1B));

  puts("-- narrow and odd accesses\n");
  *(volatile uint8_t*)0xFEC00000 = 0x01; /* IOREGSEL takes a byte */
  show("version after a byte ioregsel", IOWIN);
  show("ioregsel read as a byte", *(volatile uint8_t*)0xFEC00000);
  show("iowin read as 16 bits", *(volatile uint16_t*)0xFEC00010);
  show("iowin read as a byte", *(volatile uint8_t*)0xFEC00010);
  show("offset 0x20", IOAPIC[8]);
  show("offset 0x100 (ioregsel again)", IOAPIC[64]);
  IOREGSEL = 0x1A;
  *(volatile uint8_t*)0xFEC00010 = 0x42; /* dropped: IOWIN takes only 32-bit writes */
  *(volatile uint16_t*)0xFEC00010 = 0x42;
  show("entry 5 low after narrow writes", IOWIN);
  IOREGSEL = 0xFF;
  show("register 0xff", IOWIN);
  IOREGSEL = 0x01;
  show("iowin read at +0x12 (unaligned)", *(volatile uint32_t*)0xFEC00012);
  show("ioregsel read at +0x01", *(volatile uint32_t*)0xFEC00001);
  *(volatile uint32_t*)0xFEC000FD = 0x1A000000; /* its last byte lands on IOREGSEL at +0x100 */
  show("ioregsel after an unaligned store", IOREGSEL);

  puts("-- the PIT through pin 2, the 8259A masked\n");
  pic_mask_all();
  pit_init(1000);
  route(2, 0x00000042, 0x00000000); /* fixed, physical APIC 0, edge, vector 0x42 */
  wait_for(&pit_hits, 3);
  route(2, 0x00010042, 0);
  show("pin 2 interrupts (3 awaited)", pit_hits);
  show("pic ticks", pic_ticks);
  LREG(LAPIC_LDR) = 0x01000000; /* flat model: logical ID bit 0 */
  pit_hits = 0;
  route(2, 0x00000942, 0x01000000); /* lowest priority, logical destination 1 */
  wait_for(&pit_hits, 2);
  route(2, 0x00010942, 0x01000000);
  show("logical lowest-priority interrupts (2 awaited)", pit_hits);
  LREG(LAPIC_LDR) = 0;

  puts("-- a level-triggered pin: COM1 on pin 4\n");
  route(4, 0x00008044, 0x00000000); /* fixed, physical 0, level, vector 0x44 */
  outb(COM1 + 1, 0x02);             /* transmitter-empty interrupt: the line goes high */
  const uint32_t entry = ioapic_read(0x18);
  const uint32_t irr = LREG(LAPIC_IRR + 0x20);
  const uint32_t tmr = LREG(LAPIC_TMR + 0x20);
  wait_for(&level_hits, 2);
  outb(COM1 + 1, 0x00);
  show("entry 4 once delivered", entry);
  show("lapic irr 64-95", irr & 0x10);
  show("lapic tmr 64-95", tmr & 0x10);
  show("entry 4 in the handler", entry_in_handler);
  show("lapic tmr in the handler", tmr_in_handler & 0x10);
  show("level interrupts (2 awaited)", level_hits);
  show("entry 4 after", ioapic_read(0x18));

  puts("-- the EOI register\n");
  outb(COM1 + 1, 0x02);
  route(4, 0x00018044, 0); /* masked: the remote IRR stays */
  show("entry 4 masked", ioapic_read(0x18));
  IOEOI = 0x44;
  show("entry 4 after the eoi register", ioapic_read(0x18));
  (void)inb(COM1 + 2);
  outb(COM1 + 1, 0x00);
  wait_for(&level_hits, 3); /* the one the local APIC still holds */
  show("level interrupts", level_hits);

  puts("-- the 8259A, every pin masked\n");
  pic_init(0xFE);
  pit_init(1000);
  wait_for(&pic_ticks, 3);
  outb(0x21, 0xFF);
  show("pic ticks (3 awaited)", pic_ticks);
  show("pin 2 interrupts since", pit_hits);

  puts("-- the page mapped at a low linear address, paging on\n");
  for (unsigned i = 0; i < 1024; ++i) identity_pt[i] = (i << 12) | 3; /* 0-4 MiB */
  alias_pt[0] = 0xFEC00000 | 3; /* linear 0x00800000: the I/O APIC, supervisor RW */
  page_dir[0] = (uint32_t)identity_pt | 3;
  page_dir[2] = (uint32_t)alias_pt | 3;
  paging_on(page_dir);
  volatile uint32_t* alias = (volatile uint32_t*)0x00800000;
  alias[0] = 0x01;
  show("version through the alias", alias[4]);
  alias[0] = 0x10 + 2 * 4;
  show("entry 4 through the alias", alias[4]);
  alias[0] = 0x27;
  show("ioregsel through the alias", alias[0]);
  puts("ioapic test done\n");
  exit_machine(0);
}
