#include "engine/vmm/core/vm.h"

#include <cerrno>

#include "engine/machine/multiboot_loader.h"
#include "engine/vmm/core/native_mode.h"

namespace vmlab::vmm {

machine::Result<std::unique_ptr<Vm>> Vm::create(VmConfig config) {
  if (!config.mode) config.mode = std::make_unique<NativeMode>();
  const uint32_t guest_mib = config.machine.memory_mib;
  if (auto ok = machine::PhysicalMemory::validate_size(guest_mib); !ok) return ok.error();
  config.machine.memory_mib = guest_mib + config.mode->reserve_mib();
  config.machine.monitor_reserve_mib = config.mode->reserve_mib();
  if (!config.mode->offers_local_apic()) config.machine.local_apic = false;
  auto m = machine::Machine::create(std::move(config.machine));
  if (!m) return m.error();
  return std::unique_ptr<Vm>(
      new Vm(std::move(config.mode), guest_mib, std::move(config.profile), std::move(m.value())));
}

Vm::Vm(std::unique_ptr<Mode> mode, uint32_t guest_mib, CostProfile profile,
       std::unique_ptr<machine::Machine> machine)
    : mode_(std::move(mode)),
      guest_mib_(guest_mib),
      profile_(std::move(profile)),
      machine_(std::move(machine)),
      recorder_(mode_->id(), machine_->cpu()),
      observer_(machine_->cpu(), recorder_) {
  machine_->cpu().set_class_costs(profile_.class_costs());
  machine_->cpu().set_identity(cpu::identity_for_profile(profile_.name()));
  recorder_.set_event_costs(profile_.event_costs());
  machine_->cpu().set_observer(&observer_);
  machine_->io_bus().set_observer(&observer_);
}

Vm::~Vm() {
  // The mode's monitor detaches itself from the processor: it must go while the machine
  // (and its processor) still exists, whatever the member order.
  mode_.reset();
  machine_->cpu().set_observer(nullptr);
  machine_->io_bus().set_observer(nullptr);
}

machine::Result<void> Vm::load_kernel(const std::string& path) {
  auto image = machine::MultibootLoader::read_kernel_file(path);
  if (!image) return image.error();
  return load_kernel_image(image.value(), path);
}

machine::Result<void> Vm::load_kernel_image(std::span<const uint8_t> image,
                                            const std::string& name) {
  return mode_->boot(*this, image, name);
}

machine::RunResult Vm::run() {
  state_.store(VmState::kRunning, std::memory_order_release);
  return record_stop(machine_->run());
}

}  // namespace vmlab::vmm
