// PvLogDirty (log_dirty.h): the sweep of the validated L1 tables' dirty bits.
#include "modes/paravirt/log_dirty.h"

#include "engine/cpu/cpu.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {

namespace {
constexpr uint32_t kDirty = 0x40;  // PTE bit 6
constexpr uint32_t kWritablePresent = DirectPaging::kPresent | DirectPaging::kWritable;

// Calls `fn(entry_ma, value)` for every present, writable and dirty entry of the L1 tables
// the monitor validated (the only ones the hardware walks for the guest).
template <class Fn>
void for_each_dirty_entry(const DirectPaging& paging, const MachineMemory& memory, Fn fn) {
  for (uint32_t mfn = 0; mfn < paging.frames(); ++mfn) {
    const DirectPaging::Frame& f = paging.frame(mfn);
    if (!f.owned || f.type != DirectPaging::Type::l1 || f.type_count == 0) continue;
    const uint32_t base = mfn * MachineMemory::kPageSize;
    for (uint32_t i = 0; i < DirectPaging::kEntries; ++i) {
      const uint32_t e = memory.read32(base + i * 4);
      if ((e & (kWritablePresent | kDirty)) == (kWritablePresent | kDirty)) fn(base + i * 4, e);
    }
  }
}

// Marks the frame an entry maps (a machine frame from a validated table: bounded anyway).
void mark(std::vector<uint8_t>& set, uint32_t entry) {
  if ((entry >> 12) < set.size()) set[entry >> 12] = 1;
}
}  // namespace

PvLogDirty::~PvLogDirty() {
  if (tracking_) m_.paging().log_dirty_into(nullptr);
}

void PvLogDirty::sweep(std::vector<uint8_t>* set) {
  MachineMemory& memory = m_.memory();
  for_each_dirty_entry(m_.paging(), memory, [&](uint32_t entry_ma, uint32_t e) {
    if (set != nullptr) mark(*set, e);
    memory.write32(entry_ma, e & ~kDirty);
  });
  // An entry the TLB holds with D set would let the next write through without walking.
  const uint64_t before = m_.cpu().cycles();
  m_.flush_tlb();
  cycles_ += m_.cpu().cycles() - before;
}

void PvLogDirty::add_replaced(std::vector<uint8_t>& dirty) const {
  for (size_t mfn = 0; mfn < replaced_.size() && mfn < dirty.size(); ++mfn) {
    if (replaced_[mfn]) dirty[mfn] = 1;
  }
}

void PvLogDirty::start_tracking() {
  cycles_ = 0;
  replaced_.assign(m_.paging().frames(), 0);
  m_.paging().log_dirty_into(&replaced_);
  tracking_ = true;
  sweep(nullptr);
}

void PvLogDirty::peek_dirty(std::vector<uint8_t>& dirty) const {
  if (!tracking_) return;
  for_each_dirty_entry(m_.paging(), m_.memory(), [&](uint32_t, uint32_t e) { mark(dirty, e); });
  add_replaced(dirty);
}

void PvLogDirty::take_dirty(std::vector<uint8_t>& dirty) {
  if (!tracking_) return;
  sweep(&dirty);
  add_replaced(dirty);
  std::fill(replaced_.begin(), replaced_.end(), uint8_t{0});
}

void PvLogDirty::stop_tracking() {
  if (!tracking_) return;
  tracking_ = false;
  m_.paging().log_dirty_into(nullptr);
  replaced_.clear();
}

}  // namespace vmlab::modes::paravirt
