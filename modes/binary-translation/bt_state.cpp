// The binary-translation monitor's saved state (docs/snapshots.md, "Loading a snapshot";
// docs/modes/binary-translation.md, "Snapshots and migration").
//
// The translation cache's bytes, the %gs data (the virtual IF, the scratch slots, the in-TC
// counters, the doorbell) and the in-TC hash table are machine memory, in frames of the
// monitor's reserve, which the snapshot's memory carries. What lives on the host is saved
// here, so that the loaded cache is the saved one and the run goes on as if never stopped,
// even from a TC address: the deprivileged monitor's parts (kit_state.cpp), the cache's index
// (fragments, per-instruction records, precise points, exits and their chaining, inline
// caches, callout sites, guest EIP -> fragment, machine page -> fragments), adaptive BT's
// counts and guilty set, and the monitor's counters. Every value read is checked: indices
// against the arrays they index, TC addresses against the TC (every patch the monitor may
// make later stays inside it), counts against the bytes left.
#include <algorithm>
#include <cerrno>
#include <map>

#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/kit_state.h"
#include "modes/binary-translation/bt_mode.h"

namespace vmlab::modes::bt {
namespace {

constexpr uint8_t kBtStateVersion = 2;
constexpr uint32_t kNoPage = 0xFFFFFFFFu;
constexpr uint32_t kPageBytes = 4096;
constexpr uint32_t kMaxGuestInsnLength = 15;
// The most the monitor writes at a fragment's entry when it retires it (a dead-entry INT
// or a forwarding JMP rel32).
constexpr uint32_t kMaxEntryPatch = 8;

// A count of entries of at least `entry_bytes` each that must fit in what is left.
uint32_t count_of(cpu::ByteReader& r, size_t entry_bytes) {
  return r.u32_at_most(r.remaining() / entry_bytes);
}

// Whether [at, at + len) lies inside the TC.
bool in_tc_range(uint32_t at, uint32_t len) {
  return at >= layout::kTcBase && uint64_t{at} + len <= uint64_t{layout::kTcBase} + layout::kTcSize;
}

void put_site(cpu::ByteWriter& w, const TranslationCache::CalloutSite& s) {
  w.u8(static_cast<uint8_t>(s.kind));
  w.u32(s.guest_eip);
  w.u8(s.guest_len);
  w.u32(s.fragment);
  w.u32(s.exit);
  w.u32(s.detail);
}
constexpr size_t kSiteBytes = 1 + 4 + 1 + 4 + 4 + 4;

// A site of the cache `fragments` long: its kind one the translator emits, its fragment
// one of them (0 for the permanent code's and dead entries' sites, which name none and
// whose handlers do not look at it).
TranslationCache::CalloutSite get_site(cpu::ByteReader& r, uint32_t fragments) {
  TranslationCache::CalloutSite s;
  const uint8_t kind = r.u8();
  if (kind < static_cast<uint8_t>(CalloutKind::kContinue) ||
      kind > static_cast<uint8_t>(CalloutKind::kSimulate)) {
    r.fail();
  }
  s.kind = static_cast<CalloutKind>(kind);
  s.guest_eip = r.u32();
  s.guest_len = r.u8();
  s.fragment = r.u32();
  s.exit = r.u32();
  s.detail = r.u32();
  const bool names_fragment =
      s.kind == CalloutKind::kContinue || s.kind == CalloutKind::kSimulateWrite;
  if (s.guest_len > kMaxGuestInsnLength) r.fail();
  if (s.fragment >= fragments && (names_fragment || s.fragment != 0)) r.fail();
  return s;
}

template <class Map>
void put_sorted_u32_map(cpu::ByteWriter& w, const Map& m) {
  std::vector<std::pair<uint32_t, uint32_t>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end());
  w.u32(static_cast<uint32_t>(v.size()));
  for (const auto& [k, n] : v) {
    w.u32(k);
    w.u32(n);
  }
}

}  // namespace

