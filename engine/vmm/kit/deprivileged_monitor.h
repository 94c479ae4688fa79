// DeprivilegedMonitor: the part that the monitors of a deprivileged guest kernel share
// (trap-and-emulate on the classic CPU, modes/full-emulation/classic_monitor.h; binary
// translation, modes/binary-translation/bt_monitor.h).
//
// Both run the unmodified guest kernel in ring 1 (ring compression) under shadow paging,
// and both take every exception and interrupt first (cpu::Monitor). What they share is
// owned here, once: the virtual CPU (what the guest believes), the monitor's frames, guest
// memory through the guest's page tables, the shadow GDT and TSS (DeprivilegedSegments),
// the shadow MMU, the event injector that delivers through the guest's IDT, and the
// privileged-instruction emulator; their construction and init(), the Multiboot entry
// (start), the detach on destruction, and the two ends of every monitor entry: the trap
// recorded on the way in (record_trap) and the pending interrupt injected on the way out
// (inject_pending). Each monitor keeps only its own dispatch (on_interrupt).
//
// DeprivilegedMode<M> is the boot sequence of the modes built on such a monitor: a P2M
// with the monitor's reserve below the guest's frames, the monitor, the Multiboot guest
// loaded behind it, and the entry in ring 1.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "engine/cpu/monitor.h"
#include "engine/machine/multiboot_loader.h"
#include "engine/machine/result.h"
#include "engine/vmm/core/inspection.h"
#include "engine/vmm/core/mode.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/deprivileged_segments.h"
#include "engine/vmm/kit/guest_dma.h"
#include "engine/vmm/kit/guest_event_injector.h"
#include "engine/vmm/kit/guest_loader.h"
#include "engine/vmm/kit/guest_memory.h"
#include "engine/vmm/kit/monitor_frames.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {

class DeprivilegedMonitor : public cpu::Monitor {
 public:
  ~DeprivilegedMonitor() override;
  DeprivilegedMonitor(const DeprivilegedMonitor&) = delete;
  DeprivilegedMonitor& operator=(const DeprivilegedMonitor&) = delete;

  // Builds the monitor's structures in its reserve: the shadow GDT, TSS and the hole's
  // page table, the shadow MMU (which the shadow GDT then follows) and the emulator. A
  // monitor that adds structures of its own extends it.
  virtual machine::Result<void> init();
  // Enters the guest at guest-physical `entry` in the Multiboot state (EAX, EBX), but in
  // ring 1 on the monitor's GDT, with paging on in the real CR0 (the physical-mode
  // shadow), and attaches the monitor to the processor (deprivileged_start.h).
  virtual void start(uint32_t entry, uint32_t eax, uint32_t ebx);

  // cpu::Monitor: open while the guest could take an interrupt (in ring 3, or with its
  // virtual IF set).
  bool interrupt_window_open() override { return injector_.can_take_interrupt(); }

  // What the guest believes, and the parts, for tests and the GUI.
  VirtualCpu& vcpu() { return vcpu_; }
  ShadowMmu& shadow() { return *shadow_; }
  GuestMemory& memory() { return memory_; }
  DeprivilegedSegments& segments() { return segments_; }
  const P2m& p2m() const { return p2m_; }

  // Saved state (kit_state.cpp, docs/snapshots.md): the virtual CPU, the monitor frames,
  // the shadow segments and descriptor-table tracing, the shadow MMU. A mode whose monitor
  // keeps more (bt's translation cache) must save that too before it can say it saves.
  void save_state(cpu::ByteWriter& w) const;
  void load_state(cpu::ByteReader& r);

 protected:
  DeprivilegedMonitor(Vm& vm, const P2m& p2m);

