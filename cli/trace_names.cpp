#include "cli/trace_names.h"

#include <string>

#include "engine/vmm/core/event_names.h"
#include "modes/paravirt/pv_abi.h"

namespace vmlab::cli {

namespace {

// Xen's __HYPERVISOR_* names.
const char* hypercall_name(uint32_t number) {
  namespace abi = modes::paravirt::abi;
  switch (number) {
    case abi::kSetTrapTable: return "set_trap_table";
    case abi::kMmuUpdate: return "mmu_update";
    case abi::kStackSwitch: return "stack_switch";
    case abi::kSetCallbacks: return "set_callbacks";
    case abi::kUpdateVaMapping: return "update_va_mapping";
    case abi::kSetTimerOp: return "set_timer_op";
    case abi::kXenVersion: return "xen_version";
    case abi::kConsoleIo: return "console_io";
    case abi::kMmuextOp: return "mmuext_op";
    case abi::kSchedOp: return "sched_op";
    case abi::kEventChannelOp: return "event_channel_op";
    case abi::kPhysdevOp: return "physdev_op";
    default: return nullptr;
  }
}

}  // namespace

vmm::EventNamer trace_namer(const RunOptions& o) {
  // A trap under the VT CPU is a VM exit (payload a = the basic exit reason); in the other
  // modes it is a vector (docs/trace-format.md).
  const bool vt_exits = o.mode == "trap" && o.mode_options.cpu != vmm::ModeOptions::Cpu::kClassic;
  return [vt_exits](const vmm::Event& e) -> std::optional<vmm::PayloadName> {
    const uint32_t a = e.payload[0];
    const char* name = nullptr;
    const char* key = nullptr;
    switch (e.kind) {
      case vmm::EventKind::trap:
        name = vt_exits ? vmm::vmx_exit_reason_name(a) : vmm::exception_vector_name(a);
        key = vt_exits ? "exit_reason" : "vector_name";
        if (!vt_exits && !name && a >= 32) {
          return vmm::PayloadName{key, "interrupt " + std::to_string(a)};
        }
        break;
      case vmm::EventKind::exception:
        name = vmm::exception_vector_name(a);
        key = "vector_name";
        break;
      case vmm::EventKind::hypercall:
        name = hypercall_name(a);
        key = "hypercall";
        break;
      default: break;
    }
    if (!name) return std::nullopt;
    return vmm::PayloadName{key, name};
  };
}

}  // namespace vmlab::cli
