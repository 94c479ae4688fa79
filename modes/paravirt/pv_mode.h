// PvMode: `--mode pv`, paravirtualization after Xen (Barham et al. 2003; DESIGN.md, "The
// modes"; docs/modes/paravirt.md).
//
// The guest kernel knows it is virtualized: it runs in ring 1, calls the monitor with
// hypercalls, keeps its interrupt flag in a shared page, and keeps machine frames in its
// page tables, which the monitor validates (direct paging). boot() is the domain builder
// (domain_builder.cpp); the monitor (PvMonitor) handles everything the processor hands it.
#pragma once

#include <memory>
#include <optional>

#include "engine/vmm/core/mode.h"
#include "engine/vmm/core/p2m.h"

namespace vmlab::modes::paravirt {

class PvMonitor;
class PvLogDirty;

class PvMode : public vmm::Mode {
 public:
  PvMode();
  ~PvMode() override;

  vmm::ModeId id() const override { return vmm::ModeId::pv; }
  std::string describe() const override;
  // The monitor's frames: its GDT, IDT, TSS and the page table of the hypervisor hole.
  uint32_t reserve_mib() const override { return 1; }
  machine::Result<void> boot(vmm::Vm& vm, std::span<const uint8_t> image,
                             const std::string& name) override;

  const PvMonitor* monitor() const { return monitor_.get(); }

  // Inspection (engine/vmm/core/inspection.h; pv_inspection.cpp).
  vmm::GuestCpuView guest_cpu(const vmm::Vm& vm) const override;
  const vmm::P2m* guest_p2m() const override { return p2m_ ? &*p2m_ : nullptr; }
  vmm::RealPaging real_paging() const override { return vmm::RealPaging::kDirect; }

  // Live migration's write tracking: the dirty bits of the validated page tables
  // (log_dirty.h), the PV monitor's own log-dirty mode.
  vmm::WriteTracker* write_tracker() override;

  // Saved state (pv_state.cpp, docs/snapshots.md): page types, trap table, callbacks,
  // event channel timer, console and block ring positions and counters.
  bool can_save_monitor() const override { return true; }
  void save_monitor(const vmm::Vm& vm, cpu::ByteWriter& w) const override;
  machine::Result<void> load_monitor(vmm::Vm& vm, cpu::ByteReader& r) override;

 private:
  std::optional<vmm::P2m> p2m_;
  std::unique_ptr<PvMonitor> monitor_;
  std::unique_ptr<PvLogDirty> log_dirty_;
};

}  // namespace vmlab::modes::paravirt
