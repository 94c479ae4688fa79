/*
 * The ps2_mouse test kernel: the 8042's auxiliary port and the PS/2 mouse behind it
 * (engine/machine/i8042_controller.h, ps2_mouse.h), as a driver probes them: the
 * controller's auxiliary interface test, enable and disable, the loop test (0xD3) with the
 * auxiliary status bit, then every mouse command through 0xD4 (reset, identify, status
 * request, sample rate and resolution, the IntelliMouse and Explorer knocks, a polled
 * packet, scaling, remote and stream mode, wrap mode's echo), polled; last, the same bytes
 * by IRQ 12 (the slave PIC's IRQ 4 at vector 0x44) with CTR bit 1 set, and none without
 * it. Every byte is printed with whether the status register said it was the auxiliary
 * port's; the console is QEMU's byte for byte (ps2_mouse_kernel_matches_qemu) and the same
 * in every mode.
 */
#include "i8042_poll.h"
#include "klib.h"

/* Prints every byte that arrives, "a" before the auxiliary port's, then "--" for none. */
static void replies(const char* what) {
  puts(what);
  puts(":");
  int n = 0;
  for (;; ++n) {
    int i = 0;
    uint8_t st = 0;
    for (; i < 5000; ++i) {
      st = inb(0x64);
      if (st & 0x01) break;
    }
    if (i == 5000) break;
    putc(' ');
    if (st & 0x20) putc('a');
    hex2(inb(0x60));
  }
  if (n == 0) puts(" --");
  puts("\n");
}

static void show_ctr(const char* what) {
  puts(what);
  puts(": ctr ");
  hex2((uint32_t)ctr_read());
  puts("\n");
}

static void mouse(uint8_t b) {
  ctl(0xD4);
  data(b);
}

static void mouse_cmd(const char* what, uint8_t b) {
  mouse(b);
  replies(what);
}

static void mouse_cmd2(const char* what, uint8_t b, uint8_t arg) {
  mouse(b);
  mouse(arg);
  replies(what);
}

/* IRQ 12's bytes: the handler keeps the status and the byte, the loop prints them. */
static volatile uint8_t irq_status[16], irq_byte[16];
static volatile uint32_t irqs;

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x44) {
    const uint8_t st = inb(0x64);
    const uint8_t b = inb(0x60);
    if (irqs < 16) {
      irq_status[irqs] = st;
      irq_byte[irqs] = b;
    }
    ++irqs;
    outb(0xA0, 0x20);
    outb(0x20, 0x20);
    return;
  }
  puts("unexpected exception ");
  putdec(f->vector);
  puts("\n");
  exit_machine(2);
}

static void by_irq(const char* what, uint32_t want) {
  __asm__ volatile("sti");
  for (int i = 0; i < 200000 && irqs < want; ++i) {
    __asm__ volatile("pause");
  }
  __asm__ volatile("cli");
  puts(what);
  puts(":");
  for (uint32_t i = 0; i < irqs && i < 16; ++i) {
    puts(" ");
    hex2(irq_status[i] & ~0x08u);
    putc('/');
    hex2(irq_byte[i]);
  }
  if (irqs == 0) puts(" --");
  puts("\n");
  irqs = 0;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  puts("vmlab ps2_mouse test kernel\n");
  puts("as the BIOS left it: status ");
  hex2(inb(0x64) & ~0x08u);
  puts("\n");
  show_ctr("at entry");
  ctl(0xA9);
  replies("auxiliary interface test a9");
  ctl(0xD3);
  data(0x5A);
  replies("loop test d3 5a, auxiliary disabled");
  ctl(0xA8);
  show_ctr("enabled a8");
  ctl(0xA7);
  show_ctr("disabled a7");
  ctl(0xA8);
  ctl(0xD3);
  data(0xA5);
  replies("loop test d3 a5, auxiliary enabled");

  mouse_cmd("status e9 at power-on", 0xE9);
  mouse_cmd("identify f2", 0xF2);
  mouse_cmd("reset ff", 0xFF);
  mouse_cmd("status e9", 0xE9);
  mouse_cmd2("rate f3 c8", 0xF3, 200);
  mouse_cmd2("rate f3 64", 0xF3, 100);
  mouse_cmd2("rate f3 50", 0xF3, 80);
  mouse_cmd("identify f2 (IntelliMouse)", 0xF2);
  mouse_cmd("poll eb", 0xEB);
  mouse_cmd2("rate f3 c8", 0xF3, 200);
  mouse_cmd2("rate f3 c8", 0xF3, 200);
  mouse_cmd2("rate f3 50", 0xF3, 80);
  mouse_cmd("identify f2 (Explorer)", 0xF2);
  mouse_cmd2("resolution e8 03", 0xE8, 3);
  mouse_cmd("scaling 2:1 e7", 0xE7);
  mouse_cmd("remote f0", 0xF0);
  mouse_cmd("enable f4", 0xF4);
  mouse_cmd("status e9", 0xE9);
  mouse_cmd("poll eb", 0xEB);
  mouse_cmd("stream ea", 0xEA);
  mouse_cmd("scaling 1:1 e6", 0xE6);
  mouse_cmd("disable f5", 0xF5);
  mouse_cmd("status e9", 0xE9);
  mouse_cmd2("resolution e8 01", 0xE8, 1);
  mouse_cmd("defaults f6", 0xF6);
  mouse_cmd("status e9", 0xE9);
  mouse_cmd("identify f2 (kept)", 0xF2);
  mouse_cmd("wrap ee", 0xEE);
  mouse_cmd("echoed 55", 0x55);
  mouse_cmd("echoed f2", 0xF2);
  mouse_cmd("leave wrap ec", 0xEC);
  mouse_cmd("unknown 12", 0x12);
  mouse_cmd("reset ff", 0xFF);
  mouse_cmd("identify f2", 0xF2);
  ctl(0xA7);
  mouse(0xF2);
  replies("identify f2 after a7");
  show_ctr("after writing to the mouse");

  tables_init();
  /* The master at 0x20 with only the cascade, the slave at 0x40: IRQ 12 at 0x44. */
  outb(0x20, 0x11);
  outb(0xA0, 0x11);
  outb(0x21, 0x20);
  outb(0xA1, 0x40);
  outb(0x21, 0x04);
  outb(0xA1, 0x02);
  outb(0x21, 0x01);
  outb(0xA1, 0x01);
  outb(0x21, 0xFB);
  outb(0xA1, 0xEF);
  ctr_write(0x40); /* translate; no interrupts, both interfaces enabled */
  ctl(0xD3);
  data(0x3C);
  by_irq("ctr 40, loop test d3 3c by irq 12", 1);
  replies("  polled instead");
  ctr_write(0x42);
  show_ctr("ctr with irq 12");
  ctl(0xD3);
  data(0xC3);
  by_irq("loop test d3 c3 by irq 12", 1);
  mouse(0xF2);
  by_irq("identify f2 by irq 12", 2);
  mouse(0xFF);
  by_irq("reset ff by irq 12", 3);
  mouse(0xE9);
  by_irq("status e9 by irq 12", 4);
  ctr_write(0x61);
  show_ctr("as the BIOS left it again");
  puts("ps2_mouse: done\n");
  exit_machine(0);
}
