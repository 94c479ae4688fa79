#include "modes/binary-translation/bt_mode.h"

#include "engine/machine/multiboot_loader.h"
#include "engine/vmm/guest_loader.h"

namespace vmlab::modes::bt {

machine::Result<BtMonitor*> BtMode::attach(vmm::Vm& vm) {
  p2m_.emplace(vmm::P2m::from_mib(vm.guest_mib(), reserve_mib()));
  monitor_ = std::make_unique<BtMonitor>(vm, *p2m_);
  if (auto ok = monitor_->init(); !ok) return ok.error();
  return monitor_.get();
}

machine::Result<void> BtMode::boot(vmm::Vm& vm, std::span<const uint8_t> image,
                                   const std::string& name) {
  auto monitor = attach(vm);
  if (!monitor) return monitor.error();
  auto info = vmm::load_multiboot_guest(vm, *p2m_, image, name);
  if (!info) return info.error();
  monitor.value()->start(info.value().entry, machine::MultibootLoader::kBootMagic,
                         info.value().info_addr);
  return {};
}

}  // namespace vmlab::modes::bt
