#include "engine/vmm/kit/virtual_cpuid.h"

namespace vmlab::vmm {

namespace {

uint32_t fourcc(const char* s) {
  return uint32_t{static_cast<uint8_t>(s[0])} | uint32_t{static_cast<uint8_t>(s[1])} << 8 |
         uint32_t{static_cast<uint8_t>(s[2])} << 16 | uint32_t{static_cast<uint8_t>(s[3])} << 24;
}

}  // namespace

std::array<uint32_t, 4> virtual_cpuid(const cpu::Cpu& cpu, uint32_t leaf, GuestPae pae) {
  if (leaf == kHypervisorLeaf) {
    // EAX: the highest hypervisor leaf, this one; the signature in EBX, ECX, EDX order.
    return {kHypervisorLeaf, fourcc(kHypervisorSignature), fourcc(kHypervisorSignature + 4),
            fourcc(kHypervisorSignature + 8)};
  }
  auto r = cpu.cpuid(leaf);
  // Leaf 1, and every leaf above the processor's highest basic leaf (outside the extended
  // leaves it has), which returns the data of that leaf (here leaf 1).
  const uint32_t max_basic = cpu.cpuid(0)[0];
  const uint32_t max_extended = cpu.cpuid(0x80000000u)[0];
  const bool extended = leaf >= 0x80000000u && leaf <= max_extended;
  const bool leaf1_data = leaf != 0 && !extended && (leaf == 1 || leaf > max_basic);
  if (leaf1_data) r[2] |= kHypervisorPresent;
  if (pae == GuestPae::kAbsent) {
    if (leaf1_data) r[3] &= ~kCpuidPae;
    if (extended && leaf == 0x80000001u) r[3] &= ~kCpuidNx;
  }
  return r;
}

}  // namespace vmlab::vmm
