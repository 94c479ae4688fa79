// TrapMode: `vmlab run --mode trap --cpu classic`, trap-and-emulate on a classic IA-32
// processor (DESIGN.md, "The modes"; docs/modes/trap-and-emulate.md).
//
// boot() loads the unmodified Multiboot guest into guest-physical memory behind a P2M
// that is not the identity (the monitor's reserve lies below the guest's frames), builds
// the ClassicMonitor and enters the guest's entry point in ring 1: the boot sequence of
// every deprivileged monitor (engine/vmm/kit/deprivileged_monitor.h, DeprivilegedMode).
#pragma once

#include "engine/vmm/kit/deprivileged_monitor.h"
#include "modes/full-emulation/classic_monitor.h"

namespace vmlab::modes {

class TrapMode : public vmm::DeprivilegedMode<ClassicMonitor> {
 public:
  // Shadow page tables, the shadow GDT, the monitor's TSS and IDT.
  static constexpr uint32_t kReserveMib = 16;

  vmm::ModeId id() const override { return vmm::ModeId::trap; }
  std::string describe() const override {
    return "trap (classic IA-32 CPU: ring compression, shadow paging)";
  }
  uint32_t reserve_mib() const override { return kReserveMib; }
  void explain_stop(const vmm::Vm& vm, machine::RunResult& result) const override {
    if (monitor_) monitor_->explain_stop(vm, result);
  }

  // Live migration's write tracking: the shadow MMU's write protection (shadow_dirty.cpp).
  vmm::WriteTracker* write_tracker() override { return monitor_ ? &monitor_->shadow() : nullptr; }

  // Saved state (trap_state.cpp, docs/snapshots.md): the deprivileged monitor's parts.
  bool can_save_monitor() const override { return true; }
  void save_monitor(const vmm::Vm& vm, cpu::ByteWriter& w) const override;
  machine::Result<void> load_monitor(vmm::Vm& vm, cpu::ByteReader& r) override;
};

}  // namespace vmlab::modes
