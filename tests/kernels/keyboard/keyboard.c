/*
 * The keyboard test kernel: the 8042 keyboard controller and the MF II keyboard behind it
 * (engine/machine/i8042_controller.h, ps2_keyboard.h), driven by polling with no key
 * pressed: the state the BIOS leaves, the controller's command byte and self tests, and
 * the keyboard's reset, identify, echo, LEDs, typematic and scancode-set commands with
 * translation on and off. Every byte is printed; the console is QEMU's byte for byte
 * (keyboard_kernel_matches_qemu) and the same in every mode.
 *
 * With "keys" on the command line it then takes IRQ 1 (the PIC's IRQ 1 at vector 0x41)
 * and prints each scancode of the keys `vmlab run --keys` types, translated to set 1 until
 * Esc is released, then in set 2 (translation off) until Esc is released again.
 * With "hammer" it writes every controller command with every data byte (but the ones that
 * pulse the reset line), reads with nothing queued, and then checks the controller and
 * keyboard still answer as after a reset.
 */
#include "i8042_poll.h"
#include "klib.h"

/* Prints every byte that arrives, then "--" for none. */
static void replies(const char* what) {
  puts(what);
  puts(":");
  int n = 0;
  for (int b; (b = read_byte()) >= 0; ++n) {
    putc(' ');
    hex2((uint32_t)b);
  }
  if (n == 0) puts(" --");
  puts("\n");
}

/* The status register without bit 3 (the last write went to 0x64): the 8042 latches it
 * from the address line, QEMU keeps it set. */
static void status(const char* what) {
  puts(what);
  puts(": status ");
  hex2(inb(0x64) & ~0x08u);
  puts("\n");
}

static void keyboard_commands(void) {
  data(0xFF);
  replies("  reset ff");
  data(0xF2);
  replies("  identify f2");
  data(0xEE);
  replies("  echo ee");
  data(0xED);
  replies("  leds ed");
  data(0x07);
  replies("  leds data 07");
  data(0xED);
  data(0x00);
  replies("  leds ed 00");
  data(0xF3);
  data(0x20);
  replies("  typematic f3 20");
  data(0xF0);
  data(0x00);
  replies("  get set f0 00");
  data(0xF0);
  data(0x01);
  replies("  set 1 f0 01");
  data(0xF0);
  data(0x00);
  replies("  get set f0 00");
  data(0xF0);
  data(0x02);
  replies("  set 2 f0 02");
  data(0xF0);
  data(0x00);
  replies("  get set f0 00");
  data(0xF0);
  data(0x07);
  replies("  bad set f0 07");
  data(0xF5);
  replies("  disable f5");
  data(0xF4);
  replies("  enable f4");
  data(0x88);
  replies("  unknown 88");
}

/* Scancodes by interrupt: the handler queues them, the loop prints them. */
static volatile uint8_t ring[64];
static volatile uint32_t ring_head, ring_tail;

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x41) {
    ring[ring_head++ % 64] = inb(0x60);
    outb(0x20, 0x20);
    return;
  }
  puts("unexpected exception ");
  putdec(f->vector);
  puts("\n");
  exit_machine(2);
}

static void take_keys(const char* what, const uint8_t* esc_break, int n) {
  puts(what);
  puts(":");
  int matched = 0;
  for (;;) {
    __asm__ volatile("cli");
    if (ring_tail == ring_head) {
      __asm__ volatile("sti; hlt");
      continue;
    }
    __asm__ volatile("sti");
    const uint8_t b = ring[ring_tail++ % 64];
    putc(' ');
    hex2(b);
    matched = b == esc_break[matched] ? matched + 1 : (b == esc_break[0]);
    if (matched == n) break;
  }
  puts("\n");
}

static void keys(void) {
  tables_init();
  /* The PICs with IRQ 0-7 at vectors 0x40-0x47 (klib's IDT has 0x40-0x45), only IRQ 1. */
  outb(0x20, 0x11);
  outb(0xA0, 0x11);
  outb(0x21, 0x40);
  outb(0xA1, 0x48);
  outb(0x21, 0x04);
  outb(0xA1, 0x02);
  outb(0x21, 0x01);
  outb(0xA1, 0x01);
  outb(0x21, 0xFD);
  outb(0xA1, 0xFF);
  ctr_write(0x47); /* interrupt on, translate on, system flag */
  static const uint8_t esc1[] = {0x81};
  static const uint8_t esc2[] = {0xF0, 0x76};
  take_keys("keys set 1", esc1, 1);
  __asm__ volatile("cli");
  ctr_write(0x07); /* translate off: the keyboard's own set 2 */
  take_keys("keys set 2", esc2, 2);
}

static void hammer(void) {
  for (uint32_t c = 0; c < 256; ++c) {
    /* Not the ones that reset the machine: the pulses with bit 0 low, and 0xD1 (its data
     * byte below has bit 0 set). */
    if ((c & 0xF1) == 0xF0) continue;
    for (uint32_t d = 0; d < 256; d += 7) {
      ctl((uint8_t)c);
      data((uint8_t)(d | (c == 0xD1 ? 1 : 0)));
      inb(0x60);
      inb(0x64);
      inb(0x60);
    }
  }
  puts("hammered\n");
  while (read_byte() >= 0) {
  }
  ctr_write(0x45);
  ctl(0xAA);
  replies("self test aa");
  ctl(0xAE);
  data(0xFF);
  replies("reset ff");
  data(0xF2);
  replies("identify f2");
  replies("nothing queued");
  ctl(0x20);
  replies("ctr 20");
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  console_init();
  puts("vmlab keyboard test kernel\n");
  if (magic != 0x2BADB002) exit_machine(1);
  status("as the BIOS left it");
  replies("queued at entry");
  if (cmdline_has(mbi, "hammer")) {
    hammer();
    exit_machine(0);
  }
  const int ctr = ctr_read();
  puts("ctr 20: ");
  hex2((uint32_t)ctr);
  puts("\n");
  status("after reading the ctr");
  ctl(0xAA);
  replies("self test aa");
  ctl(0xAB);
  replies("keyboard interface test ab");
  ctl(0xD0);
  replies("output port d0");
  ctl(0xC0);
  replies("input port c0");
  ctl(0xD2);
  data(0x5A);
  replies("write output buffer d2 5a");
  status("after the data");
  ctl(0xAD);
  puts("disabled ad: ctr ");
  hex2((uint32_t)ctr_read());
  puts("\n");
  data(0xEE);
  replies("echo while disabled");
  puts("ctr after ");
  hex2((uint32_t)ctr_read());
  puts("\n");
  ctl(0xAE);
  puts("enabled ae: ctr ");
  hex2((uint32_t)ctr_read());
  puts("\n");
  puts("translate on\n");
  ctr_write((uint8_t)(ctr | 0x40));
  keyboard_commands();
  puts("translate off\n");
  ctr_write((uint8_t)(ctr & ~0x40));
  puts("ctr now ");
  hex2((uint32_t)ctr_read());
  puts("\n");
  keyboard_commands();
  ctr_write((uint8_t)ctr);
  status("done");
  if (cmdline_has(mbi, "keys")) keys();
  exit_machine(0);
}
