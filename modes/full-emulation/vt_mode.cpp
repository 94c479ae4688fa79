#include "modes/full-emulation/vt_mode.h"

#include "engine/machine/multiboot_loader.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/guest_apic.h"
#include "engine/vmm/kit/guest_loader.h"
#include "engine/vmm/kit/quiet_hardware.h"

namespace vmlab::modes {

VtMode::~VtMode() = default;

machine::Result<void> VtMode::boot(vmm::Vm& vm, std::span<const uint8_t> image,
                                   const std::string& name) {
  cpu::Cpu& cpu = vm.machine().cpu();
  p2m_.emplace(vmm::P2m::from_mib(vm.guest_mib(), kReserveMib));
  // The APIC-access page: the guest's APIC page on the machine page of the same address
  // (the nested table maps every address above the machine's RAM so already).
  p2m_->set_device_frame(vmm::kApicPage / vmm::P2m::kPageSize);
  const uint32_t reserved = p2m_->reserved_frames();
  auto info = vmm::load_multiboot_guest(
      vm, *p2m_, image, name,
      paging_ == VtPaging::kNested ? vmm::GuestPae::kPresent : vmm::GuestPae::kAbsent);
  if (!info) return info.error();
  frames_ = std::make_unique<vmm::MonitorFrames>(cpu, 0, reserved);

  // The Multiboot entry state, in guest mode: the addresses in it are guest-physical.
  cpu.reset_multiboot(info.value().entry, machine::MultibootLoader::kBootMagic,
                      info.value().info_addr);
  configure_vt_controls(cpu.vm_controls(), paging_);
  vcpu_ = vmm::VirtualCpu{};
  vcpu_.cr0 = cpu.state().cr0;
  memory_ = std::make_unique<vmm::GuestMemory>(cpu, *p2m_, vcpu_);
  // The monitor's accesses outside the guest's RAM (INS/OUTS elements) reach the devices.
  memory_->set_device_bus(&vm.machine());

  if (paging_ == VtPaging::kNested) {
    // With nested paging the guest's own paging-off accesses go through the nested table:
    // no shadow at all, not even at boot.
    cpu.vm_controls().nested_root = build_nested_table(cpu, *p2m_, *frames_);
  } else {
    // Shadow paging: the real CR3 holds the physical-mode shadow until the guest turns
    // paging on; the real CR0.PG and WP are on from the start, the guest reads its own.
    // The guest runs in guest mode, so the monitor needs no hole in its address space: the
    // shadow covers all 4 GiB (no hole page table).
    shadow_ =
        std::make_unique<vmm::ShadowMmu>(cpu, vm.recorder(), *p2m_, *frames_, *memory_, vcpu_, 0);
    cpu.vm_controls().cr0_shadow = vcpu_.cr0;
    cpu.vm_controls().cr4_shadow = vcpu_.cr4;
    shadow_->activate();
    vmm::QuietHardware quiet(cpu);
    cpu.write_cr0(vcpu_.cr0 | cpu::cr0::PG | cpu::cr0::WP);
  }
  monitor_ = std::make_unique<VtMonitor>(vm, paging_, shadow_.get(),
                                         paging_ == VtPaging::kShadow ? &vcpu_ : nullptr, *memory_);
  monitor_->follow_apic_with(&*p2m_);
  if (shadow_) shadow_->set_fault_entry_extra(monitor_->exit_overhead());
  if (paging_ == VtPaging::kNested) {
    monitor_->mirror_guest_paging_into(&vcpu_);
    nested_tracker_ = std::make_unique<NestedWriteTracker>(cpu, vm.recorder(), *p2m_);
    monitor_->track_writes_with(nested_tracker_.get());
  }
  dma_ = std::make_unique<vmm::GuestDma>(cpu, *p2m_, shadow_.get());
  vm.machine().set_dma_memory(dma_.get());
  cpu.set_vmx_monitor(monitor_.get());
  cpu.enter_guest_mode();
  return {};
}

}  // namespace vmlab::modes
