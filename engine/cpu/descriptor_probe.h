// LAR, LSL, VERR and VERW on a descriptor already read (SDM Vol. 2A/2B, each instruction):
// the one semantics of the processor's (exec_segment.cpp) and of a monitor's emulation of
// them on the guest's own tables (engine/vmm/kit/emulate_system.cpp, where the shadow
// descriptors the processor would read show DPL 1 and limits cut at the hypervisor hole).
#pragma once

#include <cstdint>
#include <optional>

namespace vmlab::cpu {

enum class DescriptorProbe : uint8_t { kLar, kLsl, kVerr, kVerw };

// What `op` gives for selector `sel` at privilege `cpl`, `raw` being the descriptor it names
// (nullopt: a null selector or one past its table's limit): with ZF set, LAR's access rights
// (the high dword masked with 0x00F0FF00), LSL's byte-granular limit, 0 for VERR and VERW;
// nothing when ZF is cleared (a selector that may not be examined from `cpl` with its RPL, a
// type the instruction does not accept). None of them faults on the descriptor.
std::optional<uint32_t> probe_descriptor(DescriptorProbe op, uint16_t sel,
                                         std::optional<uint64_t> raw, uint8_t cpl);

}  // namespace vmlab::cpu
