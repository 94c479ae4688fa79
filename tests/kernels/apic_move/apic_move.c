/*
 * A guest that moves its local APIC (issue 12; SDM Vol. 3A, 10.4.4 and figure 10-5: the
 * IA32_APIC_BASE MSR, 1BH, holds the base of the APIC's 4-KiB page, the BSP flag and the
 * global enable bit). The kernel reads the MSR, moves the APIC to 0xFEB00000 and then to
 * 0xF0000000 (below the hypervisor hole of ring compression), and reads the APIC's
 * version register at the new page and nothing at the old one; a self-IPI is delivered
 * from the new page. Then hostile values: reserved bits (x2APIC enable, bits 0-7) and
 * physical-address bits above 4 GiB are #GP and change nothing; a base on the guest's RAM
 * (RAM answers there, as natively) and at 0xFC000000 (nothing of the monitor's is there);
 * and the global enable cleared: the APIC answers nowhere and CPUID.1:EDX.APIC reads 0.
 * Each step prints what the guest saw; the console is the same in every mode with a
 * local APIC (expected.txt is the native one).
 */
#include "probe.h"

#define MSR_APIC_BASE 0x1B

static volatile uint32_t hits;
static volatile uint32_t apic_now = 0xFEE00000u;
static uint32_t ram_page[1024] __attribute__((aligned(4096)));

static void wrmsr_probe(uint32_t lo, uint32_t hi) {
  __asm__ volatile(PROBE_BEGIN "wrmsr\n" PROBE_END
                   :
                   : "c"(MSR_APIC_BASE), "a"(lo), "d"(hi)
                   : "memory");
}

static uint32_t rdmsr_lo(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_APIC_BASE));
  return lo;
}

static uint32_t rd(uint32_t base, uint32_t off) {
  return *(volatile uint32_t*)(base + off);
}
static void wr(uint32_t base, uint32_t off, uint32_t v) {
  *(volatile uint32_t*)(base + off) = v;
}

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  if (f->vector == 0x44) {
    ++hits;
    wr(apic_now, 0xB0, 0); /* EOI */
    return;
  }
  unexpected_vector(f);
}

static void show_msr(const char* when) {
  puts(when);
  puts(": msr ");
  puthex(rdmsr_lo());
  if (probe.faulted) {
    puts(", wrmsr #");
    putdec(probe.vector);
  }
  putc('\n');
}

static void show_apic(const char* what, uint32_t base) {
  puts("  ");
  puts(what);
  puts(" ");
  puthex(base);
  puts(": version ");
  puthex(rd(base, 0x30) & 0xFF00FF);
  puts(", svr ");
  puthex(rd(base, 0xF0));
  putc('\n');
}

static void self_ipi(void) {
  hits = 0;
  wr(apic_now, 0xF0, 0x1FF);              /* software-enable, spurious vector 0xFF */
  wr(apic_now, 0x300, 0x44 | (1u << 18)); /* fixed, to self */
  __asm__ volatile("sti; nop; cli");
  puts("  self-IPI through ");
  puthex(apic_now);
  puts(": ");
  putdec(hits);
  putc('\n');
}

static uint32_t cpuid_edx(void) {
  uint32_t a = 1, b, c, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  return d;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  puts("vmlab apic move kernel\n");
  show_msr("power-up");
  show_apic("at", 0xFEE00000u);

  wrmsr_probe(0xFEB00000u | 0x900, 0);
  apic_now = 0xFEB00000u;
  show_msr("moved to 0xFEB00000");
  show_apic("at", 0xFEB00000u);
  show_apic("old", 0xFEE00000u);
  self_ipi();

  wrmsr_probe(0xF0000000u | 0x900, 0);
  apic_now = 0xF0000000u;
  show_msr("moved to 0xF0000000");
  show_apic("at", 0xF0000000u);
  show_apic("old", 0xFEB00000u);
  self_ipi();

  wrmsr_probe(0xFEE00000u | 0x900 | 0x400, 0); /* x2APIC enable: reserved here */
  show_msr("x2APIC bit");
  wrmsr_probe(0xFEE00000u | 0x900 | 0x01, 0); /* bit 0 reserved */
  show_msr("bit 0");
  wrmsr_probe(0xFEE00000u | 0x900, 1); /* physical address bit 32 */
  show_msr("base above 4 GiB");
  show_apic("still at", 0xF0000000u);

  for (uint32_t i = 0; i < 1024; ++i) ram_page[i] = 0x0DDBA11u + i;
  wrmsr_probe((uint32_t)ram_page | 0x900, 0);
  show_msr("on RAM");
  puts("  RAM there: ");
  puthex(rd((uint32_t)ram_page, 0x30));
  putc('\n');

  wrmsr_probe(0xFC000000u | 0x900, 0);
  apic_now = 0xFC000000u;
  show_msr("at 0xFC000000");
  show_apic("at", 0xFC000000u);
  self_ipi();

  wrmsr_probe(0xFC000000u | 0x100, 0); /* global enable cleared */
  show_msr("disabled");
  show_apic("at", 0xFC000000u);
  puts("  cpuid.1 edx apic bit: ");
  putdec((cpuid_edx() >> 9) & 1);
  putc('\n');
  puts("done\n");
  exit_machine(0);
}
