/*
 * The descriptor-probe test kernel (issue 12, differential.py --richer seed 32006): LAR,
 * LSL, VERR and VERW of the guest kernel on its own flat segments. Natively LSL of a flat
 * segment is 0xFFFFFFFF and LAR shows the descriptor's DPL 0 (SDM Vol. 2A, LAR and LSL).
 * bt translates them as callouts that examine the guest's own descriptors
 * (PrivilegedEmulator::descriptor_probe); before, they ran in the translation cache on the
 * shadow descriptors, whose DPL is 1 and whose limit the cut below the hypervisor hole made
 * 0xFBFFFFFF. The classic CPU runs them in ring 1 without a trap, a Popek-Goldberg hole
 * (docs/modes/trap-and-emulate.md): classic.expected.
 */
#include "probe.h"

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

/* The result, or 0xEEEEEEEE when ZF is clear. */
static uint32_t lsl(uint32_t sel) {
  uint32_t v = 0xEEEEEEEE;
  __asm__ volatile("lsl %[s], %[v]" : [v] "+r"(v) : [s] "r"(sel) : "cc");
  return v;
}
static uint32_t lar(uint32_t sel) {
  uint32_t v = 0xEEEEEEEE;
  __asm__ volatile("lar %[s], %[v]" : [v] "+r"(v) : [s] "r"(sel) : "cc");
  return v;
}
static uint32_t verw(uint32_t sel) {
  uint8_t z;
  __asm__ volatile("verw %w[s]\n\tsetz %[z]" : [z] "=r"(z) : [s] "r"(sel) : "cc");
  return z;
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  puts("descriptor_probe:\n");
  probe_print("lsl of the kernel code", lsl(SEL_KCODE));
  probe_print("lsl of the kernel data", lsl(SEL_KDATA));
  probe_print("lsl of the user data", lsl(SEL_UDATA));
  probe_print("lar of the user code", lar(SEL_UCODE));
  probe_print("lar of the kernel data", lar(SEL_KDATA));
  probe_print("lar of the kernel data, RPL 1", lar(SEL_KDATA | 1));
  probe_print("lar of the TSS", lar(SEL_TSS));
  probe_print("verw of the kernel data", verw(SEL_KDATA));
  probe_print("verw of the kernel code", verw(SEL_KCODE));
  probe_print("lsl of 0xFFE8 (past the GDT)", lsl(0xFFE8));
  exit_machine(0);
}