// --- FragmentIndex ---------------------------------------------------------------------------

std::vector<std::pair<uint32_t, uint32_t>> FragmentIndex::entries() const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const Slot& s : slots_) {
    if (s.fragment != kEmpty && s.fragment != kErased) out.emplace_back(s.guest, s.fragment);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- TranslationCache ------------------------------------------------------------------------

void TranslationCache::save(cpu::ByteWriter& w) const {
  w.u32(static_cast<uint32_t>(data_mfn_.size()));
  for (uint32_t m : data_mfn_) w.u32(m);
  w.u32(static_cast<uint32_t>(tc_mfn_.size()));
  for (uint32_t m : tc_mfn_) w.u32(m);
  w.u32(permanent_);
  w.u32(used_);
  w.u32(live_);

  w.u32(static_cast<uint32_t>(fragments_.size()));
  for (const Fragment& f : fragments_) {
    w.u32(f.guest_eip);
    w.u32(f.tc_start);
    w.u32(f.tc_end);
    w.u16(f.guest_bytes);
    w.u8(f.insns);
    w.boolean(f.live);
    w.u32(f.machine_pages[0]);
    w.u32(f.machine_pages[1]);
    w.u32(f.first_record);
    w.u32(f.record_count);
    w.u32(f.first_exit);
    w.u32(f.exit_count);
    w.u32(f.first_ic);
    w.u32(f.ic_count);
  }
  w.u32(static_cast<uint32_t>(records_.size()));
  for (const InsnRecord& r : records_) {
    w.u32(r.tc);
    w.u32(r.guest);
    w.u16(r.tc_len);
    w.u8(r.guest_len);
    w.u8(static_cast<uint8_t>(r.how));
    w.u8(r.restore);
    w.boolean(r.sti);
    w.u32(r.fragment);
  }
  // The precise points: the bitmap up to its last byte that is not zero.
  size_t precise_bytes = precise_.size();
  while (precise_bytes > 0 && precise_[precise_bytes - 1] == 0) --precise_bytes;
  w.u32(static_cast<uint32_t>(precise_bytes));
  w.bytes({precise_.data(), precise_bytes});
  w.u32(static_cast<uint32_t>(exits_.size()));
  for (const Exit& e : exits_) {
    w.u32(e.patch_at);
    w.u32(e.target);
    w.boolean(e.chained);
  }
  w.u32(static_cast<uint32_t>(ics_.size()));
  for (const InlineCache& c : ics_) {
    for (uint32_t v : {c.at, c.neg_disp, c.jecxz, c.pos_disp, c.hit, c.hit_jump, c.predicted}) {
      w.u32(v);
    }
    w.boolean(c.filled);
  }
  const auto by_guest = by_guest_.entries();
  w.u32(static_cast<uint32_t>(by_guest.size()));
  for (const auto& [guest, f] : by_guest) {
    w.u32(guest);
    w.u32(f);
  }
  w.u32(static_cast<uint32_t>(callouts_ordered_.size()));
  for (const auto& [at, site] : callouts_ordered_) {
    w.u32(at);
    put_site(w, site);
  }
  const std::map<uint32_t, CalloutSite> others(callouts_.begin(), callouts_.end());
  w.u32(static_cast<uint32_t>(others.size()));
  for (const auto& [at, site] : others) {
    w.u32(at);
    put_site(w, site);
  }
  const std::map<uint32_t, std::vector<uint32_t>> pages(by_page_.begin(), by_page_.end());
  w.u32(static_cast<uint32_t>(pages.size()));
  for (const auto& [page, list] : pages) {
    w.u32(page);
    w.u32(static_cast<uint32_t>(list.size()));
    for (uint32_t f : list) w.u32(f);
  }
}

void TranslationCache::load(cpu::ByteReader& r) {
  // The configuration's: the same frames for the data and the TC, the same permanent code.
  auto same_frames = [&](const std::vector<uint32_t>& mine) {
    if (r.u32() != mine.size()) {
      r.fail();
      return;
    }
    for (uint32_t m : mine) {
      if (r.u32() != m) r.fail();
    }
  };
  same_frames(data_mfn_);
  same_frames(tc_mfn_);
  if (r.u32() != permanent_) r.fail();
  const uint32_t used = r.u32();
  if (used < permanent_ || used > layout::kTcSize) r.fail();
  const uint32_t saved_live = r.u32();
  const uint32_t tc_end = layout::kTcBase + used;
  const uint64_t ram_pages = cpu_.ram().size() / kPageBytes;
  if (r.failed()) return;

  std::vector<Fragment> fragments(count_of(r, 4 * 11 + 2 + 1 + 1));
  for (Fragment& f : fragments) {
    f.guest_eip = r.u32();
    f.tc_start = r.u32();
    f.tc_end = r.u32();
    f.guest_bytes = r.u16();
    f.insns = r.u8();
    f.live = r.boolean();
    f.machine_pages[0] = r.u32();
    f.machine_pages[1] = r.u32();
    f.first_record = r.u32();
    f.record_count = r.u32();
    f.first_exit = r.u32();
    f.exit_count = r.u32();
    f.first_ic = r.u32();
    f.ic_count = r.u32();
    if (f.tc_start < layout::kTcBase + permanent_ || f.tc_start > f.tc_end || f.tc_end > tc_end ||
        !in_tc_range(f.tc_start, kMaxEntryPatch)) {
      r.fail();
    }
    for (uint32_t p : f.machine_pages) {
      if (p != kNoPage && p >= ram_pages) r.fail();
    }
  }
  const auto nfragments = static_cast<uint32_t>(fragments.size());
  std::vector<InsnRecord> records(count_of(r, 4 * 3 + 2 + 1 + 1 + 1 + 1));
  uint32_t last_tc = 0;
  for (InsnRecord& x : records) {
    x.tc = r.u32();
    x.guest = r.u32();
    x.tc_len = r.u16();
    x.guest_len = r.u8();
    x.how = static_cast<Translation>(r.u8_below(static_cast<unsigned>(Translation::kCallout) + 1));
    x.restore =
        r.u8_below((kRestoreEax | kRestoreEcx | kRestoreEdx | kEmulateOnFault | kSelectorLoad) + 1);
    x.sti = r.boolean();
    x.fragment = r.u32();
    // In TC order (record_at's binary search), inside the used TC, of a fragment.
    if (x.tc < last_tc || x.tc < layout::kTcBase || uint64_t{x.tc} + x.tc_len > tc_end ||
        x.guest_len > kMaxGuestInsnLength || x.fragment >= nfragments) {
      r.fail();
    }
    last_tc = x.tc;
  }
  const uint32_t precise_bytes = r.u32_at_most(precise_.size());
  const auto precise = r.bytes(precise_bytes);
  std::vector<Exit> exits(count_of(r, 4 + 4 + 1));
  for (Exit& e : exits) {
    e.patch_at = r.u32();
    e.target = r.u32();
    e.chained = r.boolean();
    if (!in_tc_range(e.patch_at, 4)) r.fail();
  }
  std::vector<InlineCache> ics(count_of(r, 4 * 7 + 1));
  for (InlineCache& c : ics) {
    c.at = r.u32();
    c.neg_disp = r.u32();
    c.jecxz = r.u32();
    c.pos_disp = r.u32();
    c.hit = r.u32();
    c.hit_jump = r.u32();
    c.predicted = r.u32();
    c.filled = r.boolean();
    // Every field the monitor patches (fill_inline_cache) inside the TC.
    if (!in_tc_range(c.neg_disp, 4) || !in_tc_range(c.pos_disp, 4) || !in_tc_range(c.hit_jump, 4) ||
        !in_tc_range(c.jecxz, 1) || !in_tc_range(c.at, 1) || !in_tc_range(c.hit, 1)) {
      r.fail();
    }
  }
  // Each fragment's records, exits and inline caches: ranges of the flat arrays.
  uint32_t live = 0;
  for (const Fragment& f : fragments) {
    if (uint64_t{f.first_record} + f.record_count > records.size() ||
        uint64_t{f.first_exit} + f.exit_count > exits.size() ||
        uint64_t{f.first_ic} + f.ic_count > ics.size()) {
      r.fail();
    }
    if (f.live) ++live;
  }
  if (live != saved_live) r.fail();
  FragmentIndex by_guest;
  const uint32_t nguests = count_of(r, 8);
  uint32_t last_guest = 0;
  for (uint32_t i = 0; i < nguests && !r.failed(); ++i) {
    const uint32_t guest = r.u32();
    const uint32_t f = r.u32();
    if (f >= nfragments || (i > 0 && guest <= last_guest)) r.fail();
    last_guest = guest;
    if (!r.failed()) by_guest.set(guest, f);
  }
  std::vector<std::pair<uint32_t, CalloutSite>> ordered(count_of(r, 4 + kSiteBytes));
  for (size_t i = 0; i < ordered.size(); ++i) {
    ordered[i].first = r.u32();
    ordered[i].second = get_site(r, nfragments);
    if (i > 0 && ordered[i].first <= ordered[i - 1].first) r.fail();
  }
  std::unordered_map<uint32_t, CalloutSite> others;
  const uint32_t nothers = count_of(r, 4 + kSiteBytes);
  for (uint32_t i = 0; i < nothers && !r.failed(); ++i) {
    const uint32_t at = r.u32();
    const CalloutSite site = get_site(r, nfragments);
    if (!others.emplace(at, site).second) r.fail();
  }
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_page;
  const uint32_t npages = count_of(r, 8);
  for (uint32_t i = 0; i < npages && !r.failed(); ++i) {
    const uint32_t page = r.u32();
    std::vector<uint32_t> list(count_of(r, 4));
    for (uint32_t& f : list) {
      f = r.u32();
      if (f >= nfragments) r.fail();
    }
    if (page >= ram_pages || !by_page.emplace(page, std::move(list)).second) r.fail();
  }
  if (r.failed()) return;

  used_ = used;
  live_ = live;
  fragments_ = std::move(fragments);
  records_ = std::move(records);
  std::fill(precise_.begin(), precise_.end(), 0);
  std::copy(precise.begin(), precise.end(), precise_.begin());
  exits_ = std::move(exits);
  ics_ = std::move(ics);
  by_guest_ = std::move(by_guest);
  callouts_ordered_ = std::move(ordered);
  callouts_ = std::move(others);
  by_page_ = std::move(by_page);
}

// --- Adaptive --------------------------------------------------------------------------------

void Adaptive::save(cpu::ByteWriter& w) const {
  put_sorted_u32_map(w, faults_);
  put_sorted_u32_map(w, innocent_);
  std::vector<uint32_t> guilty(guilty_.begin(), guilty_.end());
  std::sort(guilty.begin(), guilty.end());
  w.u32(static_cast<uint32_t>(guilty.size()));
  for (uint32_t eip : guilty) w.u32(eip);
  w.u64(trace_faults_);
  w.u64(simulated_);
  w.u64(in_tc_writes_);
}

void Adaptive::load(cpu::ByteReader& r) {
  // A count below its threshold (on_trace_fault and on_simulated act at it), each
  // instruction once.
  auto get_map = [&](std::unordered_map<uint32_t, uint32_t>& m, uint32_t below) {
    m.clear();
    const uint32_t n = count_of(r, 8);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
      const uint32_t eip = r.u32();
      const uint32_t count = r.u32_at_most(below - 1);
      if (!m.emplace(eip, count).second) r.fail();
    }
  };
  get_map(faults_, kGuiltyAfter);
  get_map(innocent_, kInnocentAfter);
  guilty_.clear();
  const uint32_t n = count_of(r, 4);
  for (uint32_t i = 0; i < n && !r.failed(); ++i) {
    if (!guilty_.insert(r.u32()).second) r.fail();
  }
  trace_faults_ = r.u64();
  simulated_ = r.u64();
  in_tc_writes_ = r.u64();
}

