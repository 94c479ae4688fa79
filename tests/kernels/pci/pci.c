/*
 * The PCI test kernel (issue 12, "The PC that kernels booted by QEMU expect"). PCI
 * configuration mechanism #1 (the PCI Local Bus specification 3.0, 3.2.2.3.2): a dword
 * written to port 0xCF8 with bit 31 set selects bus, device, function and register, and
 * ports 0xCFC-0xCFF read and write that dword of the function's configuration space.
 * The kernel reads back the address register, dumps the 256 bytes of 00:00.0 (the
 * host bridge QEMU's i440FX machine presents), tries writes to read-only and writable
 * registers, reads a byte and a word through 0xCFD and 0xCFE, and reads an absent device
 * (00:1F.0: all ones, as the bus gives when no device answers). The console is the same
 * natively and under QEMU (pci_kernel_matches_qemu) and in every mode.
 */
#include "klib.h"

static uint32_t address(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg) {
  return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xFC);
}

static uint32_t config_read(uint32_t dev, uint32_t reg) {
  outl(0xCF8, address(0, dev, 0, reg));
  return inl(0xCFC);
}

static void config_write(uint32_t dev, uint32_t reg, uint32_t v) {
  outl(0xCF8, address(0, dev, 0, reg));
  outl(0xCFC, v);
}

void isr_dispatch(struct frame* f) {
  unexpected_vector(f);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("vmlab pci kernel\n");
  outl(0xCF8, 0x80000000u);
  puts("0xCF8 reads back ");
  puthex(inl(0xCF8));
  putc('\n');
  puts("00:00.0");
  for (uint32_t reg = 0; reg < 0x100; reg += 4) {
    if (reg % 16 == 0) puts("\n ");
    putc(' ');
    puthex(config_read(0, reg));
  }
  putc('\n');
  /* Read-only: the IDs and class; writable: the command register's bus-master bit. */
  config_write(0, 0x00, 0x12345678u);
  config_write(0, 0x08, 0);
  const uint32_t command = config_read(0, 0x04);
  config_write(0, 0x04, command | 4);
  puts("after writes: ids ");
  puthex(config_read(0, 0x00));
  puts(" class ");
  puthex(config_read(0, 0x08));
  puts(" command ");
  puthex(config_read(0, 0x04));
  putc('\n');
  config_write(0, 0x04, command);
  /* Which bits software may write: all ones to the command, latency/cache-line and
     interrupt-line dwords, read back, then the old values again. */
  puts("writable:");
  static const uint32_t regs[] = {0x04, 0x0C, 0x10, 0x3C, 0x50, 0x58, 0x5C, 0x70};
  for (uint32_t i = 0; i < sizeof regs / sizeof regs[0]; ++i) {
    const uint32_t old = config_read(0, regs[i]);
    config_write(0, regs[i], 0xFFFFFFFFu);
    putc(' ');
    puthex(config_read(0, regs[i]));
    config_write(0, regs[i], old);
  }
  putc('\n');
  outl(0xCF8, address(0, 0, 0, 0));
  puts("byte at 0xCFD ");
  puthex(inb(0xCFD));
  puts(", word at 0xCFE ");
  puthex(inw(0xCFE));
  putc('\n');
  puts("00:1F.0 ids ");
  puthex(config_read(0x1F, 0));
  puts(", bus 1 ");
  outl(0xCF8, address(1, 0, 0, 0));
  puthex(inl(0xCFC));
  putc('\n');
  outl(0xCF8, 0);
  puts("enable bit clear: 0xCFC reads ");
  puthex(inl(0xCFC));
  putc('\n');
  (void)outw;
  exit_machine(0);
}
