/*
 * The CRTC test kernel: the 6845-compatible CRT controller of the PC's colour text display
 * (index port 0x3D4, data port 0x3D5) as a kernel booted by qemu-system-i386 -kernel finds
 * it: programmed for 80x25 text mode 3 by the BIOS (IBM VGA Technical Reference, "CRT
 * Controller Registers"; the values of the mode 3 parameter table SeaBIOS loads), and the
 * BIOS data area's record of the cursor shape (0x460). GRUB Invaders hides the cursor as
 * this kernel does at the end: it reads the Cursor Start register (0x0A) and writes it back
 * with bit 5, Cursor Off, set. The console is the same natively and under QEMU
 * (crtc_kernel_matches_qemu) and in every mode; `vmlab run --display text` then says the
 * cursor is off (crtc_kernel_screen).
 */
#include "klib.h"

/* GCC takes constant addresses below 4 KiB for null-pointer arithmetic; hide the base. */
static volatile uint8_t* bda(uint32_t off) {
  uint32_t p = 0x400 + off;
  __asm__("" : "+r"(p));
  return (volatile uint8_t*)p;
}

void isr_dispatch(struct frame* f) {
  puts("unexpected exception ");
  putdec(f->vector);
  puts("\n");
  exit_machine(2);
}

static uint8_t crtc_read(uint8_t index) {
  outb(0x3D4, index);
  return inb(0x3D5);
}

static void crtc_write(uint8_t index, uint8_t v) {
  outb(0x3D4, index);
  outb(0x3D5, v);
}

static void field(const char* name, uint32_t v) {
  puts(name);
  puts(": ");
  puthex(v);
  puts("\n");
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)mbi;
  console_init();
  puts("vmlab crtc test kernel\n");
  if (magic != 0x2BADB002) exit_machine(1);
  /* Every register as the BIOS left it, in the order of the VGA's register table. The
   * cursor location (0x0E, 0x0F) is where the BIOS's last output left it: the top left. */
  puts("crtc:");
  for (uint8_t i = 0; i <= 0x18; ++i) {
    static const char hex[] = "0123456789abcdef";
    const uint8_t v = crtc_read(i);
    putc(' ');
    /* The cursor location is where the BIOS's output left it: below SeaBIOS's two lines
     * under QEMU, the top left under vmlab, which has no BIOS that prints. */
    putc(i == 0x0E || i == 0x0F ? '-' : hex[v >> 4]);
    putc(i == 0x0E || i == 0x0F ? '-' : hex[v & 15]);
  }
  puts("\n");
  /* Protect (register 0x11 bit 7, set by the BIOS): registers 0x00-0x07 ignore writes,
   * except bit 4 of 0x07 (Line Compare bit 8). */
  crtc_write(0x01, 0x00);
  field("protected 0x01 after writing 0", crtc_read(0x01));
  const uint8_t overflow = crtc_read(0x07);
  crtc_write(0x07, 0x00);
  field("protected 0x07 after writing 0", crtc_read(0x07));
  crtc_write(0x07, overflow);
  crtc_write(0x11, crtc_read(0x11) & 0x7F);
  crtc_write(0x01, 0x00);
  field("unprotected 0x01 after writing 0", crtc_read(0x01));
  crtc_write(0x01, 0x4F);
  crtc_write(0x11, crtc_read(0x11) | 0x80);
  field("0x01 restored", crtc_read(0x01));
  field("bda cursor shape", (uint32_t)bda(0x61)[0] << 8 | bda(0x60)[0]);
  field("crtc index readback", (outb(0x3D4, 0x0B), inb(0x3D4)));
  /* Cursor Off, as GRUB Invaders sets it: read, set bit 5, write back. */
  crtc_write(0x0A, crtc_read(0x0A) | 0x20);
  field("cursor start", crtc_read(0x0A));
  /* A text line to show. */
  volatile uint16_t* text = (volatile uint16_t*)0xB8000;
  const char* s = "cursor off";
  for (uint32_t i = 0; s[i]; ++i) text[i] = (uint16_t)(0x0700 | (uint8_t)s[i]);
  puts("crtc: ok\n");
  exit_machine(0);
}
