/*
 * The string_io_hostile test kernel: INS and OUTS that try to make a monitor's string-I/O
 * emulation (the one element loop of engine/vmm/kit/string_io.h that the VT monitor's I/O
 * exits and the trap-and-emulate kit share) do more, or other, than the processor does.
 * Each case prints the registers and the fault it ended with (vector, error code, CR2):
 *   - a REP INSB with ECX = 0xFFFFFFF0 into an ES whose byte-granular limit ends 256 bytes
 *     on: 256 elements, then #GP(0) with ECX and EDI where the limit stopped them;
 *   - a16: REP INSB with DI = 0xFFFE and CX = 4, the upper halves set: DI wraps within
 *     ES (base 0x40000), the upper halves stay;
 *   - DF set: REP OUTSB to COM1 backwards, then a16 REP OUTSB through an FS override
 *     with SI = 1 and CX = 3 (SI wraps to 0xFFFF, then 0xFFFE);
 *   - ES null (unusable) and an FS override past FS's limit: #GP(0), no port access, no
 *     register changed;
 *   - a read-only ES: INSB is #GP(0);
 *   - with paging on, INSB and a page-crossing INSW whose destination page is not present:
 *     #PF (CR2 the first absent byte) before the port is read: the byte the 8042 holds
 *     (written there by command 0xD2) is still there afterwards.
 * Every mode prints native's console (expected.txt). Not compared with QEMU: its TCG does
 * not check data segment limits (tests/kernels/stack_limits says the same of SS), so
 * there the first case would write four billion bytes.
 */
#include "i8042_poll.h"
#include "klib.h"
#include "own_tables.h"
#include "probe.h"

