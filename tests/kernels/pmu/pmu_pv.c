/* The performance-monitoring MSRs and RDPMC in a paravirtual guest (see pmu.c): the PV
 * kernel runs in ring 1, where RDMSR, WRMSR and RDPMC (CR4.PCE clear) are privileged; the
 * processor's #GP reaches the monitor, which reflects it to the guest's trap table as for
 * any privileged instruction it does not emulate. Each attempt prints the vector the
 * guest's handler saw (0: none). Entry, note and linker script: ../pv_hostile. */

#include "../pv_hostile/pv_kernel.h"

/* try(kind, index): RDMSR (0), WRMSR (1) or RDPMC (2) of `index`; returns the vector of the
 * fault the guest's handler took, 0 for none. The #GP handler (gp_entry, named in the trap
 * table) drops the error code and resumes at try_resume with the vector in gp_vector. */
u32 gp_vector;
u32 try_insn(u32 kind, u32 index);
void gp_entry(void);
__asm__(
    ".text\n"
    ".global try_insn, gp_entry\n"
    "try_insn:\n"
    "  push %ebx\n"
    "  movl $0, gp_vector\n"
    "  mov 8(%esp), %ebx\n"
    "  mov 12(%esp), %ecx\n"
    "  xor %eax, %eax\n"
    "  xor %edx, %edx\n"
    "  cmp $1, %ebx\n"
    "  je 1f\n"
    "  ja 2f\n"
    "  rdmsr\n"
    "  jmp try_resume\n"
    "1: wrmsr\n"
    "  jmp try_resume\n"
    "2: rdpmc\n"
    "try_resume:\n"
    "  mov gp_vector, %eax\n"
    "  pop %ebx\n"
    "  ret\n"
    "gp_entry:\n"
    "  add $4, %esp\n"
    "  movl $try_resume, (%esp)\n"
    "  movl $13, gp_vector\n"
    "  iret\n");

void kmain(u32 magic, const u32* start_info) {
  (void)start_info;
  if (magic != 0x564D4C50u) {
    for (;;) __asm__ volatile("hlt"); /* not booted by --mode pv */
  }
  static unsigned char traps[2 * 8];
  const u32 gp = (u32)gp_entry;
  const unsigned char entry[8] = {13,
                                  0,
                                  0x09,
                                  0,
                                  (unsigned char)gp,
                                  (unsigned char)(gp >> 8),
                                  (unsigned char)(gp >> 16),
                                  (unsigned char)(gp >> 24)};
  for (int i = 0; i < 8; ++i) traps[i] = entry[i];
  if (hypercall(SET_TRAP_TABLE, (u32)traps, 0, 0) != 0) shutdown(9);
  print("vmlab pv pmu kernel (ring 1)\n");
  static const u32 msrs[] = {0xC1, 0xC2, 0x186, 0x187, 0x309, 0x38D, 0x38F};
  for (u32 i = 0; i < sizeof msrs / sizeof msrs[0]; ++i) {
    print("msr ");
    print_hex(msrs[i]);
    print(": rdmsr vector ");
    print_hex(try_insn(0, msrs[i]));
    print(", wrmsr vector ");
    print_hex(try_insn(1, msrs[i]));
    print("\n");
  }
  print("rdpmc 0: vector ");
  print_hex(try_insn(2, 0));
  print("\n");
  shutdown(0);
}
