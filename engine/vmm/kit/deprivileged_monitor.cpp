#include "engine/vmm/kit/deprivileged_monitor.h"

#include "engine/vmm/kit/deprivileged_start.h"

namespace vmlab::vmm {

DeprivilegedMonitor::DeprivilegedMonitor(Vm& vm, const P2m& p2m)
    : vm_(vm),
      cpu_(vm.machine().cpu()),
      p2m_(p2m),
      // Machine frame 0 stays unused, so that a machine address of 0 is never a monitor
      // structure by accident.
      frames_(cpu_, 1, p2m.reserved_frames()),
      memory_(cpu_, p2m_, vcpu_),
      segments_(cpu_, frames_),
      injector_(cpu_, vm.recorder(), vcpu_, memory_, segments_) {
  // The monitor's accesses outside the guest's RAM (INS/OUTS elements) reach the devices.
  memory_.set_device_bus(&vm.machine());
}

DeprivilegedMonitor::~DeprivilegedMonitor() {
  if (cpu_.monitor() == this) cpu_.set_monitor(nullptr);
  if (dma_) vm_.machine().set_dma_memory(nullptr);
}

machine::Result<void> DeprivilegedMonitor::init() {
  if (auto ok = segments_.init(); !ok) return ok;
  shadow_ = std::make_unique<ShadowMmu>(cpu_, vm_.recorder(), p2m_, frames_, memory_, vcpu_,
                                        segments_.hole_pt_mfn());
  segments_.attach(*shadow_, memory_, vcpu_);  // the shadow GDT follows the guest's writes
  dma_ = std::make_unique<GuestDma>(cpu_, p2m_, shadow_.get());
  vm_.machine().set_dma_memory(dma_.get());
  emulator_ = std::make_unique<PrivilegedEmulator>(PrivilegedEmulator::Context{
      cpu_, vm_.machine(), vm_.recorder(), vcpu_, memory_, *shadow_, &segments_});
  // Events through the guest's task gates switch tasks (emulate_guest_task_switch.cpp).
  injector_.set_task_gate_switch([this](uint16_t tss_selector, bool has_error_code,
                                        uint32_t error_code, uint8_t& fv, uint32_t& fc) {
    const auto out = emulator_->gate_task_switch(tss_selector, has_error_code, error_code);
    if (out.verdict != PrivilegedEmulator::Verdict::kFault) return true;
    fv = out.vector;
    fc = out.error_code;
    return false;
  });
  return {};
}

void DeprivilegedMonitor::start(uint32_t entry, uint32_t eax, uint32_t ebx) {
  start_deprivileged(cpu_, segments_, *shadow_, *this, entry, eax, ebx);
}

void DeprivilegedMonitor::record_trap(uint8_t vector, bool has_error_code, uint32_t error_code) {
  vm_.recorder().record(EventKind::trap, {vector, has_error_code ? error_code : 0, 0, 0});
}

}  // namespace vmlab::vmm
