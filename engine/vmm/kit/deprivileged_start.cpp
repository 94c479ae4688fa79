#include "engine/vmm/kit/deprivileged_start.h"

namespace vmlab::vmm {

void start_deprivileged(cpu::Cpu& cpu, DeprivilegedSegments& segments, ShadowMmu& shadow,
                        cpu::Monitor& monitor, uint32_t entry, uint32_t eax, uint32_t ebx) {
  cpu.reset_multiboot(entry, eax, ebx);
  segments.enter_boot_state();
  cpu::CpuState& s = cpu.state();
  s.cr0 = cpu::cr0::PE | cpu::cr0::ET | cpu::cr0::NE | cpu::cr0::WP | cpu::cr0::PG;
  s.cr4 = 0;
  cpu.set_eflags(cpu::flags::kReserved1 | cpu::flags::IF);
  shadow.activate();
  // CPUID faulting on (engine/cpu/cpu_state.h): CPUID outside real ring 0, the guest
  // kernel's included, traps to the monitor, which answers with the virtual CPU's view
  // (PrivilegedEmulator::cpuid). The guest's own MSR_MISC_FEATURES_ENABLES is virtual.
  cpu.state().misc_features_enables = cpu::msr::kCpuidFaultingEnable;
  cpu.set_monitor(&monitor);
}

}  // namespace vmlab::vmm
