// CPUID as a virtual machine sees it, for the monitors that intercept it: the processor's
// own answer, with the "hypervisor present" bit (leaf 1, ECX bit 31) set, and the
// hypervisor leaf 40000000H, which reports the highest hypervisor leaf in EAX and a
// 12-character vendor signature in EBX, ECX, EDX, as KVM and Xen report theirs ("KVMKVMKVM",
// "XenVMMXenVMM"). The SDM leaves leaves 40000000H-4FFFFFFFH to software: no processor
// reports anything there (Vol. 2A, CPUID: "Invalid. No existing or future CPU will return
// processor identification or feature information if the initial EAX value is in the
// range 40000000H to 4FFFFFFFH"), so a guest that sees the bit and the signature knows it
// is virtualized and by whom.
//
// A monitor that does not virtualize PAE paging (shadow paging and direct paging: the
// kit's shadow MMU walks 32-bit tables only) offers a processor without PAE and XD: leaf 1
// EDX.PAE (bit 6) and leaf 80000001H EDX.NX (bit 20) are clear, as on a processor without
// them, and CR4.PAE and IA32_EFER are #GP(0) there (docs/modes/trap-and-emulate.md).
#pragma once

#include <array>
#include <cstdint>

#include "engine/cpu/cpu.h"

namespace vmlab::vmm {

inline constexpr uint32_t kHypervisorLeaf = 0x40000000u;
inline constexpr char kHypervisorSignature[13] = "vmlabvmlabvm";
inline constexpr uint32_t kHypervisorPresent = 1u << 31;  // CPUID.1:ECX
inline constexpr uint32_t kCpuidPae = 1u << 6;            // CPUID.1:EDX
inline constexpr uint32_t kCpuidNx = 1u << 20;            // CPUID.80000001H:EDX

// Whether the virtual processor has PAE paging (and XD where the part has it).
enum class GuestPae : bool { kAbsent, kPresent };

// {EAX, EBX, ECX, EDX} of CPUID leaf `leaf` in a virtual machine.
std::array<uint32_t, 4> virtual_cpuid(const cpu::Cpu& cpu, uint32_t leaf, GuestPae pae);

}  // namespace vmlab::vmm
