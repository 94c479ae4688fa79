// VtMode: `--mode trap --cpu vt` (the default CPU of trap), with shadow paging or, with
// `--npt`, nested paging. The guest OS boots unmodified through Multiboot into guest mode
// at ring 0; its RAM lies behind a P2M that is not the identity.
#pragma once

#include <memory>
#include <optional>

#include "engine/vmm/core/mode.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/kit/guest_dma.h"
#include "engine/vmm/kit/guest_memory.h"
#include "engine/vmm/kit/monitor_frames.h"
#include "engine/vmm/kit/shadow_mmu.h"
#include "modes/full-emulation/vt_monitor.h"
#include "modes/full-emulation/vt_setup.h"

namespace vmlab::modes {

class VtMode : public vmm::Mode {
 public:
  // The monitor's reserve: the nested table (1 + 32 frames for 128 MiB of guest RAM, more
  // for more) or the shadow page tables.
  static constexpr uint32_t kReserveMib = 8;

  explicit VtMode(VtPaging paging) : paging_(paging) {}
  ~VtMode() override;

  vmm::ModeId id() const override { return vmm::ModeId::trap; }
  std::string describe() const override {
    return paging_ == VtPaging::kNested ? "trap (VT CPU, nested paging)"
                                        : "trap (VT CPU, shadow paging)";
  }
  uint32_t reserve_mib() const override { return kReserveMib; }
  bool offers_local_apic() const override { return true; }
  machine::Result<void> boot(vmm::Vm& vm, std::span<const uint8_t> image,
                             const std::string& name) override;

  VtMonitor* monitor() { return monitor_.get(); }
  vmm::ShadowMmu* shadow() { return shadow_.get(); }
  const vmm::P2m* p2m() const { return p2m_ ? &*p2m_ : nullptr; }

  // Inspection (engine/vmm/core/inspection.h; trap_inspection.cpp).
  vmm::GuestCpuView guest_cpu(const vmm::Vm& vm) const override;
  const vmm::P2m* guest_p2m() const override { return p2m(); }
  vmm::RealPaging real_paging() const override {
    return paging_ == VtPaging::kNested ? vmm::RealPaging::kNested : vmm::RealPaging::kShadow;
  }

  // Live migration's write tracking: with shadow paging, the shadow MMU's write protection
  // (engine/vmm/kit/shadow_dirty.cpp); with nested paging, the nested entries'
  // (nested_dirty.h).
  vmm::WriteTracker* write_tracker() override {
    if (shadow_) return shadow_.get();
    return nested_tracker_.get();
  }

  // Saved state (vt_state.cpp, docs/snapshots.md): the P2M's device frame, the monitor's
  // frames, the virtual CPU, the shadow MMU (shadow paging) and the pending interrupts.
  bool can_save_monitor() const override { return true; }
  void save_monitor(const vmm::Vm& vm, cpu::ByteWriter& w) const override;
  machine::Result<void> load_monitor(vmm::Vm& vm, cpu::ByteReader& r) override;

 private:
  VtPaging paging_;
  std::optional<vmm::P2m> p2m_;
  std::unique_ptr<vmm::MonitorFrames> frames_;
  vmm::VirtualCpu vcpu_;
  std::unique_ptr<vmm::GuestMemory> memory_;
  std::unique_ptr<vmm::ShadowMmu> shadow_;
  std::unique_ptr<VtMonitor> monitor_;
  std::unique_ptr<NestedWriteTracker> nested_tracker_;
  // What the IDE bus master reaches (engine/vmm/kit/guest_dma.h).
  std::unique_ptr<vmm::GuestDma> dma_;
};

}  // namespace vmlab::modes
