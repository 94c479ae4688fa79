#include "engine/cpu/descriptor_probe.h"

#include "engine/cpu/descriptor.h"

namespace vmlab::cpu {

std::optional<uint32_t> probe_descriptor(DescriptorProbe op, uint16_t sel,
                                         std::optional<uint64_t> raw, uint8_t cpl) {
  if (!raw) return std::nullopt;
  const Descriptor d{*raw};
  // Code and data segments other than conforming code, and system descriptors, must have
  // DPL >= max(CPL, RPL).
  const uint8_t rpl = sel & 3;
  if ((!d.s() || !d.conforming()) && (d.dpl() < cpl || d.dpl() < rpl)) return std::nullopt;
  switch (op) {
    case DescriptorProbe::kLar:
      // System types with access rights: TSSs, LDT, call and task gates (not interrupt or
      // trap gates).
      if (!d.s()) {
        switch (d.type()) {
          case sys_type::kTss16Available:
          case sys_type::kLdt:
          case sys_type::kTss16Busy:
          case sys_type::kCallGate16:
          case sys_type::kTaskGate:
          case sys_type::kTss32Available:
          case sys_type::kTss32Busy:
          case sys_type::kCallGate32: break;
          default: return std::nullopt;
        }
      }
      return d.hi() & 0x00F0FF00u;
    case DescriptorProbe::kLsl:
      // Only segments have limits: code, data, TSS and LDT descriptors.
      if (!d.s()) {
        const uint8_t t = d.type();
        if (t != sys_type::kTss16Available && t != sys_type::kLdt && t != sys_type::kTss16Busy &&
            t != sys_type::kTss32Available && t != sys_type::kTss32Busy) {
          return std::nullopt;
        }
      }
      return d.limit();
    case DescriptorProbe::kVerr:
      if (!d.s() || !d.readable()) return std::nullopt;
      return 0;
    case DescriptorProbe::kVerw:
      if (!d.s() || !d.writable()) return std::nullopt;
      return 0;
  }
  return std::nullopt;
}

}  // namespace vmlab::cpu
