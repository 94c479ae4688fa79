/*
 * The performance-monitoring MSRs (issue 12): no modeled processor has an architectural
 * PMU. NetBurst (the Pentium 4 profiles) has none; the Core 2 and later parts do
 * (architectural performance monitoring, version 2: CPUID leaf 0AH), but this processor
 * model implements no counter, so no profile reports leaf 0AH (the highest basic leaf is
 * 1) and every access the SDM conditions on CPUID.0AH is refused: RDMSR and WRMSR of
 * IA32_PMC0 (C1H), IA32_PERFEVTSEL0 (186H), their second instances, the fixed counter
 * and the version-2 global control (SDM Vol. 4, table 2-2; Vol. 3B, 18.2) are #GP(0), and
 * so is RDPMC of counter 0 (Vol. 2B, RDPMC: "ECX indicates a supported counter" fails).
 * The console is the same in every mode: under a monitor the guest's RDMSR, WRMSR and
 * RDPMC trap (VT: MSR exits; classic and bt: the deprivileged kernel's #GP or a callout)
 * and the monitor gives the #GP the processor gives natively.
 */
#include "probe.h"

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

static void rdmsr_probe(uint32_t index, const char* name) {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile(PROBE_BEGIN "rdmsr" PROBE_END : "+a"(lo), "+d"(hi) : "c"(index) : "memory");
  puts("rdmsr ");
  puthex(index);
  puts(name);
  probe_show(lo);
  putc('\n');
}

static void wrmsr_probe(uint32_t index, const char* name) {
  __asm__ volatile(PROBE_BEGIN "wrmsr" PROBE_END::"c"(index), "a"(0x004300C0u), "d"(0) : "memory");
  puts("wrmsr ");
  puthex(index);
  puts(name);
  probe_show(0);
  putc('\n');
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("vmlab pmu kernel\n");
  uint32_t max = 0, b, c, d;
  __asm__ volatile("cpuid" : "+a"(max), "=b"(b), "=c"(c), "=d"(d));
  puts("highest basic cpuid leaf ");
  puthex(max);
  puts(max >= 0xA ? ": leaf 0AH reported\n" : ": no leaf 0AH, no architectural PMU\n");
  static const struct {
    uint32_t index;
    const char* name;
  } msrs[] = {{0xC1, " IA32_PMC0"},
              {0xC2, " IA32_PMC1"},
              {0x186, " IA32_PERFEVTSEL0"},
              {0x187, " IA32_PERFEVTSEL1"},
              {0x309, " IA32_FIXED_CTR0"},
              {0x38D, " IA32_FIXED_CTR_CTRL"},
              {0x38F, " IA32_PERF_GLOBAL_CTRL"}};
  for (uint32_t i = 0; i < sizeof msrs / sizeof msrs[0]; ++i) {
    rdmsr_probe(msrs[i].index, msrs[i].name);
    wrmsr_probe(msrs[i].index, msrs[i].name);
  }
  uint32_t lo = 0, hi = 0;
  __asm__ volatile(PROBE_BEGIN "rdpmc" PROBE_END : "+a"(lo), "+d"(hi) : "c"(0) : "memory");
  puts("rdpmc 0");
  probe_show(lo);
  putc('\n');
  puts("pmu: done\n");
  exit_machine(0);
}
