/*
 * ata_pio: drives the primary ATA channel by polled PIO, as a small kernel does under
 * `qemu-system-i386 -drive file=IMG,index=0,media=disk,format=raw`, and prints what it
 * reads: a checksum per request, IDENTIFY's capacity and multiple count, the status of
 * a request past the end and of the absent slave. The console must be the same under
 * QEMU and under vmlab in every mode (compare.sh), and so must the image it writes.
 * Port I/O goes one word per IN/OUT (no REP INSW), so each data word is one access.
 */
#include "ata_polled.h"

static uint8_t buf[64 * 512];

/* Reads `sectors` sectors in blocks of `block` (1 for READ SECTORS); 0 on error. */
static int pio_in(uint8_t* out, uint32_t sectors, uint32_t block) {
  while (sectors > 0) {
    const uint8_t s = wait_not_busy();
    if (s & ST_ERR) return 0;
    if (!(s & ST_DRQ)) return 0;
    const uint32_t n = sectors < block ? sectors : block;
    for (uint32_t i = 0; i < n * 256; ++i) {
      const uint16_t w = inw(ATA);
      out[2 * i] = (uint8_t)w;
      out[2 * i + 1] = (uint8_t)(w >> 8);
    }
    out += n * 512;
    sectors -= n;
  }
  return 1;
}

static int pio_out(const uint8_t* in, uint32_t sectors, uint32_t block) {
  while (sectors > 0) {
    const uint8_t s = wait_not_busy();
    if (s & ST_ERR) return 0;
    if (!(s & ST_DRQ)) return 0;
    const uint32_t n = sectors < block ? sectors : block;
    for (uint32_t i = 0; i < n * 256; ++i) outw(ATA, (uint16_t)(in[2 * i] | (in[2 * i + 1] << 8)));
    in += n * 512;
    sectors -= n;
  }
  return !(wait_not_busy() & ST_ERR);
}

void isr_dispatch(struct frame* f) { (void)f; }

/* With "cost" on the command line: one read of sectors=N (1, 2 or 16) sectors, by READ
 * SECTORS or with "multiple" by READ MULTIPLE in blocks of 8, and nothing else, so that
 * tests/kernels/ata_pio/pio_cost.py can count what each sector costs. */
static void cost_run(const struct multiboot_info* mbi) {
  const uint32_t n = cmdline_has(mbi, "sectors=16") ? 16 : cmdline_has(mbi, "sectors=2") ? 2 : 1;
  const int multiple = cmdline_has(mbi, "multiple");
  /* Touch the whole buffer first: the shadow page faults of its first use would otherwise
   * grow with the sectors read. */
  for (uint32_t i = 0; i < sizeof buf; ++i) buf[i] = 0;
  outb(ATA_CTRL, 0x02);
  outb(ATA + 6, 0xE0);
  if (multiple) {
    task(0, 8, 0xC6);
    check(!(wait_not_busy() & ST_ERR), "SET MULTIPLE");
  }
  task(0, (uint8_t)n, multiple ? 0xC4 : 0x20);
  check(pio_in(buf, n, multiple ? 8 : 1), "read");
  line("read ", fnv(buf, 512));
  exit_machine(0);
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  puts("ata_pio: start\n");
  if (cmdline_has(mbi, "cost")) cost_run(mbi);
  outb(ATA_CTRL, 0x02); /* nIEN: polled, no interrupts */
  outb(ATA + 6, 0xE0);
  task(0, 0, 0xEC);
  check(pio_in(buf, 1, 1), "IDENTIFY");
  const uint16_t* id = (const uint16_t*)buf;
  const uint32_t capacity = id[60] | ((uint32_t)id[61] << 16);
  line("capacity sectors ", capacity);
  line("max multiple ", id[47] & 0xFF);
  line("lba ", (id[49] >> 9) & 1);
  line("flush cache ", (id[83] >> 12) & 1);

  /* READ SECTORS: the first 64 sectors, one at a time, one checksum per 16. */
  task(0, 64, 0x20);
  check(pio_in(buf, 64, 1), "READ SECTORS");
  for (int i = 0; i < 4; ++i) line("sectors 0-63 part ", fnv(buf + i * 16 * 512, 16 * 512));

  /* SET MULTIPLE 8, then READ MULTIPLE of 20 sectors from 100: blocks of 8, 8 and 4. */
  task(0, 8, 0xC6);
  check(!(wait_not_busy() & ST_ERR), "SET MULTIPLE");
  task(100, 20, 0xC4);
  check(pio_in(buf, 20, 8), "READ MULTIPLE");
  line("sectors 100-119 ", fnv(buf, 20 * 512));

  /* The whole image in runs of 256 sectors (count 0). */
  uint32_t whole = 2166136261u;
  for (uint32_t lba = 0; lba + 64 <= capacity; lba += 64) {
    task(lba, 64, 0xC4);
    check(pio_in(buf, 64, 8), "READ MULTIPLE (image)");
    for (uint32_t i = 0; i < 64 * 512; ++i) whole = (whole ^ buf[i]) * 16777619u;
  }
  line("whole image ", whole);

  /* WRITE SECTORS of 3 sectors at 200, WRITE MULTIPLE of 11 at 300, FLUSH, read back. */
  for (uint32_t i = 0; i < 14 * 512; ++i) buf[i] = (uint8_t)(i * 13 + 1);
  task(200, 3, 0x30);
  check(pio_out(buf, 3, 1), "WRITE SECTORS");
  task(300, 11, 0xC5);
  check(pio_out(buf + 3 * 512, 11, 8), "WRITE MULTIPLE");
  task(0, 0, 0xE7);
  check(!(wait_not_busy() & ST_ERR), "FLUSH CACHE");
  task(200, 3, 0x20);
  check(pio_in(buf, 3, 1), "read back 200");
  task(300, 11, 0x20);
  check(pio_in(buf + 3 * 512, 11, 1), "read back 300");
  line("written ", fnv(buf, 14 * 512));

  /* Across the end: the last sector arrives, then the drive fails the next one with ERR
   * and a non-zero error register; wholly past the end, it fails at once. */
  task(capacity - 1, 2, 0x20);
  uint8_t s = wait_not_busy();
  line("across the end: DRQ ", (s >> 3) & 1);
  check(pio_in(buf, 1, 1), "the last sector");
  line("last sector ", fnv(buf, 512));
  s = wait_not_busy();
  line("across the end: ERR ", s & ST_ERR);
  line("across the end: DRQ ", (s >> 3) & 1);
  line("across the end: error set ", inb(ATA + 1) != 0);
  task(capacity, 1, 0x20);
  s = wait_not_busy();
  line("past the end: ERR ", s & ST_ERR);
  line("past the end: DRQ ", (s >> 3) & 1);

  /* The slave is absent: its status reads 0. */
  outb(ATA + 6, 0xF0);
  line("slave status ", inb(ATA + 7));
  outb(ATA + 6, 0xE0);
  puts("ata_pio: done\n");
  exit_machine(0);
}
