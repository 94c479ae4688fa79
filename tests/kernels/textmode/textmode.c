/*
 * The BIOS data area and CGA text mode test kernel: what a kernel booted by
 * qemu-system-i386 -kernel finds in the BDA at 0x400 (the fields a BIOS leaves and kernels
 * read: the COM port table, the EBDA segment, the base memory size, the text mode's
 * columns and rows and the CRTC's port), and the CGA text buffer at 0xB8000 with the 6845
 * CRTC's cursor location registers (index port 0x3D4, data port 0x3D5, registers 0x0E and
 * 0x0F). It prints on COM1 what it read, so that its console is byte-identical under vmlab
 * and QEMU (tests/kernels/compare_with_qemu.sh), and leaves a screen that
 * `vmlab run --display text` prints at exit.
 */
#include "klib.h"

/* GCC takes constant addresses below 4 KiB for null-pointer arithmetic; hide the base. */
static volatile uint8_t* bda(uint32_t off) {
  uint32_t p = 0x400 + off;
  __asm__("" : "+r"(p));
  return (volatile uint8_t*)p;
}
#define BDA8(off) (*bda(off))
#define BDA16(off) (*(volatile uint16_t*)bda(off))
#define TEXT ((volatile uint16_t*)0xB8000)

void isr_dispatch(struct frame* f) {
  puts("unexpected exception ");
  putdec(f->vector);
  puts("\n");
  exit_machine(2);
}

static void field(const char* name, uint32_t v) {
  puts(name);
  puts(": ");
  puthex(v);
  puts("\n");
}

static uint8_t crtc_read(uint8_t index) {
  outb(0x3D4, index);
  return inb(0x3D5);
}

static void crtc_write(uint8_t index, uint8_t v) {
  outb(0x3D4, index);
  outb(0x3D5, v);
}

static void put_at(uint32_t row, uint32_t col, const char* s, uint8_t attr) {
  for (uint32_t i = 0; s[i]; ++i) TEXT[row * 80 + col + i] = (uint16_t)(attr << 8 | (uint8_t)s[i]);
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)mbi;
  console_init();
  puts("vmlab textmode test kernel\n");
  if (magic != 0x2BADB002) exit_machine(1);
  field("bda com1", BDA16(0x00));
  field("bda com2", BDA16(0x02));
  field("bda ebda segment", BDA16(0x0E));
  field("bda base memory KiB", BDA16(0x13));
  field("bda video mode", BDA8(0x49));
  field("bda columns", BDA16(0x4A));
  field("bda crtc port", BDA16(0x63));
  field("bda rows - 1", BDA8(0x84));
  /* The cursor location registers read back what was written. */
  crtc_write(0x0E, 0x01);
  crtc_write(0x0F, 0x23);
  field("crtc cursor", (uint32_t)crtc_read(0x0E) << 8 | crtc_read(0x0F));
  /* The text buffer is memory: it reads back what was written. */
  for (uint32_t i = 0; i < 80 * 25; ++i) TEXT[i] = 0x0720;
  put_at(0, 0, "vmlab textmode test kernel", 0x1F);
  put_at(2, 4, "Hello from the CGA text buffer at 0xB8000.", 0x07);
  put_at(24, 70, "last row", 0x4E);
  TEXT[80 * 3] = 0x07DB; /* a full block, CP437 0xDB */
  field("text readback", TEXT[80 * 2 + 4]);
  /* The cursor after "0xB8000." on row 2. */
  const uint32_t cursor = 2 * 80 + 4 + 42;
  crtc_write(0x0E, (uint8_t)(cursor >> 8));
  crtc_write(0x0F, (uint8_t)cursor);
  field("crtc cursor", (uint32_t)crtc_read(0x0E) << 8 | crtc_read(0x0F));
  puts("textmode: ok\n");
  exit_machine(0);
}
