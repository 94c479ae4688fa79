/*
 * ata_slave: the primary ATA channel with a slave and no master, as under
 * `qemu-system-i386 -kernel K -drive file=IMG,index=1,media=disk,format=raw` (how xv6
 * boots with its file system on disk 1). Prints every command block register with the
 * absent master selected and with the slave selected, then reads a sector from the
 * slave and looks at the master once more. A kernel that waits for the selected drive's
 * DRDY before it selects the slave (xv6's idewait) depends on what the absent master
 * reads. The console must be the same under QEMU and under vmlab in every mode but pv.
 */
#include "ata_polled.h"

static uint8_t buf[512];

void isr_dispatch(struct frame* f) { (void)f; }

/* The registers of the selected drive, one line. */
static void regs(const char* who) {
  puts(who);
  puts(" status ");
  puthex(inb(ATA + 7));
  puts(" alt ");
  puthex(inb(ATA_CTRL));
  puts(" error ");
  puthex(inb(ATA + 1));
  puts(" count ");
  puthex(inb(ATA + 2));
  /* LBA low only: after a reset QEMU gives the absent master the no-device signature
   * (cylinder 0xFFFF) in its own copy of the task file; vmlab keeps one task file per
   * channel (docs/disk.md). */
  puts(" lba low ");
  puthex(inb(ATA + 3));
  puts(" device ");
  puthex(inb(ATA + 6));
  putc('\n');
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  (void)task; /* ata_polled.h's task() addresses the master; this kernel has none */
  console_init();
  puts("ata_slave: start\n");
  /* A software reset first, so that nothing the firmware left (its probes) shows. */
  outb(ATA_CTRL, 0x06);
  outb(ATA_CTRL, 0x02); /* nIEN: polled, no interrupts */
  (void)wait_not_busy(); /* QEMU ends the reset later (BSY), and ignores writes till then */
  outb(ATA + 6, 0xE0);
  regs("master");
  outb(ATA + 6, 0xF0);
  regs("slave");

  /* READ SECTORS of sector 5 from the slave. */
  outb(ATA + 2, 1);
  outb(ATA + 3, 5);
  outb(ATA + 4, 0);
  outb(ATA + 5, 0);
  outb(ATA + 6, 0xF0);
  outb(ATA + 7, 0x20);
  uint8_t s = wait_not_busy();
  line("slave read status ", s);
  check((s & ST_DRQ) && !(s & ST_ERR), "READ SECTORS on the slave");
  for (uint32_t i = 0; i < 256; ++i) {
    const uint16_t w = inw(ATA);
    buf[2 * i] = (uint8_t)w;
    buf[2 * i + 1] = (uint8_t)(w >> 8);
  }
  line("sector 5 ", fnv(buf, 512));
  line("slave status after the read ", inb(ATA + 7));

  /* The master once more, then a command to it: IDENTIFY DEVICE, which it aborts. */
  outb(ATA + 6, 0xE0);
  line("master status after the read ", inb(ATA + 7));
  outb(ATA + 7, 0xEC);
  s = wait_not_busy();
  line("master IDENTIFY status ", s);
  line("master IDENTIFY error ", inb(ATA + 1));
  outb(ATA + 6, 0xF0);
  line("slave status after the master's command ", inb(ATA + 7));
  line("slave error ", inb(ATA + 1));
  puts("ata_slave: done\n");
  exit_machine(0);
}
