#include "modes/full-emulation/nested_dirty.h"

#include "engine/vmm/kit/guest_memory.h"
#include "engine/vmm/kit/quiet_hardware.h"

namespace vmlab::modes {

namespace {
constexpr uint32_t kPageSize = 4096;
}

uint32_t NestedWriteTracker::entry_address(uint32_t gfn) {
  const uint32_t root = cpu_.vm_controls().nested_root & 0xFFFFF000u;
  const uint32_t pde = cpu_.phys_read32(root + (gfn >> 10) * 4);
  return (pde & 0xFFFFF000u) + (gfn & 1023) * 4;
}

void NestedWriteTracker::set_writable(uint32_t gfn, bool writable) {
  const uint32_t at = entry_address(gfn);
  const uint32_t e = cpu_.phys_read32(at);
  const uint32_t next = writable ? (e | vmm::pte::RW) : (e & ~vmm::pte::RW);
  if (next != e) cpu_.phys_write32(at, next);
}

void NestedWriteTracker::flush_tlb() {
  vmm::QuietHardware quiet(cpu_);  // the monitor's own flush, not a guest event
  cpu_.tlb_flush(true);
}

void NestedWriteTracker::start_tracking() {
  state_.assign(p2m_.guest_frames(), kProtected);
  faults_ = 0;
  cycles_ = 0;
  tracking_ = true;
  for (uint32_t gfn = 0; gfn < state_.size(); ++gfn) set_writable(gfn, false);
  flush_tlb();
}

void NestedWriteTracker::peek_dirty(std::vector<uint8_t>& dirty) const {
  if (!tracking_) return;
  for (uint32_t gfn = 0; gfn < state_.size(); ++gfn) {
    if (state_[gfn] != kWritten) continue;
    const uint32_t mfn = p2m_.machine_frame(gfn);
    if (mfn < dirty.size()) dirty[mfn] = 1;
  }
}

void NestedWriteTracker::take_dirty(std::vector<uint8_t>& dirty) {
  if (!tracking_) return;
  bool any = false;
  for (uint32_t gfn = 0; gfn < state_.size(); ++gfn) {
    if (state_[gfn] != kWritten) continue;
    const uint32_t mfn = p2m_.machine_frame(gfn);
    if (mfn < dirty.size()) dirty[mfn] = 1;
    set_writable(gfn, false);
    state_[gfn] = kProtected;
    any = true;
  }
  if (any) flush_tlb();
}

void NestedWriteTracker::stop_tracking() {
  if (!tracking_) return;
  // Unlike a shadow entry, a nested entry is not refilled on demand (a nested fault outside
  // tracking stops the monitor): every frame gets its write permission back.
  for (uint32_t gfn = 0; gfn < state_.size(); ++gfn) {
    if (state_[gfn] == kProtected) set_writable(gfn, true);
  }
  tracking_ = false;
  state_.clear();
  flush_tlb();
}

bool NestedWriteTracker::on_violation(const cpu::VmExit& exit, uint64_t exit_cycles) {
  if (!tracking_ || !(exit.qualification & cpu::vmx::ept_qual::kWrite)) return false;
  const uint32_t gfn = exit.guest_physical / kPageSize;
  if (gfn >= state_.size() || state_[gfn] != kProtected) return false;
  set_writable(gfn, true);
  state_[gfn] = kWritten;
  ++faults_;
  cycles_ += recorder_.cost_of(vmm::EventKind::trap) + exit_cycles;
  // The TLB holds no writable entry for the frame (the walk that exited made none), so the
  // guest's store walks again and finds the entry writable.
  return true;
}

}  // namespace vmlab::modes
