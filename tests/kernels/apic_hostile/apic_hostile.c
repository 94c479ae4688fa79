/*
 * Hostile accesses to the local APIC's page (issue 12, item 14): what a guest gets for
 * accesses the SDM tells software not to make (Vol. 3A, 10.4.1: the registers are 32 bits
 * wide on 16-byte boundaries and "should be accessed using 128-bit aligned 32-bit loads or
 * stores"), and that the APIC behind a monitor is the same APIC afterwards. Under a monitor
 * every access here is trapped (an APIC-access exit under VT, the hypervisor hole under
 * the classic CPU and bt) and must give what it gives natively: a narrow or unaligned read
 * sees its bytes, a narrow or unaligned write is dropped, a reserved offset reads 0 and
 * sets the ESR's "illegal register address" bit (SDM Vol. 3A, 10.5.3), an access straddling the page's end reaches nothing past it, string and read-modify-write
 * instructions over the page behave as natively. Then a self-IPI and a one-shot timer
 * still arrive: nothing of the monitor's was disturbed. The console must be byte-identical
 * in every mode (expected.txt is the native one).
 */
#include "klib.h"

#define APIC_BASE 0xFEE00000u
#define R32(off) (*(volatile uint32_t*)(APIC_BASE + (off)))
#define R16(off) (*(volatile uint16_t*)(APIC_BASE + (off)))
#define R8(off) (*(volatile uint8_t*)(APIC_BASE + (off)))

static volatile uint32_t hits[2]; /* vectors 0x44 (self-IPI), 0x45 (timer) */

static void show(const char* name, uint32_t v) {
  puts(name);
  puts(" = ");
  puthex(v);
  putc('\n');
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x44 || f->vector == 0x45) {
    hits[f->vector - 0x44]++;
    R32(0xB0) = 0; /* EOI */
  } else {
    puts("unexpected vector ");
    putdec(f->vector);
    putc('\n');
    exit_machine(1);
  }
}

static void wait_for(volatile uint32_t* counter) {
  while (*counter == 0) __asm__ volatile("sti; hlt; cli");
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  pic_mask_all(); /* the PICs quiet: only the APIC interrupts */
  puts("vmlab apic hostile-access kernel\n");
  R32(0x80) = 0x5A; /* TPR */

  puts("-- narrow and unaligned reads see their bytes\n");
  show("version byte 2 (8-bit read)", R8(0x32));
  show("tpr low half (16-bit read)", R16(0x80));
  show("version at +1 (unaligned 32-bit read)", R32(0x31));
  show("dfr at +2 (unaligned 16-bit read)", R16(0xE2));

  puts("-- narrow and unaligned writes are dropped\n");
  R8(0x80) = 0x11;
  R16(0x80) = 0x2222;
  R32(0x81) = 0x33333333;
  R32(0xF2) = 0; /* SVR, unaligned: would software-disable the APIC */
  show("tpr", R32(0x80));
  show("svr", R32(0xF0));

  puts("-- reserved and read-only offsets\n");
  R32(0x40) = 0xFFFFFFFF; /* reserved */
  R32(0x30) = 0;          /* version: read-only */
  R32(0xA0) = 0xFF;       /* PPR: read-only */
  R32(0xFF0) = 0xFFFFFFFF;
  show("reserved 0x40", R32(0x40));
  show("reserved 0xff0", R32(0xFF0));
  show("version", R32(0x30));
  show("ppr", R32(0xA0));

  puts("-- accesses straddling the page's end\n");
  show("32-bit read at 0xffe", R32(0xFFE));
  R32(0xFFE) = 0x12345678;
  show("after a straddling write, tpr", R32(0x80));

  puts("-- string and read-modify-write instructions\n");
  uint32_t copy[4] = {0, 0, 0, 0};
  {
    const void* src = (const void*)(APIC_BASE + 0x30);
    void* dst = copy;
    uint32_t n = 4;
    __asm__ volatile("cld; rep movsl" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
  }
  show("rep movsl from 0x30: version", copy[0]);
  show("rep movsl from 0x30: +4", copy[1]);
  show("rep movsl from 0x30: +8", copy[2]);
  show("rep movsl from 0x30: +c", copy[3]);
  {
    uint32_t v = 0x20;
    __asm__ volatile("xchgl %0, (%1)" : "+r"(v) : "r"(APIC_BASE + 0x80) : "memory");
    show("xchg with tpr returned", v);
  }
  __asm__ volatile("addl $0x10, (%0)" : : "r"(APIC_BASE + 0x80) : "memory");
  show("tpr after add 0x10", R32(0x80));
  __asm__ volatile("orb $0x0F, (%0)" : : "r"(APIC_BASE + 0x80) : "memory");
  show("tpr after a byte-wide or (dropped)", R32(0x80));

  puts("-- the APIC still works\n");
  R32(0x80) = 0;
  R32(0x300) = 0x00040044; /* self-IPI, vector 0x44 */
  wait_for(&hits[0]);
  show("self ipi taken", hits[0]);
  R32(0x3E0) = 0xB;     /* divide by 1 */
  R32(0x320) = 0x45;    /* one-shot, vector 0x45 */
  R32(0x380) = 100000;  /* 100 us */
  wait_for(&hits[1]);
  show("one-shot timer taken", hits[1]);
  show("isr bits 64-95 (none in service)", R32(0x120));

  puts("-- delivery at the next instruction boundary (IF set)\n");
  hits[0] = 0;
  __asm__ volatile("sti");
  R32(0x300) = 0x00040044; /* a self-IPI: taken before the next instruction */
  const uint32_t after_ipi = hits[0];
  R32(0x80) = 0x50;        /* TPR class 5 holds class 4 back */
  R32(0x300) = 0x00040044;
  const uint32_t while_held = hits[0];
  R32(0x80) = 0;           /* lowered: the held one is taken at once */
  const uint32_t after_tpr = hits[0];
  __asm__ volatile("cli");
  show("self ipi taken by the next instruction", after_ipi);
  show("held back by the tpr", while_held);
  show("taken once the tpr is lowered", after_tpr);
  show("esr (after a write)", (R32(0x280) = 0, R32(0x280)));
  puts("apic hostile-access test done\n");
  exit_machine(0);
}
