#include "modes/full-emulation/classic_monitor.h"

#include <cerrno>

#include "engine/vmm/deprivileged_start.h"
#include "engine/vmm/quiet_hardware.h"

namespace vmlab::modes {

using vmm::PrivilegedEmulator;

ClassicMonitor::ClassicMonitor(vmm::Vm& vm, const vmm::P2m& p2m)
    : vm_(vm),
      cpu_(vm.machine().cpu()),
      p2m_(p2m),
      // Machine frame 0 stays unused, so that a machine address of 0 is never a monitor
      // structure by accident.
      frames_(cpu_, 1, p2m.reserved_frames()),
      memory_(cpu_, p2m_, vcpu_),
      segments_(cpu_, frames_),
      injector_(cpu_, vm.recorder(), vcpu_, memory_, segments_) {}

ClassicMonitor::~ClassicMonitor() {
  if (cpu_.monitor() == this) cpu_.set_monitor(nullptr);
}

machine::Result<void> ClassicMonitor::init() {
  if (auto ok = segments_.init(); !ok) return ok;
  shadow_ = std::make_unique<vmm::ShadowMmu>(cpu_, vm_.recorder(), p2m_, frames_, memory_, vcpu_,
                                             segments_.hole_pt_mfn());
  segments_.attach(*shadow_, memory_, vcpu_);  // the shadow GDT follows the guest's writes
  emulator_ = std::make_unique<PrivilegedEmulator>(PrivilegedEmulator::Context{
      cpu_, vm_.machine(), vm_.recorder(), vcpu_, memory_, *shadow_, segments_});
  return {};
}

void ClassicMonitor::start(uint32_t entry, uint32_t eax, uint32_t ebx) {
  vmm::start_deprivileged(cpu_, segments_, *shadow_, *this, entry, eax, ebx);
}

// The monitor's dispatch: every exception and interrupt of the guest comes here first.
bool ClassicMonitor::on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                                  uint32_t error_code) {
  vm_.recorder().record(vmm::EventKind::trap, {vector, has_error_code ? error_code : 0, 0, 0});
  switch (source) {
    case cpu::EventSource::kExternal: injector_.deliver_or_queue_external(vector); break;
    case cpu::EventSource::kSoftware:
    case cpu::EventSource::kInt3:
    case cpu::EventSource::kInto:
      // The real IDT is the monitor's: INT n (the guest's int 0x80 from ring 3) goes to the
      // gate of the guest's own IDT, with the guest's DPL check.
      injector_.deliver(vector, vmm::GuestEventInjector::Kind::kSoftware, false, 0);
      break;
    case cpu::EventSource::kException:
      switch (vector) {
        case cpu::vec::GP:
          // In ring 1 a #GP is (nearly always) a privileged instruction of the guest
          // kernel; in ring 3 it is the guest's own business.
          if (cpu_.state().cpl == 1) {
            general_protection(error_code);
          } else {
            injector_.reflect_exception(vector, true, error_code);
          }
          break;
        case cpu::vec::PF: page_fault(error_code); break;
        default: injector_.reflect_exception(vector, has_error_code, error_code); break;
      }
      break;
  }
  // On the way back to the guest: an interrupt that waited for the virtual IF goes in now
  // if the guest can take it (after STI, an IRET that set IF, or from ring 3).
  injector_.inject_pending();
  return true;
}

void ClassicMonitor::general_protection(uint32_t error_code) {
  vmm::settle(emulator_->emulate_privileged(), cpu::vec::GP, error_code, injector_);
}

void ClassicMonitor::page_fault(uint32_t error_code) {
  const uint32_t lin = cpu_.state().cr2;  // the real CR2: the shadow's fault address
  const auto outcome = shadow_->page_fault(lin, error_code);
  switch (outcome.kind) {
    case vmm::ShadowMmu::FaultKind::kHidden: return;
    case vmm::ShadowMmu::FaultKind::kTrue:
      vcpu_.cr2 = lin;
      injector_.reflect_exception(cpu::vec::PF, true, outcome.guest_error_code);
      return;
    case vmm::ShadowMmu::FaultKind::kTrace:
    case vmm::ShadowMmu::FaultKind::kEmulateWrite:
      vmm::settle(emulator_->emulate_write(), cpu::vec::PF, error_code, injector_);
      return;
  }
}

}  // namespace vmlab::modes
