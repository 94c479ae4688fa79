// The PV monitor's saved state (docs/snapshots.md, "Loading a snapshot"). The guest's page
// tables, the shared-info page, the console and block rings and the grant table are in
// machine memory; what lives on the host is saved here: every frame's type, count and pin
// (direct_paging.h), the current base pointer and flush bookkeeping, the trap table and the
// event callback, blocked and dead, the timer deadline, the console ring's input producer
// and counts, and the block back end's private ring indexes and statistics. The layout of
// the monitor's frames is the domain builder's and the same in every run of the same
// configuration: it is checked, not loaded.
#include "engine/vmm/core/vm.h"
#include "modes/paravirt/pv_abi.h"
#include "modes/paravirt/pv_mode.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {
namespace {
constexpr uint8_t kPvStateVersion = 1;
}  // namespace

void DirectPaging::save(cpu::ByteWriter& w) const {
  w.u32(static_cast<uint32_t>(frames_.size()));
  for (const Frame& f : frames_) {
    w.boolean(f.owned);
    w.boolean(f.pinned);
    w.boolean(f.permanent);
    w.u8(static_cast<uint8_t>(f.type));
    w.u32(f.type_count);
    w.u64(f.writable_dropped_epoch);
  }
  for (uint32_t e : hole_entries_) w.u32(e);
  w.u32(baseptr_);
  w.boolean(has_baseptr_);
  w.u64(flush_epoch_);
  w.boolean(flush_needed_);
  w.u64(stats_.entries_validated);
  w.u64(stats_.tables_validated);
  w.u64(stats_.updates);
  w.u64(stats_.refusals);
}

void DirectPaging::load(cpu::ByteReader& r) {
  if (r.u32() != frames_.size()) {
    r.fail();
    return;
  }
  std::vector<Frame> frames(frames_.size());
  for (Frame& f : frames) {
    f.owned = r.boolean();
    f.pinned = r.boolean();
    f.permanent = r.boolean();
    f.type = static_cast<Type>(r.u8_below(4));
    f.type_count = r.u32();
    f.writable_dropped_epoch = r.u64();
    if (r.failed()) return;
    // A typed frame is the guest's and referenced; an untyped one has no count.
    if ((f.type != Type::none && (!f.owned || f.type_count == 0)) ||
        (f.type == Type::none && f.type_count != 0)) {
      r.fail();
      return;
    }
  }
  std::array<uint32_t, 16> hole{};
  for (uint32_t& e : hole) e = r.u32();
  const uint32_t baseptr = r.u32();
  const bool has_baseptr = r.boolean();
  if (has_baseptr && (baseptr >= frames.size() || frames[baseptr].type != Type::l2)) r.fail();
  const uint64_t flush_epoch = r.u64();
  const bool flush_needed = r.boolean();
  Stats stats;
  stats.entries_validated = r.u64();
  stats.tables_validated = r.u64();
  stats.updates = r.u64();
  stats.refusals = r.u64();
  if (r.failed()) return;
  frames_ = std::move(frames);
  hole_entries_ = hole;
  baseptr_ = baseptr;
  has_baseptr_ = has_baseptr;
  flush_epoch_ = flush_epoch;
  flush_needed_ = flush_needed;
  stats_ = stats;
}

void EventChannels::save(cpu::ByteWriter& w) const {
  w.u64(deadline_);
}
void EventChannels::load(cpu::ByteReader& r) {
  deadline_ = r.u64();
}

void ConsoleRing::save(cpu::ByteWriter& w) const {
  w.u64(notifications_);
  w.u64(bytes_);
  w.u32(in_prod_);
}
void ConsoleRing::load(cpu::ByteReader& r) {
  notifications_ = r.u64();
  bytes_ = r.u64();
  in_prod_ = r.u32();
}

void BlkBack::save(cpu::ByteWriter& w) const {
  w.u32(req_cons_);
  w.u32(rsp_prod_pvt_);
  w.boolean(working_);
  for (uint64_t v : {stats_.notifications_in, stats_.notifications_out, stats_.runs,
                     stats_.requests, stats_.errors, stats_.segments, stats_.sectors_read,
                     stats_.sectors_written, stats_.flushes, stats_.bad_indexes}) {
    w.u64(v);
  }
}
void BlkBack::load(cpu::ByteReader& r) {
  // Free-running ring indexes (any value; the back end checks them against the ring).
  req_cons_ = r.u32();
  rsp_prod_pvt_ = r.u32();
  working_ = r.boolean();
  for (uint64_t* v : {&stats_.notifications_in, &stats_.notifications_out, &stats_.runs,
                      &stats_.requests, &stats_.errors, &stats_.segments, &stats_.sectors_read,
                      &stats_.sectors_written, &stats_.flushes, &stats_.bad_indexes}) {
    *v = r.u64();
  }
}

