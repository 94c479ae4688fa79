/* CPUID in a paravirtual guest (issue 12, item 15): the PV kernel runs in ring 1, where
 * CPUID is not privileged on the processor; the PV monitor turns on CPUID faulting and
 * answers for the virtual CPU, so the kernel sees the hypervisor bit (leaf 1, ECX bit 31),
 * leaf 40000000H with vmlab's signature, and no local APIC (leaf 1, EDX bit 9: the PV
 * guest's timer is an event channel). Prints the raw leaves; the console must be
 * expected.txt. Entry, note and linker script: ../pv_hostile. */

#include "../pv_hostile/pv_kernel.h"

extern u32 touch(u32 addr); /* (in start.S; unused here) */

static void show_leaf(u32 leaf) {
  u32 r[4] = {leaf, 0, 0, 0};
  __asm__ volatile("cpuid" : "+a"(r[0]), "=b"(r[1]), "+c"(r[2]), "=d"(r[3]));
  print("leaf ");
  print_hex(leaf);
  print(":");
  for (int i = 0; i < 4; ++i) {
    print(" ");
    print_hex(r[i]);
  }
  print("\n");
}

void kmain(u32 magic, const u32* start_info) {
  (void)magic;
  (void)start_info;
  print("vmlab pv cpuid kernel (ring 1)\n");
  show_leaf(0);
  show_leaf(1);
  show_leaf(0x40000000);
  shutdown(0);
}
