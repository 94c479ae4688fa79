// PvLogDirty: live migration's write tracking under pv (vmm::WriteTracker; docs/migration.md,
// "Write tracking"), through the validated page tables of direct paging.
//
// Every mapping through which a PV guest can write is a present, writable entry of one of
// its validated L1 tables (direct_paging.h: the page types guarantee it), and the processor
// sets that entry's dirty bit on the first write through it (Intel SDM vol. 3A, 4.8,
// "Accessed and Dirty Flags"). So the monitor logs a round's writes by sweeping the tables it
// validated: each present, writable entry with D set names a written frame, and D is
// cleared for the next round, the TLB flushed so that a write through an entry it cached
// dirty walks again. An entry the guest replaces (mmu_update, update_va_mapping) or a table
// that loses its type between sweeps is looked at as it goes (DirectPaging::log_dirty_into),
// so no write is lost with it.
//
// Clark et al. (NSDI 2005, section 3.3) put a PV guest's page tables under shadow tables in
// log-dirty mode, whose read-only entries fault on the first write. vmlab's PV monitor keeps
// the guest's own tables and uses their dirty bits instead: clearing write permission in
// them would show the guest read-only entries it reads back (its fork copies an entry's R/W
// bit into the child's), while the dirty bit is the processor's to set and the guest kernel
// never reads it. No fault is taken, so tracking_faults() is 0; the cost is the TLB refills
// after each sweep's flush (the tlb_flush event) and the monitor's own writes of the tables,
// which pre-copy sends as it sends every monitor write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/vmm/core/write_tracker.h"

namespace vmlab::modes::paravirt {

class PvMonitor;

class PvLogDirty : public vmm::WriteTracker {
 public:
  explicit PvLogDirty(PvMonitor& monitor) : m_(monitor) {}
  ~PvLogDirty() override;
  std::string mechanism() const override { return "pv dirty bits in validated page tables"; }
  void start_tracking() override;
  void take_dirty(std::vector<uint8_t>& dirty) override;
  void peek_dirty(std::vector<uint8_t>& dirty) const override;
  void stop_tracking() override;
  uint64_t tracking_faults() const override { return 0; }
  uint64_t tracking_cycles() const override { return cycles_; }

 private:
  // Every present, writable, dirty entry of a validated L1 table: its frame marked in
  // `set` (when given), D cleared; then the TLB flushed.
  void sweep(std::vector<uint8_t>* set);
  // Marks in `dirty` the frames of the dirty entries replaced since the last sweep.
  void add_replaced(std::vector<uint8_t>& dirty) const;

  PvMonitor& m_;
  bool tracking_ = false;
  std::vector<uint8_t> replaced_;  // frames of dirty entries replaced since the last sweep
  uint64_t cycles_ = 0;
};

}  // namespace vmlab::modes::paravirt
