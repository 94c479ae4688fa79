/*
 * The string_io_mmio test kernel: INS and OUTS whose memory operand is a device register.
 * Natively an INS element's store and an OUTS element's load are ordinary memory
 * accesses, so at a device's address they are bus cycles to the device. A monitor that
 * performs INS/OUTS for the guest (the VT monitor after an I/O exit, the classic and bt
 * monitors after the #GP of a deprivileged port access: engine/vmm/kit/string_io.h) must
 * do the same; before the fix the VT monitor's elements read all ones from, and dropped
 * their stores to, every guest-physical address outside RAM (found by
 * tests/robustness/device_fuzz.py --timeless).
 *   - INSD from the PCI configuration-address port (0xCF8 reads back what was written)
 *     into the I/O APIC's IOREGSEL selects the version register: IOWIN then reads it;
 *   - OUTSD from IOWIN into 0xCF8: the port reads back the version register;
 *   - INSD into the local APIC's TPR, then OUTSD from it: the TPR set and read back;
 *   - a REP INSD of three elements, the first two where nothing decodes, the last on
 *     IOREGSEL: the last one selects the version register.
 * Every mode that gives the guest an APIC prints native's console (expected.txt), which
 * string_io_mmio_kernel_matches_qemu holds to QEMU's.
 */
#include "klib.h"

#define IOAPIC ((volatile uint32_t*)0xFEC00000)
#define LAPIC ((volatile uint32_t*)0xFEE00000)

void isr_dispatch(struct frame* f) { unexpected_vector(f); }

static void insd(uint16_t port, volatile void* to, uint32_t count) {
  __asm__ volatile("cld; rep insl" : "+D"(to), "+c"(count) : "d"(port) : "memory");
}

static void outsd(uint16_t port, const volatile void* from) {
  uint32_t count = 1;
  __asm__ volatile("cld; rep outsl" : "+S"(from), "+c"(count) : "d"(port) : "memory");
}

static void show(const char* what, uint32_t v) {
  puts(what);
  puts(": ");
  puthex(v);
  putc('\n');
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("string_io_mmio: INS and OUTS on device registers\n");
  IOAPIC[0] = 0;
  show("ioapic id by mov", IOAPIC[4]);
  IOAPIC[0] = 1;
  const uint32_t version = IOAPIC[4];
  show("ioapic version by mov", version);
  IOAPIC[0] = 0;

  outl(0xCF8, 1);
  insd(0xCF8, &IOAPIC[0], 1);
  show("insd into ioregsel, then iowin", IOAPIC[4]);

  outl(0xCF8, 0);
  outsd(0xCF8, &IOAPIC[4]);
  show("outsd from iowin, 0xcf8 reads", inl(0xCF8));

  outl(0xCF8, 0x30);
  insd(0xCF8, &LAPIC[0x80 / 4], 1);
  show("insd into the tpr, tpr", LAPIC[0x80 / 4]);
  outl(0xCF8, 0);
  outsd(0xCF8, &LAPIC[0x80 / 4]);
  show("outsd from the tpr, 0xcf8 reads", inl(0xCF8));
  LAPIC[0x80 / 4] = 0;

  /* Three elements, DF clear: 0xFEBFFFF8, 0xFEBFFFFC (nothing there) and IOREGSEL; only
   * the last one selects (register 1, the version). */
  IOAPIC[0] = 0;
  outl(0xCF8, 1);
  insd(0xCF8, (volatile void*)0xFEBFFFF8u, 3);
  show("rep insd ending on ioregsel, iowin", IOAPIC[4]);
  puts("string_io_mmio: done\n");
  outb(0xF4, 0);
}
