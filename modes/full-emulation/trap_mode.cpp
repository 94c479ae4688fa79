#include "modes/full-emulation/trap_mode.h"

#include "engine/machine/multiboot_loader.h"
#include "engine/vmm/guest_loader.h"

namespace vmlab::modes {

machine::Result<ClassicMonitor*> TrapMode::attach(vmm::Vm& vm) {
  p2m_.emplace(vmm::P2m::from_mib(vm.guest_mib(), reserve_mib()));
  monitor_ = std::make_unique<ClassicMonitor>(vm, *p2m_);
  if (auto ok = monitor_->init(); !ok) return ok.error();
  return monitor_.get();
}

machine::Result<void> TrapMode::boot(vmm::Vm& vm, std::span<const uint8_t> image,
                                     const std::string& name) {
  auto monitor = attach(vm);
  if (!monitor) return monitor.error();
  auto info = vmm::load_multiboot_guest(vm, *p2m_, image, name);
  if (!info) return info.error();
  // The boot info's addresses are guest-physical, which is what the guest uses with its
  // paging off (the physical-mode shadow maps them to their machine frames).
  monitor.value()->start(info.value().entry, machine::MultibootLoader::kBootMagic,
                         info.value().info_addr);
  return {};
}

}  // namespace vmlab::modes
