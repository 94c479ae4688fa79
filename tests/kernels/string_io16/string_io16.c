/*
 * The string_io16 test kernel: INS and OUTS with a 16-bit address size (the 67 prefix),
 * which use SI, DI and CX and change only their low 16 bits (SDM Vol. 2B, INS/OUTS, REP),
 * with the upper halves of ESI, EDI and ECX set so that a 32-bit reading of them would
 * reach other memory and repeat billions of times. REP OUTSB writes five bytes from DS:SI
 * to COM1, REP INSB reads three bytes of the CMOS index port into ES:DI,
 * and an OUTSB whose SI is 0xFFFF wraps SI to 0. Every monitor emulates these (the port
 * traps); every mode must print native's console, and QEMU's.
 */
#include "klib.h"

#define LOW 0x7000u /* below 64 KiB: what SI and DI reach */

static void show(const char* what, uint32_t esi, uint32_t edi, uint32_t ecx) {
  puts(what);
  puts(": esi ");
  puthex(esi);
  puts(" edi ");
  puthex(edi);
  puts(" ecx ");
  puthex(ecx);
  putc('\n');
}

void isr_dispatch(struct frame* f) {
  unexpected_vector(f);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  puts("string_io16: INS and OUTS with a 16-bit address size\n");
  volatile char* low = (volatile char*)LOW;
  const char text[] = "hello";
  for (int i = 0; i < 5; ++i) low[i] = text[i];
  low[0xFFF] = '!';

  uint32_t esi = 0x12340000u + LOW, edi = 0, ecx = 0xFFFF0005u;
  puts("rep outsb to com1: [");
  __asm__ volatile("cld\n addr16 rep outsb"
                   : "+S"(esi), "+c"(ecx)
                   : "d"(0x3F8)
                   : "memory");
  puts("]\n");
  show("after", esi, edi, ecx);

  /* SI = 0xFFFF: the byte there, then SI wraps to 0 and the upper half stays. */
  volatile char* top = (volatile char*)0xFFFFu;
  *top = '#';
  esi = 0x5678FFFFu;
  puts("outsb at si ffff: [");
  __asm__ volatile("cld\n addr16 outsb" : "+S"(esi) : "d"(0x3F8) : "memory");
  puts("]\n");
  show("after", esi, edi, ecx);

  /* REP INSB from the CMOS index port's neighbour 0x71 after selecting register 0x0E
   * (CMOS RAM, status byte: 0 as the BIOS leaves it on QEMU and vmlab), three bytes at
   * ES:DI with DI's upper half set; then DF set, backwards. */
  outb(0x70, 0x0E);
  for (int i = 0; i < 4; ++i) low[0x100 + i] = 'x';
  edi = 0xABCD0000u + LOW + 0x100;
  ecx = 0x80000003u;
  __asm__ volatile("cld\n addr16 rep insb" : "+D"(edi), "+c"(ecx) : "d"(0x71) : "memory");
  show("rep insb from 0x71", esi, edi, ecx);
  puts("bytes:");
  for (int i = 0; i < 4; ++i) {
    putc(' ');
    puthex((uint8_t)low[0x100 + i]);
  }
  putc('\n');
  ecx = 0x00010002u;
  __asm__ volatile("std\n addr16 rep insb\n cld" : "+D"(edi), "+c"(ecx) : "d"(0x71) : "memory");
  show("backwards", esi, edi, ecx);
  puts("string_io16: done\n");
  exit_machine(0);
}
