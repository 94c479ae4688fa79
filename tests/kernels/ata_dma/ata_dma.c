/*
 * ata_dma: drives the primary ATA channel by bus-master DMA through the PIIX3's IDE
 * function (PCI 00:01.1), as a small kernel does under `qemu-system-i386 -drive
 * file=IMG,index=0,media=disk,format=raw`, and prints what it sees: the whole
 * configuration space of the PIIX3's function 0 (the ISA bridge, multi-function), the IDE
 * function's configuration space and BAR4 size probe, the bus-master registers, READ DMA and WRITE
 * DMA through PRD tables of several entries (a sector split between entries, a 64 KiB
 * entry of count 0), the interrupt and active bits when the table is longer or shorter than
 * the transfer, a start before the command, and a read past the end of the image. The
 * console must be the same under QEMU and under vmlab in every mode (run_ata.sh), and so
 * must the image it writes. Polled: the drive's interrupt is enabled (nIEN clear) so that
 * the bus master's interrupt bit follows it, but IRQ 14 stays masked and IF clear.
 */
#include "ata_polled.h"

#define BM_START 0x01
#define BM_READ 0x08 /* the drive writes memory */
#define BM_ACTIVE 0x01
#define BM_ERROR 0x02
#define BM_INT 0x04

struct prd {
  uint32_t address;
  uint32_t count; /* bits 15:1 bytes (0: 64 KiB), bit 31 end of table */
};

static struct prd table[8] __attribute__((aligned(64)));
static uint8_t buf[80 * 1024] __attribute__((aligned(4096)));
static uint16_t bm; /* the bus-master block's I/O base */

static uint32_t cfg_addr_fn(uint32_t fn, uint32_t reg) {
  return 0x80000000u | 1u << 11 | fn << 8 | reg;
}
static uint32_t cfg_addr(uint32_t reg) { return cfg_addr_fn(1, reg); }
static uint32_t cfg_read_fn(uint32_t fn, uint32_t reg) {
  outl(0xCF8, cfg_addr_fn(fn, reg));
  return inl(0xCFC);
}
static uint32_t cfg_read(uint32_t reg) { return cfg_read_fn(1, reg); }
static void cfg_write(uint32_t reg, uint32_t v) {
  outl(0xCF8, cfg_addr(reg));
  outl(0xCFC, v);
}

/* Waits until the bus master raised its interrupt bit or let go of the bus. */
static uint8_t wait_bm(void) {
  for (uint32_t i = 0; i < 10000000; ++i) {
    const uint8_t s = inb(bm + 2);
    if ((s & BM_INT) || !(s & BM_ACTIVE)) return s;
  }
  puts("timeout waiting for the bus master\n");
  exit_machine(3);
}

static void set_prd(int i, const void* at, uint32_t bytes, int last) {
  table[i].address = (uint32_t)at;
  table[i].count = (bytes & 0xFFFE) | (last ? 0x80000000u : 0);
}

/* Clears the interrupt and error bits (write one), keeping drive 0 DMA capable. */
static void bm_clear(void) { outb(bm + 2, 0x20 | BM_INT | BM_ERROR); }

/* One DMA command the usual way: table, direction, command, start; then the bus master's
 * status when it is done, the drive's (BSY, DRDY, DRQ, ERR) and whether it had ERR. */
static uint8_t dma(uint32_t lba, uint8_t count, int read) {
  bm_clear();
  outl(bm + 4, (uint32_t)table);
  outb(bm, read ? BM_READ : 0);
  task(lba, count, read ? 0xC8 : 0xCA);
  outb(bm, (read ? BM_READ : 0) | BM_START);
  const uint8_t s = wait_bm();
  outb(bm, read ? BM_READ : 0); /* stop */
  return s;
}

static void show(const char* what, uint8_t bm_status) {
  puts(what);
  puts(": bm status ");
  puthex(bm_status);
  puts(" drive ");
  puthex(wait_not_busy() & 0xC9);
  putc('\n');
}

static void fill(uint32_t n, uint8_t seed) {
  for (uint32_t i = 0; i < n; ++i) buf[i] = (uint8_t)(i * 7 + seed);
}