void PvMonitor::save(cpu::ByteWriter& w) const {
  for (uint32_t v : {layout_.gdt_mfn, layout_.idt_mfn, layout_.tss_mfn, layout_.hole_l1_mfn,
                     layout_.shared_info_ma, layout_.console_ring_ma, layout_.blk_ring_ma,
                     layout_.grant_table_ma, layout_.blk1_ring_ma}) {
    w.u32(v);
  }
  for (const TrapEntry& t : traps_) {
    w.boolean(t.set);
    w.u8(t.flags);
    w.u16(t.cs);
    w.u32(t.eip);
  }
  // The software vectors delegated to the guest's own IDT gate (the fast system call).
  for (unsigned v = 0; v < 256; ++v) w.boolean(delegates_software_vector(static_cast<uint8_t>(v)));
  w.u16(callback_cs_);
  w.u32(callback_eip_);
  w.boolean(blocked_);
  w.boolean(dead_);
  paging_.save(w);
  events_->save(w);
  console_->save(w);
  for (const std::unique_ptr<BlkBack>& blk : blk_) {
    w.boolean(blk != nullptr);
    if (blk) blk->save(w);
  }
}

void PvMonitor::load(cpu::ByteReader& r) {
  for (uint32_t v : {layout_.gdt_mfn, layout_.idt_mfn, layout_.tss_mfn, layout_.hole_l1_mfn,
                     layout_.shared_info_ma, layout_.console_ring_ma, layout_.blk_ring_ma,
                     layout_.grant_table_ma, layout_.blk1_ring_ma}) {
    if (r.u32() != v) r.fail();  // the domain builder's layout: the same configuration's
  }
  std::array<TrapEntry, 256> traps{};
  for (TrapEntry& t : traps) {
    t.set = r.boolean();
    t.flags = r.u8();
    t.cs = r.u16();
    t.eip = r.u32();
    // Only what set_trap accepts is ever in the table.
    if (t.set && check_trap(t.flags, t.cs, t.eip) != 0) r.fail();
  }
  std::array<bool, 256> delegated{};
  for (bool& d : delegated) d = r.boolean();
  const uint16_t callback_cs = r.u16();
  const uint32_t callback_eip = r.u32();
  const bool blocked = r.boolean();
  const bool dead = r.boolean();
  // No callback yet, or one set_callback accepted.
  if (callback_cs != 0 && (callback_cs != abi::kRing1Cs || callback_eip >= abi::kHypervisorHole)) {
    r.fail();
  }
  if (r.failed()) return;
  paging_.load(r);
  events_->load(r);
  console_->load(r);
  for (const std::unique_ptr<BlkBack>& blk : blk_) {
    if (r.boolean() != (blk != nullptr)) r.fail();
    if (blk && !r.failed()) blk->load(r);
  }
  if (r.failed()) return;
  traps_ = traps;
  for (unsigned v = 0; v < 256; ++v) {
    // Only a vector whose trap entry is set can be delegated (set_trap).
    if (delegated[v] && !traps[v].set) {
      r.fail();
      return;
    }
    set_software_vector_delegated(static_cast<uint8_t>(v), delegated[v]);
  }
  callback_cs_ = callback_cs;
  callback_eip_ = callback_eip;
  blocked_ = blocked;
  dead_ = dead;
}

void PvMode::save_monitor(const vmm::Vm& /*vm*/, cpu::ByteWriter& w) const {
  w.u8(kPvStateVersion);
  monitor_->save(w);
}

machine::Result<void> PvMode::load_monitor(vmm::Vm& /*vm*/, cpu::ByteReader& r) {
  if (r.u8() != kPvStateVersion) return machine::Error{"another PV state version", EINVAL};
  monitor_->load(r);
  if (r.failed()) return machine::Error{"malformed PV monitor state", EINVAL};
  return {};
}

}  // namespace vmlab::modes::paravirt