// --- BtMonitor -------------------------------------------------------------------------------

void BtMonitor::save(cpu::ByteWriter& w) const {
  save_state(w);
  cache_->save(w);
  adaptive_.save(w);
  w.u64(translator_->instructions_translated());
  w.u16(guest_cs_);
  // The guest CS's descriptor cache (leave_to_guest restores it).
  w.u32(guest_cs_cache_.base);
  w.u32(guest_cs_cache_.limit);
  w.u8(guest_cs_cache_.type);
  w.u8(guest_cs_cache_.dpl);
  w.u8(static_cast<uint8_t>(guest_cs_cache_.s | guest_cs_cache_.present << 1 |
                            guest_cs_cache_.db << 2 | guest_cs_cache_.g << 3 |
                            guest_cs_cache_.avl << 4 | guest_cs_cache_.usable << 5));
  w.u32(flush_epoch_);
  for (uint64_t n : in_tc_) w.u64(n);
  w.u64(lookup_hits_);
  w.u64(collected_icount_);
  w.u64(inline_hits_);
  w.boolean(smc_exit_);
  w.u64(callouts_);
}

void BtMonitor::load(cpu::ByteReader& r) {
  load_state(r);
  if (!r.failed()) cache_->load(r);
  if (!r.failed()) adaptive_.load(r);
  translator_->set_instructions_translated(r.u64());
  guest_cs_ = r.u16();
  guest_cs_cache_ = cpu::SegmentCache{};
  guest_cs_cache_.selector = guest_cs_;
  guest_cs_cache_.base = r.u32();
  guest_cs_cache_.limit = r.u32();
  guest_cs_cache_.type = r.u8();
  guest_cs_cache_.dpl = r.u8();
  const uint8_t cs_flags = r.u8();
  if (guest_cs_cache_.type > 0xF || guest_cs_cache_.dpl > 3 || cs_flags > 0x3F) r.fail();
  guest_cs_cache_.s = cs_flags & 1;
  guest_cs_cache_.present = cs_flags & 2;
  guest_cs_cache_.db = cs_flags & 4;
  guest_cs_cache_.g = cs_flags & 8;
  guest_cs_cache_.avl = cs_flags & 16;
  guest_cs_cache_.usable = cs_flags & 32;
  flush_epoch_ = r.u32();
  for (uint64_t& n : in_tc_) n = r.u64();
  lookup_hits_ = r.u64();
  collected_icount_ = r.u64();
  // Collected at a monitor entry of the saved run: never past the processor's count.
  if (collected_icount_ > cpu_.instructions_retired()) r.fail();
  inline_hits_ = r.u64();
  smc_exit_ = r.boolean();
  callouts_ = r.u64();
}

// --- BtMode ----------------------------------------------------------------------------------

void BtMode::save_monitor(const vmm::Vm& /*vm*/, cpu::ByteWriter& w) const {
  w.u8(kBtStateVersion);
  vmm::save_p2m_device(*p2m_, w);
  monitor_->save(w);
}

machine::Result<void> BtMode::load_monitor(vmm::Vm& /*vm*/, cpu::ByteReader& r) {
  if (r.u8() != kBtStateVersion) return machine::Error{"another bt state version", EINVAL};
  vmm::load_p2m_device(*p2m_, r);
  if (!r.failed()) monitor_->load(r);
  if (r.failed()) return machine::Error{"malformed bt monitor state", EINVAL};
  return {};
}

}  // namespace vmlab::modes::bt