void isr_dispatch(struct frame* f) { (void)f; }

/* With "cost" on the command line: the set-up, then one READ DMA of sectors=N (1, 2 or 16)
 * sectors through one PRD and nothing else, so that dma_cost.py can count what a request
 * costs: the same few port accesses whatever its size. */
static void cost_run(const struct multiboot_info* mbi) {
  const uint32_t n = cmdline_has(mbi, "sectors=16") ? 16 : cmdline_has(mbi, "sectors=2") ? 2 : 1;
  /* Touch the buffer first: the shadow page faults of its first use would otherwise grow
   * with the sectors read. */
  for (uint32_t i = 0; i < 16 * 512; ++i) buf[i] = 0;
  bm = (uint16_t)(cfg_read(0x20) & 0xFFF0);
  cfg_write(0x04, (cfg_read(0x04) & 0xFFFF) | 0x05);
  outb(ATA_CTRL, 0x00);
  outb(ATA + 6, 0xE0);
  set_prd(0, buf, n * 512, 1);
  const uint8_t s = dma(0, (uint8_t)n, 1);
  check((s & (BM_INT | BM_ERROR | BM_ACTIVE)) == BM_INT, "READ DMA");
  line("read ", fnv(buf, 512));
  exit_machine(0);
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  puts("ata_dma: start\n");
  if (cmdline_has(mbi, "cost")) cost_run(mbi);

  /* Function 0 of the PIIX3, the PCI-to-ISA bridge, as the firmware left it: a multi-
   * function header, without which a PCI scan (Linux's pci_scan_slot) does not look for
   * the IDE function 1. */
  puts("00:01.0");
  for (uint32_t reg = 0; reg < 0x100; reg += 4) {
    if (reg % 16 == 0) puts("\n ");
    putc(' ');
    puthex(cfg_read_fn(0, reg));
  }
  putc('\n');

  /* The IDE function as the firmware left it, and BAR4's size probe. */
  line("00:01.1 ids ", cfg_read(0x00));
  line("class ", cfg_read(0x08));
  line("command ", cfg_read(0x04) & 0xFFFF);
  const uint32_t bar4 = cfg_read(0x20);
  line("bar4 ", bar4);
  line("idetim ", cfg_read(0x40));
  cfg_write(0x20, 0xFFFFFFFFu);
  line("bar4 size probe ", cfg_read(0x20));
  cfg_write(0x20, bar4);
  line("bar4 again ", cfg_read(0x20));
  bm = (uint16_t)(bar4 & 0xFFF0);
  cfg_write(0x04, (cfg_read(0x04) & 0xFFFF) | 0x05); /* I/O space and bus master on */
  line("command now ", cfg_read(0x04) & 0xFFFF);

  /* The registers. */
  line("bm command ", inb(bm));
  line("bm status ", inb(bm + 2));
  outl(bm + 4, 0x12345677u);
  line("prd address reads ", inl(bm + 4));
  outb(bm + 2, 0xFF);
  line("status after writing 0xff ", inb(bm + 2));
  outb(bm + 2, 0x20);
  line("status now ", inb(bm + 2));

  outb(ATA_CTRL, 0x00); /* interrupts on at the drive: the bus master's bit follows them */
  outb(ATA + 6, 0xE0);
  task(0, 0, 0xEC); /* IDENTIFY, by PIO */
  check(wait_not_busy() & ST_DRQ, "IDENTIFY");
  for (int i = 0; i < 256; ++i) ((uint16_t*)buf)[i] = inw(ATA);
  const uint16_t* id = (const uint16_t*)buf;
  const uint32_t capacity = id[60] | ((uint32_t)id[61] << 16);
  line("capacity sectors ", capacity);
  line("dma supported ", (id[49] >> 8) & 1);
  line("multiword dma modes ", id[63] & 7);
  line("interrupt bit after a PIO command ", inb(bm + 2) & BM_INT);

  /* READ DMA of 16 sectors through three PRDs; sectors 5 and 9 are split between them. */
  fill(sizeof buf, 1);
  set_prd(0, buf, 3000, 0);
  set_prd(1, buf + 3000, 2000, 0);
  set_prd(2, buf + 5000, 16 * 512 - 5000, 1);
  show("read 16 by 3 prds", dma(0, 16, 1));
  line("sectors 0-15 ", fnv(buf, 16 * 512));
  line("interrupt bit cleared ", (bm_clear(), inb(bm + 2)));

  /* A table longer than the transfer: done, interrupt, but active stays set. */
  set_prd(0, buf, 4096, 1);
  bm_clear();
  outl(bm + 4, (uint32_t)table);
  outb(bm, BM_READ);
  task(20, 2, 0xC8);
  outb(bm, BM_READ | BM_START);
  show("longer table", wait_bm());
  line("sectors 20-21 ", fnv(buf, 2 * 512));
  outb(bm, BM_READ);
  line("after stop ", inb(bm + 2));

  /* A table shorter than the transfer: nothing moves, no interrupt, active cleared. */
  fill(4 * 512, 9);
  set_prd(0, buf, 1024, 1);
  show("shorter table", dma(30, 4, 1));
  line("buffer untouched ", fnv(buf, 4 * 512) == (fill(4 * 512, 9), fnv(buf, 4 * 512)));

  /* One PRD of count 0: 64 KiB, 128 sectors. */
  set_prd(0, buf, 0, 1);
  show("read 128 by one 64 KiB prd", dma(64, 128, 1));
  line("sectors 64-191 ", fnv(buf, 65536));

  /* The whole image, 64 sectors a command, four PRDs each. */
  uint32_t whole = 2166136261u;
  for (uint32_t lba = 0; lba + 64 <= capacity; lba += 64) {
    for (int i = 0; i < 4; ++i) set_prd(i, buf + i * 8192, 8192, i == 3);
    const uint8_t s = dma(lba, 64, 1);
    check((s & (BM_INT | BM_ERROR | BM_ACTIVE)) == BM_INT, "READ DMA (image)");
    check(!(wait_not_busy() & ST_ERR), "READ DMA (image) drive");
    for (uint32_t i = 0; i < 64 * 512; ++i) whole = (whole ^ buf[i]) * 16777619u;
  }
  line("whole image ", whole);

  /* WRITE DMA of 9 sectors at 200 from two PRDs, FLUSH CACHE, read back. */
  fill(9 * 512, 5);
  const uint32_t written = fnv(buf, 9 * 512);
  set_prd(0, buf, 1536, 0);
  set_prd(1, buf + 1536, 9 * 512 - 1536, 1);
  show("write 9 by 2 prds", dma(200, 9, 0));
  bm_clear();
  task(0, 0, 0xE7);
  check(!(wait_not_busy() & ST_ERR), "FLUSH CACHE");
  fill(9 * 512, 77);
  set_prd(0, buf, 9 * 512, 1);
  show("read back", dma(200, 9, 1));
  line("read back equal ", fnv(buf, 9 * 512) == written);
  line("written ", written);

  /* Start first, then the command: the transfer begins when both are there. */
  set_prd(0, buf, 512, 1);
  bm_clear();
  outl(bm + 4, (uint32_t)table);
  outb(bm, BM_READ | BM_START);
  line("started, no command: status ", inb(bm + 2));
  task(7, 1, 0xC8);
  show("start before command", wait_bm());
  outb(bm, BM_READ);
  line("sector 7 ", fnv(buf, 512));

  /* Past the end of the image: ERR, an error code, the interrupt, nothing moved. */
  fill(2 * 512, 3);
  set_prd(0, buf, 1024, 1);
  const uint8_t s = dma(capacity - 1, 2, 1);
  line("past the end: bm status ", s);
  const uint8_t d = wait_not_busy();
  line("past the end: ERR ", d & ST_ERR);
  line("past the end: DRQ ", (d >> 3) & 1);
  line("past the end: error set ", inb(ATA + 1) != 0);
  line("past the end: buffer untouched ", fnv(buf, 1024) == (fill(1024, 3), fnv(buf, 1024)));
  puts("ata_dma: done\n");
  exit_machine(0);
}
