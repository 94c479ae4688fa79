// BtMode: `vmlab run --mode bt`, the software VMM of Adams & Agesen 2006: binary
// translation of the guest kernel, direct execution of user code, shadow paging
// (DESIGN.md, "The modes"; docs/modes/binary-translation.md).
//
// boot() loads the unmodified Multiboot guest behind a P2M that is not the identity (the
// monitor's reserve, with the translation cache, lies below the guest's frames), builds
// the BtMonitor and enters the translation of the guest's entry point in ring 1.
#pragma once

#include <memory>
#include <optional>

#include "engine/vmm/mode.h"
#include "engine/vmm/p2m.h"
#include "modes/binary-translation/bt_monitor.h"

namespace vmlab::modes::bt {

class BtMode : public vmm::Mode {
 public:
  // Shadow page tables, the shadow GDT, TSS and IDT, the translator's data and hash
  // table (0.5 MiB) and the translation cache (2 MiB).
  static constexpr uint32_t kReserveMib = 24;

  vmm::ModeId id() const override { return vmm::ModeId::bt; }
  std::string describe() const override {
    return "bt (binary translation of the guest kernel, direct user code, shadow paging)";
  }
  uint32_t reserve_mib() const override { return kReserveMib; }
  // The local APIC, emulated at its page in the hypervisor hole (engine/vmm/guest_apic.h).
  bool offers_local_apic() const override { return true; }
  machine::Result<void> boot(vmm::Vm& vm, std::span<const uint8_t> image,
                             const std::string& name) override;

  // Builds the monitor for `vm` without loading anything (boot() uses it; tests place
  // their own code in guest memory and call BtMonitor::start).
  machine::Result<BtMonitor*> attach(vmm::Vm& vm);
  BtMonitor* monitor() { return monitor_.get(); }

  // Inspection (engine/vmm/inspection.h; bt_inspection.cpp).
  vmm::GuestCpuView guest_cpu(const vmm::Vm& vm) const override;
  const vmm::P2m* guest_p2m() const override;
  vmm::RealPaging real_paging() const override { return vmm::RealPaging::kShadow; }
  std::vector<vmm::TranslationRow> translations(const vmm::Vm& vm) const override;
  std::optional<vmm::TranslationDetail> translation(vmm::Vm& vm, uint32_t guest) override;

 private:
  std::optional<vmm::P2m> p2m_;
  std::unique_ptr<BtMonitor> monitor_;
};

}  // namespace vmlab::modes::bt
