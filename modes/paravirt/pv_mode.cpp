#include "modes/paravirt/pv_mode.h"

#include "engine/vmm/core/vm.h"
#include "modes/paravirt/domain_builder.h"
#include "modes/paravirt/log_dirty.h"
#include "modes/paravirt/pv_abi.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {

PvMode::PvMode() = default;
PvMode::~PvMode() = default;

std::string PvMode::describe() const {
  return "pv (paravirtualized guest in ring 1: hypercalls, direct paging, event channels, "
         "PV ABI " +
         std::to_string(abi::kAbiVersion) + ")";
}

machine::Result<void> PvMode::boot(vmm::Vm& vm, std::span<const uint8_t> image,
                                   const std::string& name) {
  p2m_.emplace(vmm::P2m::from_mib(vm.guest_mib(), reserve_mib()));
  monitor_ = std::make_unique<PvMonitor>(vm, *p2m_);
  return build_domain(vm, *p2m_, *monitor_, image, name);
}

vmm::WriteTracker* PvMode::write_tracker() {
  if (!monitor_) return nullptr;
  if (!log_dirty_) log_dirty_ = std::make_unique<PvLogDirty>(*monitor_);
  return log_dirty_.get();
}

}  // namespace vmlab::modes::paravirt
