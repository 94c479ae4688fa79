// DirectPaging: the guest's page tables are the real ones, so the monitor must make sure
// that no update can give the guest a way around it (Barham et al. 2003, section 3.3,
// "Page-type validation"; docs/modes/paravirt.md, "Direct paging").
//
// Every machine frame the guest owns has a type and a type count:
//   writable  mapped read/write by some L1 entry (count = such mappings)
//   l1, l2    a validated page table or page directory (count = references from
//             validated L2 entries and the current base pointer, plus one for a pin)
// The types are exclusive, so a frame cannot be a page table and writable at once: the
// guest can never write its page tables except through this class. A frame's type can
// change only when its count is zero; a table becomes l1/l2 by validating every entry
// (which takes the references those entries need) and loses the type by giving them back.
// A pinned table keeps its type, and its validation, until it is unpinned: loading it as
// the base pointer again costs no revalidation.
//
// A frame the monitor itself writes while the guest runs (the shared-info page, the
// console ring) holds a writable type that is never given back, so it can never become a
// page table: otherwise the guest could map it read-only, pin it, and let the monitor's
// next write plant an entry nobody validated. Xen gives shared_info the same permanent
// writable type when it shares the page with the guest (share_xen_page_with_guest in
// xen/arch/x86/mm.c).
//
// A present entry must not carry a flag of the disallow mask (Xen's L1_DISALLOW_MASK and
// L2_DISALLOW_MASK for two-level tables, xen/include/asm-x86/x86_32/page.h): bit 7 (PAT
// in a page table, a 4 MiB page in a directory) and bit 8 (global). The check is made
// on every update, also when the entry keeps its frame and access.
//
// Refusals return -errno and change nothing: a request is checked completely before any
// memory or count changes (docs/pv-abi.md, "Direct paging", lists each rule with its code).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/cpu/state_codec.h"
#include "modes/paravirt/machine_memory.h"

namespace vmlab::modes::paravirt {

class DirectPaging {
 public:
  enum class Type : uint8_t { none, writable, l1, l2 };
  struct Frame {
    bool owned = false;  // the guest's (false: the monitor's, or no RAM)
    bool pinned = false;
    bool permanent = false;  // holds a writable reference the monitor never gives back
    Type type = Type::none;
    uint32_t type_count = 0;
    // The monitor's TLB-flush epoch when this frame's last writable mapping went away: a
    // stale writable TLB entry may survive until the next full flush (see tlb_flushed()).
    uint64_t writable_dropped_epoch = 0;
  };
  struct Stats {
    uint64_t entries_validated = 0;  // entries checked by whole-table validations
    uint64_t tables_validated = 0;
    uint64_t updates = 0;  // single-entry updates applied
    uint64_t refusals = 0;
  };
  static constexpr uint32_t kEntries = 1024;
  static constexpr uint32_t kPresent = 0x1;
  static constexpr uint32_t kWritable = 0x2;
  static constexpr uint32_t kLargePage = 0x80;
  // Bits 7 and 8 (PAT or PSE, and G): refused in any present entry (see above).
  static constexpr uint32_t kDisallowMask = 0x180;

  explicit DirectPaging(MachineMemory& memory);

  // The domain builder gives the guest its frames.
  void set_owned(uint32_t mfn, bool owned);
  // A guest frame the monitor writes into at run time: it takes a writable reference that
  // is never given back (see above). Fails (-EPERM, -EINVAL) only for a frame the guest
  // does not own or that is already a page table.
  int32_t set_permanent_writable(uint32_t mfn);
  // The page-directory entries that map the hypervisor hole (slots 1008-1023): the monitor
  // writes them into every page directory it validates; the guest can never change them.
  void set_hole_entries(const std::array<uint32_t, 16>& entries) { hole_entries_ = entries; }

  // --- The operations of mmu_update / mmuext_op / update_va_mapping -------------------
  // One page-table entry, by its machine address, gets a new value.
  int32_t update_entry(uint32_t entry_ma, uint32_t value);
  int32_t pin(uint32_t mfn, Type level);
  int32_t unpin(uint32_t mfn);
  // The page directory the processor will use (CR3); takes an l2 reference on it (which
  // validates an unpinned one) and drops the old base's.
  int32_t new_baseptr(uint32_t mfn);
  uint32_t baseptr() const { return baseptr_; }

  // A full TLB flush happened: stale writable entries are gone.
  void tlb_flushed() { ++flush_epoch_; }
  // True (once) when a frame that may still have a writable TLB entry became a page
  // table: the caller must flush the TLB before the guest runs again.
  bool take_flush_request() {
    const bool r = flush_needed_;
    flush_needed_ = false;
    return r;
  }

  // Live migration's log-dirty (log_dirty.h): while `log` is set, an L1 entry that is
  // present, writable and dirty when the guest replaces it or its table loses its type
  // marks its frame in `log` (indexed by machine frame), so no write is lost with it.
  void log_dirty_into(std::vector<uint8_t>* log) { dirty_log_ = log; }

  const Frame& frame(uint32_t mfn) const { return frames_[mfn]; }
  uint32_t frames() const { return static_cast<uint32_t>(frames_.size()); }
  const Stats& stats() const { return stats_; }

  // Saved state (pv_state.cpp, docs/snapshots.md); load() fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  bool owned(uint32_t mfn) const { return mfn < frames_.size() && frames_[mfn].owned; }
  int32_t get_type(uint32_t mfn, Type type);
  void put_type(uint32_t mfn);
  // The references entry `index` of a table of `level` needs for `value`, and back.
  int32_t get_entry_refs(Type level, uint32_t index, uint32_t value);
  void put_entry_refs(Type level, uint32_t index, uint32_t value);
  int32_t validate_table(uint32_t mfn, Type level);
  void devalidate_table(uint32_t mfn, Type level);
  // Whether two values of an entry need the same references (same frame and access).
  static bool same_refs(Type level, uint32_t a, uint32_t b);
  // An L1 entry's value goes away: log its frame if it was written through (log_dirty_into).
  void note_replaced(Type level, uint32_t old) {
    constexpr uint32_t kDirtyWritable = kPresent | kWritable | 0x40;
    if (dirty_log_ != nullptr && level == Type::l1 && (old & kDirtyWritable) == kDirtyWritable &&
        (old >> 12) < dirty_log_->size()) {
      (*dirty_log_)[old >> 12] = 1;
    }
  }
  int32_t refuse(int32_t err) {
    ++stats_.refusals;
    return err;
  }

  MachineMemory& memory_;
  std::vector<Frame> frames_;
  std::array<uint32_t, 16> hole_entries_{};
  uint32_t baseptr_ = 0;  // mfn of the current page directory, 0 = none yet
  bool has_baseptr_ = false;
  uint64_t flush_epoch_ = 1;
  bool flush_needed_ = false;
  Stats stats_;
  std::vector<uint8_t>* dirty_log_ = nullptr;
};

}  // namespace vmlab::modes::paravirt