  // The entry of a monitor entry that is a trap (not a deliberate call such as bt's
  // callouts): the `trap` event.
  void record_trap(uint8_t vector, bool has_error_code, uint32_t error_code);
  // The exit, on the way back to the guest: an interrupt that waited for the virtual IF
  // goes in now if the guest can take it (after STI, an IRET that set IF, or from ring 3).
  void inject_pending() { injector_.inject_pending(); }
  // A #PF at real linear `linear`: when it is the processor's write of a descriptor's
  // accessed bit into the shadow GDT or LDT (DeprivilegedSegments::accessed_write), the
  // guest's descriptor gets the bit and the load restarts (kMarked), or the guest gets the
  // #PF its own table's mapping gives natively (kGuestFault: `before_reflect` runs first);
  // false when the fault is something else.
  template <typename BeforeReflect>
  bool accessed_bit_fault(uint32_t linear, uint32_t error_code, BeforeReflect before_reflect) {
    using Kind = DeprivilegedSegments::AccessedMark::Kind;
    if (linear < hole::kBase) return false;
    const auto mark = segments_.accessed_write(linear, error_code);
    if (mark.kind == Kind::kNotTable) return false;
    if (mark.kind == Kind::kGuestFault) {
      before_reflect();
      vcpu_.cr2 = mark.cr2;
      injector_.reflect_exception(cpu::vec::PF, true, mark.error_code);
    }
    return true;
  }

  Vm& vm_;
  cpu::Cpu& cpu_;
  const P2m& p2m_;
  VirtualCpu vcpu_;
  MonitorFrames frames_;
  GuestMemory memory_;
  DeprivilegedSegments segments_;
  std::unique_ptr<ShadowMmu> shadow_;
  // What the IDE bus master reaches: guest RAM through the P2M, traced pages through the
  // shadow MMU (guest_dma.h).
  std::unique_ptr<GuestDma> dma_;
  GuestEventInjector injector_;
  std::unique_ptr<PrivilegedEmulator> emulator_;
};

// The boot sequence of a mode whose monitor `M` (a DeprivilegedMonitor) runs an
// unmodified Multiboot guest: `reserve_mib` of monitor memory below the guest's frames.
template <class M>
class DeprivilegedMode : public Mode {
 public:
  // The local APIC, emulated at its page in the hypervisor hole (guest_apic.h).
  bool offers_local_apic() const override { return true; }
  // Inspection (inspection.h): the virtual CPU of ring compression, the P2M, the shadow.
  GuestCpuView guest_cpu(const Vm& vm) const override {
    if (!monitor_) return Mode::guest_cpu(vm);
    return ring_compressed_view(vm, monitor_->vcpu());
  }
  const P2m* guest_p2m() const override { return p2m_ ? &*p2m_ : nullptr; }
  RealPaging real_paging() const override { return RealPaging::kShadow; }

  // Builds the monitor for `vm` without loading anything (boot() uses it; tests place
  // their own code in guest memory and call the monitor's start).
  machine::Result<M*> attach(Vm& vm) {
    p2m_.emplace(P2m::from_mib(vm.guest_mib(), reserve_mib()));
    monitor_ = std::make_unique<M>(vm, *p2m_);
    if (auto ok = monitor_->init(); !ok) return ok.error();
    return monitor_.get();
  }
  M* monitor() { return monitor_.get(); }

  machine::Result<void> boot(Vm& vm, std::span<const uint8_t> image,
                             const std::string& name) override {
    auto monitor = attach(vm);
    if (!monitor) return monitor.error();
    auto info = load_multiboot_guest(vm, *p2m_, image, name, GuestPae::kAbsent);
    if (!info) return info.error();
    // The boot info's addresses are guest-physical, which is what the guest uses with its
    // paging off (the physical-mode shadow maps them to their machine frames).
    monitor.value()->start(info.value().entry, machine::MultibootLoader::kBootMagic,
                           info.value().info_addr);
    return {};
  }

 protected:
  std::optional<P2m> p2m_;
  std::unique_ptr<M> monitor_;
};

}  // namespace vmlab::vmm
