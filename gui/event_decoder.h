// EventDecoder: an event's payload in words a student reads at a glance: VM exit reasons
// by their SDM names, hypercalls by their PV ABI names (docs/pv-abi.md), ports by the
// device behind them, vectors by their mnemonics, BT callouts by the translator's names.
//
// The numbers come from the engine's own tables (engine/cpu/vmx.h, modes/paravirt/pv_abi.h,
// modes/binary-translation/classified_insn.h); only the words are here.
#pragma once

#include <QString>

#include "engine/vmm/core/event.h"

namespace vmlab::gui {

struct DecodeContext {
  // Under trap on the VT-like CPU a trap's first field is a VM exit reason; under every
  // other monitor it is the vector that trapped.
  bool vt_exits = false;
};

QString describe_payload(vmm::EventKind kind, const std::array<uint32_t, 4>& payload,
                         const DecodeContext& context);
// One line: "seq 12  cycle 3400  hypercall mmu_update(...)  charged 1000  eip 0x1234 cpl 1".
QString describe_event(const vmm::Event& event, const DecodeContext& context);

// The kind's name in trace files ("port_io").
QString kind_name(vmm::EventKind kind);
QString vmx_exit_reason_name(uint32_t reason);
QString hypercall_name(uint32_t number);
QString vector_name(uint32_t vector);
QString port_name(uint32_t port);
QString opcode_name(uint32_t opcode, uint32_t reg);

}  // namespace vmlab::gui
