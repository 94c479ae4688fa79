// TrapMode: `vmlab run --mode trap --cpu classic`, trap-and-emulate on a classic IA-32
// processor (DESIGN.md, "The modes"; docs/modes/trap-and-emulate.md).
//
// boot() loads the unmodified Multiboot guest into guest-physical memory behind a P2M
// that is not the identity (the monitor's reserve lies below the guest's frames), builds
// the ClassicMonitor and enters the guest's entry point in ring 1.
#pragma once

#include <memory>
#include <optional>

#include "engine/vmm/mode.h"
#include "engine/vmm/p2m.h"
#include "modes/full-emulation/classic_monitor.h"

namespace vmlab::modes {

class TrapMode : public vmm::Mode {
 public:
  // Shadow page tables, the shadow GDT, the monitor's TSS and IDT.
  static constexpr uint32_t kReserveMib = 16;

  vmm::ModeId id() const override { return vmm::ModeId::trap; }
  std::string describe() const override {
    return "trap (classic IA-32 CPU: ring compression, shadow paging)";
  }
  uint32_t reserve_mib() const override { return kReserveMib; }
  // The local APIC, emulated at its page in the hypervisor hole (engine/vmm/guest_apic.h).
  bool offers_local_apic() const override { return true; }
  void explain_stop(const vmm::Vm& vm, machine::RunResult& result) const override {
    if (monitor_) monitor_->explain_stop(vm, result);
  }
  machine::Result<void> boot(vmm::Vm& vm, std::span<const uint8_t> image,
                             const std::string& name) override;

  // Builds the monitor for `vm` without loading anything (boot() uses it; tests place
  // their own code in guest memory and call ClassicMonitor::start).
  machine::Result<ClassicMonitor*> attach(vmm::Vm& vm);
  ClassicMonitor* monitor() { return monitor_.get(); }

  // Inspection (engine/vmm/inspection.h; trap_inspection.cpp).
  vmm::GuestCpuView guest_cpu(const vmm::Vm& vm) const override;
  const vmm::P2m* guest_p2m() const override { return p2m_ ? &*p2m_ : nullptr; }
  vmm::RealPaging real_paging() const override { return vmm::RealPaging::kShadow; }

 private:
  std::optional<vmm::P2m> p2m_;
  std::unique_ptr<ClassicMonitor> monitor_;
};

}  // namespace vmlab::modes