#define GDT_ENTRIES 10
#define SEL_ES_SHORT 0x30 /* base 0, limit 0x20FF, bytes */
#define SEL_ES_HIGH 0x38  /* base 0x40000, limit 0xFFFF */
#define SEL_FS_SHORT 0x40 /* base 0, limit 0x0FFF, bytes */
#define SEL_ES_RO 0x48    /* base 0, 4 GiB, read-only */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(128)));
static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static uint32_t read_cr2(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

static void show(const char* what, uint32_t esi, uint32_t edi, uint32_t ecx) {
  puts(what);
  puts(": esi ");
  puthex(esi);
  puts(" edi ");
  puthex(edi);
  puts(" ecx ");
  puthex(ecx);
  if (probe.faulted) {
    puts(" vector ");
    putdec(probe.vector);
    puts(" error ");
    puthex(probe.error);
    if (probe.vector == 14) {
      puts(" cr2 ");
      puthex(read_cr2());
    }
  } else {
    puts(" no fault");
  }
  putc('\n');
}

/* INS/OUTS with ES (or the override's segment) loaded with `es` for the instruction only. */
#define WITH_ES(sel, insn, esi, edi, ecx, port)                                              \
  __asm__ volatile("push %%es\n\tmov %w4, %%es\n\t" PROBE_BEGIN insn PROBE_END "pop %%es" \
                   : "+S"(esi), "+D"(edi), "+c"(ecx)                                        \
                   : "d"(port), "r"(sel)                                                    \
                   : "memory", "cc")

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kstack + sizeof kstack));
  gdt[SEL_ES_SHORT >> 3] = seg_desc(0, 0x20FF, 0x92, 0x4);
  gdt[SEL_ES_HIGH >> 3] = seg_desc(0x40000, 0xFFFF, 0x92, 0x4);
  gdt[SEL_FS_SHORT >> 3] = seg_desc(0, 0x0FFF, 0x92, 0x4);
  gdt[SEL_ES_RO >> 3] = seg_desc(0, 0xFFFFF, 0x90, 0xC);
  puts("string_io_hostile: INS and OUTS against segment limits, a16, DF and paging\n");
  outb(0x70, 0x0E); /* CMOS status byte 0x0E at port 0x71: 0, as the BIOS leaves it */

  /* A count of four billion, stopped by ES's limit at 0x2100. */
  uint32_t esi = 0x11111111u, edi = 0x2000, ecx = 0xFFFFFFF0u;
  WITH_ES(SEL_ES_SHORT, "rep insb", esi, edi, ecx, 0x71);
  show("huge ecx, es limit 0x20ff", esi, edi, ecx);

  /* a16: DI wraps within ES, the upper halves of EDI and ECX stay. */
  volatile uint8_t* high = (volatile uint8_t*)0x40000;
  high[0xFFFE] = high[0xFFFF] = high[0] = high[1] = high[2] = 'x';
  esi = 0, edi = 0x1234FFFEu, ecx = 0xABCD0004u;
  WITH_ES(SEL_ES_HIGH, "addr16 rep insb", esi, edi, ecx, 0x71);
  show("a16 rep insb, di ffff wraps", esi, edi, ecx);
  puts("bytes:");
  for (uint32_t a = 0xFFFE; a != 0x10003; ++a) {
    putc(' ');
    hex2(high[a & 0xFFFF]);
  }
  putc('\n');

  /* DF: backwards from the last byte. */
  static const char word[] = "olleh";
  esi = (uint32_t)&word[4], edi = 0, ecx = 5;
  puts("std rep outsb: [");
  __asm__ volatile("std\n\trep outsb\n\tcld" : "+S"(esi), "+c"(ecx) : "d"(0x3F8) : "memory");
  puts("]\n");
  show("after", esi, edi, ecx);
  /* a16 and DF through an FS override (base 0x40000): SI 1, 0, then 0xFFFF. */
  high[1] = 'A';
  high[0] = 'B';
  high[0xFFFF] = '#';
  esi = 0x77770001u, ecx = 0x55550003u;
  puts("std fs a16 rep outsb: [");
  __asm__ volatile("push %%fs\n\tmov %w2, %%fs\n\tstd\n\t"
                   ".byte 0x64, 0x67, 0xf3, 0x6e\n\t" /* rep outsb %fs:(%si), (%dx) */
                   "cld\n\tpop %%fs"
                   : "+S"(esi), "+c"(ecx)
                   : "r"(SEL_ES_HIGH), "d"(0x3F8)
                   : "memory", "cc");
  puts("]\n");
  show("after", esi, edi, ecx);

  /* Unusable ES (null): #GP(0) before any port access. */
  esi = 0, edi = 0x3000, ecx = 0x10;
  WITH_ES(0, "rep insb", esi, edi, ecx, 0x71);
  show("es null", esi, edi, ecx);
  /* Read-only ES: INS writes it, #GP(0). */
  edi = 0x3000, ecx = 0x10;
  WITH_ES(SEL_ES_RO, "rep insb", esi, edi, ecx, 0x71);
  show("es read-only", esi, edi, ecx);

  /* OUTS through FS past its limit (a word at ESI 0xFFF): #GP(0), nothing out. */
  esi = 0xFFF, edi = 0, ecx = 2;
  puts("fs outsw past the limit: [");
  __asm__ volatile("push %%fs\n\tmov %w4, %%fs\n\t" PROBE_BEGIN "rep outsw %%fs:(%%esi), (%%dx)" PROBE_END
                   "pop %%fs"
                   : "+S"(esi), "+D"(edi), "+c"(ecx)
                   : "d"(0x3F8), "r"(SEL_FS_SHORT)
                   : "memory", "cc");
  puts("]\n");
  show("after", esi, edi, ecx);
  /* Paging: 0-4 MiB identity, nothing above. */
  for (uint32_t i = 0; i < 1024; ++i) pt[i] = (i << 12) | 3;
  pd[0] = (uint32_t)pt | 3;
  paging_on(pd);
  ctl(0xD2); /* the next data byte goes to the output buffer, as if the keyboard sent it */
  data(0x5A);
  esi = 0, edi = 0x400000, ecx = 3;
  WITH_ES(SEL_KDATA, "rep insb", esi, edi, ecx, 0x60);
  show("insb into an absent page", esi, edi, ecx);
  edi = 0x3FFFFF, ecx = 3;
  WITH_ES(SEL_KDATA, "rep insw", esi, edi, ecx, 0x60);
  show("insw across into it", esi, edi, ecx);
  puts("8042 status ");
  hex2(inb(0x64) & 1);
  puts(" data ");
  hex2(inb(0x60));
  putc('\n');
  puts("string_io_hostile: done\n");
  exit_machine(0);
}
