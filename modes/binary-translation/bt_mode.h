// BtMode: `vmlab run --mode bt`, the software VMM of Adams & Agesen 2006: binary
// translation of the guest kernel, direct execution of user code, shadow paging
// (DESIGN.md, "The modes"; docs/modes/binary-translation.md).
//
// boot() loads the unmodified Multiboot guest behind a P2M that is not the identity (the
// monitor's reserve, with the translation cache, lies below the guest's frames), builds
// the BtMonitor and enters the translation of the guest's entry point in ring 1: the boot
// sequence of every deprivileged monitor (engine/vmm/kit/deprivileged_monitor.h).
#pragma once

#include <optional>
#include <vector>

#include "engine/vmm/kit/deprivileged_monitor.h"
#include "modes/binary-translation/bt_monitor.h"

namespace vmlab::modes::bt {

class BtMode : public vmm::DeprivilegedMode<BtMonitor> {
 public:
  // Shadow page tables, the shadow GDT, TSS and IDT, the translator's data and hash
  // table (0.5 MiB) and the translation cache (2 MiB).
  static constexpr uint32_t kReserveMib = 24;

  vmm::ModeId id() const override { return vmm::ModeId::bt; }
  std::string describe() const override {
    return "bt (binary translation of the guest kernel, direct user code, shadow paging)";
  }
  uint32_t reserve_mib() const override { return kReserveMib; }

  // Inspection (engine/vmm/core/inspection.h; bt_inspection.cpp): the guest's CPU with its own
  // CS while in the translation cache, and the translations.
  vmm::GuestCpuView guest_cpu(const vmm::Vm& vm) const override;
  // Its translations.
  std::vector<vmm::TranslationRow> translations(const vmm::Vm& vm) const override;
  std::optional<vmm::TranslationDetail> translation(vmm::Vm& vm, uint32_t guest) override;

  // Live migration's write tracking: the classic monitor's, whose shadow MMU bt shares
  // (engine/vmm/kit/shadow_dirty.cpp). Translated code stores through the shadow tables as
  // the guest's own code would, so its first write to a protected frame faults and is
  // logged; the stores the monitor makes for it (in-TC page-table writes, the SIMULATE
  // callout's emulated stores, the accessed and dirty bits of their walks) are its own
  // physical writes, which pre-copy takes from the engine log as it takes every monitor's.
  vmm::WriteTracker* write_tracker() override { return monitor_ ? &monitor_->shadow() : nullptr; }

  // Saved state (bt_state.cpp, docs/snapshots.md): the P2M's device frame and the monitor's
  // state, the translation cache's index included, so that a snapshot is loaded.
  bool can_save_monitor() const override { return true; }
  void save_monitor(const vmm::Vm& vm, cpu::ByteWriter& w) const override;
  machine::Result<void> load_monitor(vmm::Vm& vm, cpu::ByteReader& r) override;
};

// The detail of fragment `index` of `monitor`'s cache, live or just being dropped (its
// records and code still in place): what BtMode::translation returns for a live one, which
// bt_run_record.cpp also formats for a fragment the cache drops.
vmm::TranslationDetail fragment_detail(BtMonitor& monitor, uint32_t index);

}  // namespace vmlab::modes::bt
