#include "engine/vmm/vm.h"

#include <cerrno>

namespace vmlab::vmm {

machine::Result<std::unique_ptr<Vm>> Vm::create(VmConfig config) {
  if (!mode_implemented(config.mode)) {
    return machine::Error{
        "mode '" + std::string(mode_name(config.mode)) + "' is not implemented yet", ENOSYS};
  }
  auto m = machine::Machine::create(std::move(config.machine));
  if (!m) return m.error();
  return std::unique_ptr<Vm>(new Vm(config.mode, std::move(config.profile), std::move(m.value())));
}

Vm::Vm(ModeId mode, CostProfile profile, std::unique_ptr<machine::Machine> machine)
    : mode_(mode),
      profile_(std::move(profile)),
      machine_(std::move(machine)),
      recorder_(mode_, machine_->cpu()),
      observer_(machine_->cpu(), recorder_) {
  machine_->cpu().set_class_costs(profile_.class_costs());
  recorder_.set_event_costs(profile_.event_costs());
  machine_->cpu().set_observer(&observer_);
  machine_->io_bus().set_observer(&observer_);
}

Vm::~Vm() {
  machine_->cpu().set_observer(nullptr);
  machine_->io_bus().set_observer(nullptr);
}

machine::Result<void> Vm::load_kernel(const std::string& path) {
  return machine_->load_kernel(path);
}

machine::Result<void> Vm::load_kernel_image(std::span<const uint8_t> image,
                                            const std::string& name) {
  return machine_->load_kernel_image(image, name);
}

machine::RunResult Vm::run() {
  machine::RunResult r = machine_->run();
  auto& cpu = machine_->cpu();
  recorder_.record_at(
      EventKind::machine_stop, cpu.state().eip, cpu.state().cpl,
      {static_cast<uint32_t>(r.reason), r.exit_value.value_or(0), r.exit_value ? 1u : 0u, 0});
  // The stop's own charge (normally none) belongs to the run's modeled time.
  r.cycles = cpu.cycles();
  return r;
}

}  // namespace vmlab::vmm
