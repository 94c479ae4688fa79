/*
 * A minimal Linux boot-protocol kernel (bzImage): it checks the machine state that the
 * 32-bit boot protocol promises at entry (Documentation/arch/x86/boot.rst) and prints what
 * boot_params (zero-page.rst) holds: the loader's id, the command line, the e820 map, the
 * initrd. It exits through the exit port with status 0 when every promise held, 1 if not.
 */
#include <stdint.h>

#define COM1 0x3F8
#define EXIT_PORT 0xF4

/* Saved by entry.S: ESI, EBX, EDI, EBP, CS, DS, ES, SS, CR0, EFLAGS. */
extern uint32_t entry_regs[10];

static inline void outb(uint16_t port, uint8_t v) {
  __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static void putc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {
  }
  outb(COM1, (uint8_t)c);
}
static void puts(const char* s) {
  while (*s) putc(*s++);
}
static void puthex(uint32_t v, int digits) {
  puts("0x");
  for (int i = (digits - 1) * 4; i >= 0; i -= 4) putc("0123456789abcdef"[(v >> i) & 0xF]);
}
static void putdec(uint32_t v) {
  char buf[11];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) putc(buf[--n]);
}
static uint8_t get8(uint32_t a) { return *(volatile uint8_t*)a; }
static uint32_t get32(uint32_t a) { return *(volatile uint32_t*)a; }

static int failures;
static void expect(int ok, const char* what) {
  if (!ok) {
    puts("FAIL: ");
    puts(what);
    putc('\n');
    ++failures;
  }
}

void linux_main(void) {
  const uint32_t bp = entry_regs[0];
  outb(COM1 + 3, 0x03); /* 8N1: the port as the loader left it otherwise */
  puts("linux_boot: boot protocol ");
  putdec(get8(bp + 0x207));
  putc('.');
  putdec(get8(bp + 0x206));
  puts(" from loader ");
  puthex(get8(bp + 0x210), 2);
  putc('\n');
  puts("entry: cs=");
  puthex(entry_regs[4] & 0xFFFF, 2);
  puts(" ds=");
  puthex(entry_regs[5] & 0xFFFF, 2);
  puts(" es=");
  puthex(entry_regs[6] & 0xFFFF, 2);
  puts(" ss=");
  puthex(entry_regs[7] & 0xFFFF, 2);
  puts(" ebx=");
  putdec(entry_regs[1]);
  puts(" edi=");
  putdec(entry_regs[2]);
  puts(" ebp=");
  putdec(entry_regs[3]);
  puts((entry_regs[9] & 0x200) ? " interrupts on" : " interrupts off");
  puts((entry_regs[8] & 0x80000000u) ? ", paging on\n" : ", paging off\n");
  expect((entry_regs[4] & 0xFFFF) == 0x10, "CS is __BOOT_CS (0x10)");
  expect((entry_regs[5] & 0xFFFF) == 0x18 && (entry_regs[6] & 0xFFFF) == 0x18 &&
             (entry_regs[7] & 0xFFFF) == 0x18,
         "DS, ES and SS are __BOOT_DS (0x18)");
  expect(entry_regs[1] == 0 && entry_regs[2] == 0 && entry_regs[3] == 0, "EBX, EDI, EBP are 0");
  expect(!(entry_regs[9] & 0x200), "interrupts are off");
  expect((entry_regs[8] & 0x80000001u) == 1, "protected mode, paging off");

  puts("boot_params at ");
  puthex(bp, 8);
  puts(": ");
  const uint32_t magic = get32(bp + 0x202);
  for (int i = 0; i < 4; ++i) putc((char)(magic >> (8 * i)));
  puts(", code32_start ");
  puthex(get32(bp + 0x214), 8);
  putc('\n');
  expect(magic == 0x53726448, "boot_params holds the setup header");

  puts("cmdline: \"");
  const uint32_t cmd = get32(bp + 0x228);
  for (uint32_t a = cmd; a != 0 && get8(a) != 0 && a < cmd + 256; ++a) putc((char)get8(a));
  puts("\"\n");

  const uint8_t n = get8(bp + 0x1E8);
  puts("e820: ");
  putdec(n);
  puts(" entries\n");
  uint32_t usable_above_1m = 0;
  for (uint8_t i = 0; i < n && i < 128; ++i) {
    const uint32_t e = bp + 0x2D0 + 20u * i;
    const uint32_t base = get32(e), len = get32(e + 8), type = get32(e + 16);
    puts("  ");
    puthex(base, 8);
    putc('-');
    puthex(base + len - 1, 8);
    puts(type == 1 ? " usable\n" : " reserved\n");
    expect(get32(e + 4) == 0 && get32(e + 12) == 0, "e820 ranges below 4 GiB");
    if (type == 1 && base == 0x100000) usable_above_1m = len;
  }
  puts("alt_mem_k: ");
  putdec(get32(bp + 0x1E0));
  putc('\n');
  expect(get32(bp + 0x1E0) == usable_above_1m / 1024, "alt_mem_k is the RAM above 1 MiB");

  const uint32_t rd = get32(bp + 0x218), rd_size = get32(bp + 0x21C);
  if (rd_size == 0) {
    puts("initrd: none\n");
  } else {
    puts("initrd: ");
    putdec(rd_size);
    puts(" bytes at ");
    puthex(rd, 8);
    puts(": ");
    for (uint32_t i = 0; i < rd_size && i < 64; ++i) {
      const char c = (char)get8(rd + i);
      if (c != '\n') putc(c);
    }
    putc('\n');
    expect((rd & 0xFFF) == 0, "the initrd is page-aligned");
  }
  puts(failures ? "linux_boot: FAILED\n" : "linux_boot: ok\n");
  __asm__ volatile("outl %0, %1" ::"a"((uint32_t)(failures ? 1 : 0)), "Nd"((uint16_t)EXIT_PORT));
  for (;;) __asm__ volatile("cli; hlt");
}
