#include "engine/vmm/core/hardware_observer.h"

#include <algorithm>

#include "engine/vmm/core/hypervisor_hole.h"

namespace vmlab::vmm {

void HardwareObserver::on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                                    uint32_t error_code, uint32_t eip, uint8_t cpl) {
  using cpu::EventSource;
  switch (source) {
    case EventSource::kException:
      // `eip` is what the frame will hold: the faulting instruction for a fault.
      recorder_.record_at(EventKind::exception, eip, cpl,
                          {vector, has_error_code ? error_code : 0, has_error_code ? 1u : 0u, 0});
      return;
    case EventSource::kNmi:
      // The NMI input shows as an external interrupt of vector 2 (docs/trace-format.md).
    case EventSource::kExternal:
      // Taken between instructions: it belongs to the instruction it interrupts, the one
      // that runs when the handler returns.
      recorder_.record_at(EventKind::external_interrupt, eip, cpl, {vector, 0, 0, 0});
      return;
    case EventSource::kSoftware:
    case EventSource::kInt3:
    case EventSource::kInto: {
      const uint32_t form = source == EventSource::kSoftware ? 0
                            : source == EventSource::kInt3   ? 1
                                                             : 2;
      recorder_.record_at(EventKind::software_interrupt, cpu_.insn_eip(), cpl,
                          {vector, 0, form, 0});
      return;
    }
  }
}

void HardwareObserver::on_cr_write(uint8_t cr, uint32_t old_value, uint32_t new_value) {
  if (cr == 3) {
    recorder_.record(EventKind::cr3_switch, {old_value, new_value, 0, 0});
  } else {
    recorder_.record(EventKind::cr_write, {cr, old_value, new_value, 0});
  }
}

void HardwareObserver::on_tlb_flush(bool including_global) {
  recorder_.record(EventKind::tlb_flush, {including_global ? 1u : 0u, 0, 0, 0});
}

void HardwareObserver::on_invlpg(uint32_t linear) {
  recorder_.record(EventKind::invlpg, {linear, 0, 0, 0});
}

void HardwareObserver::on_page_fault(uint32_t linear, uint32_t error_code) {
  recorder_.record(EventKind::page_fault, {linear, error_code, 0, 0});
}

void HardwareObserver::on_sensitive(uint16_t opcode, uint8_t reg) {
  if (cpu_.monitor() == nullptr) return;
  // Code in the hypervisor hole (hypervisor_hole.h) is the monitor's own, never the guest's:
  // a binary translator's in-TC sequence that reads the real EFLAGS to build the guest's.
  if (cpu_.state().seg[cpu::CS].base + cpu_.insn_eip() >= hole::kBase) return;
  recorder_.record(EventKind::sensitive_no_trap, {opcode, reg, 0, 0});
  sensitive_[sensitive_seen_++ % sensitive_.size()] = {opcode, reg, cpu_.insn_eip(),
                                                       cpu_.state().cpl};
}

std::vector<HardwareObserver::Sensitive> HardwareObserver::recent_sensitive() const {
  std::vector<Sensitive> out;
  const uint64_t n = std::min<uint64_t>(sensitive_seen_, sensitive_.size());
  for (uint64_t i = sensitive_seen_ - n; i < sensitive_seen_; ++i) {
    out.push_back(sensitive_[i % sensitive_.size()]);
  }
  return out;
}

void HardwareObserver::on_io(const machine::IoAccess& access) {
  const uint32_t flags =
      (access.direction == machine::IoDirection::kWrite ? 1u : 0u) | (access.assigned ? 2u : 0u);
  recorder_.record(EventKind::port_io, {access.port, access.size, access.value, flags});
}

void HardwareObserver::on_block_request(const machine::BlockRequest& request) {
  recorder_.record(EventKind::blk_request,
                   {static_cast<uint32_t>(request.op), static_cast<uint32_t>(request.sector),
                    request.sectors, request.detail});
}

void HardwareObserver::on_mmio(const machine::MmioAccess& access) {
  const uint32_t flags = access.direction == machine::IoDirection::kWrite ? 1u : 0u;
  recorder_.record(EventKind::mmio, {access.address, access.size, access.value, flags});
}

}  // namespace vmlab::vmm
