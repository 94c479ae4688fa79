#include "modes/binary-translation/translation_cache.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/vmm/kit/guest_memory.h"

namespace vmlab::modes::bt {

namespace {
constexpr uint32_t kPageSize = 4096;
}

TranslationCache::TranslationCache(cpu::Cpu& cpu, vmm::MonitorFrames& frames)
    : cpu_(cpu), frames_(frames), precise_(layout::kTcSize / 8, 0) {
  // Room for a typical working set without rehashing (clear() keeps the buckets).
  by_page_.reserve(1024);
}

machine::Result<void> TranslationCache::init(uint32_t hole_pt_mfn) {
  auto take = [&](std::vector<uint32_t>& into, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i) {
      const auto f = frames_.alloc();
      if (!f) return false;
      into.push_back(*f);
    }
    return true;
  };
  if (!take(data_mfn_, layout::kDataPages) || !take(tc_mfn_, layout::kTcSize / kPageSize)) {
    return machine::Error{"the monitor's reserve is too small for the translation cache", ENOMEM};
  }
  // Supervisor, writable: ring 1 executes the TC and reads and writes the %gs data; ring 3
  // reaches neither (no U/S), and the guest's segments stop below the hole anyway.
  auto map = [&](uint32_t linear, uint32_t mfn) {
    const uint32_t index = (linear - layout::kHoleBase) / kPageSize;
    cpu_.phys_write32(hole_pt_mfn * kPageSize + index * 4,
                      (mfn * kPageSize) | vmm::pte::P | vmm::pte::RW);
  };
  for (uint32_t i = 0; i < data_mfn_.size(); ++i)
    map(layout::kDataBase + i * kPageSize, data_mfn_[i]);
  for (uint32_t i = 0; i < tc_mfn_.size(); ++i) map(layout::kTcBase + i * kPageSize, tc_mfn_[i]);
  // The table starts zeroed, and a zero tag in slot 0 would match guest target 0 and send
  // the lookup to TC address 0, guest memory run with the monitor's code segment. An empty
  // slot's tag must differ from every target that indexes it: the complement of the slot
  // number in the low 16 bits does (as hash_remove leaves a slot). Other slots' zero tags
  // already differ from their index.
  set_data32(layout::kHashOffset, 0xFFFFFFFFu);
  return {};
}

uint32_t TranslationCache::machine_address(uint32_t linear) const {
  if (linear >= layout::kTcBase) {
    const uint32_t off = linear - layout::kTcBase;
    return tc_mfn_[off / kPageSize] * kPageSize + off % kPageSize;
  }
  const uint32_t off = linear - layout::kDataBase;
  return data_mfn_[off / kPageSize] * kPageSize + off % kPageSize;
}

// --- %gs data ------------------------------------------------------------------------------

uint32_t TranslationCache::data32(uint32_t offset) const {
  return cpu_.phys_read32(machine_address(layout::kDataBase + offset));
}

void TranslationCache::set_data32(uint32_t offset, uint32_t value) {
  cpu_.phys_write32(machine_address(layout::kDataBase + offset), value);
}

void TranslationCache::hash_insert(uint32_t guest, uint32_t tc) {
  const uint32_t slot = layout::kHashOffset + (guest & 0xFFFFu) * 8;
  set_data32(slot, guest);
  set_data32(slot + 4, tc);
}

void TranslationCache::hash_remove(uint32_t guest, uint32_t tc) {
  const uint32_t slot = layout::kHashOffset + (guest & 0xFFFFu) * 8;
  if (data32(slot) == guest && data32(slot + 4) == tc) {
    // No guest EIP is ever 0xFFFFFFFF with these low bits in a slot of a different value;
    // the tag cannot match any target that indexes this slot.
    set_data32(slot, ~guest);
    set_data32(slot + 4, 0);
  }
}

// --- TC memory -----------------------------------------------------------------------------

void TranslationCache::write(uint32_t tc, const uint8_t* bytes, size_t n) {
  // Through the processor's physical writes, so that its decoded-instruction cache of the
  // TC page drops what it decoded there (a patched jump is seen at once).
  for (size_t i = 0; i < n;) {
    const uint32_t ma = machine_address(tc + static_cast<uint32_t>(i));
    const size_t chunk = std::min<size_t>(n - i, kPageSize - (ma % kPageSize));
    std::memcpy(cpu_.ram().data() + ma, bytes + i, chunk);
    cpu_.notify_phys_write(ma, static_cast<uint32_t>(chunk));
    i += chunk;
  }
}

void TranslationCache::read(uint32_t tc, uint8_t* out, size_t n) const {
  for (size_t i = 0; i < n; ++i) {
    out[i] = cpu_.ram()[machine_address(tc + static_cast<uint32_t>(i))];
  }
}

void TranslationCache::patch_rel32(uint32_t patch_at, uint32_t target_tc) {
  const uint32_t rel = target_tc - (patch_at + 4);
  uint8_t b[4];
  std::memcpy(b, &rel, 4);
  write(patch_at, b, 4);
}

void TranslationCache::fill_inline_cache(InlineCache& ic, uint32_t guest, uint32_t target_tc) {
  const uint32_t neg = 0u - guest;
  uint8_t b[4];
  std::memcpy(b, &neg, 4);
  write(ic.neg_disp, b, 4);
  std::memcpy(b, &guest, 4);
  write(ic.pos_disp, b, 4);
  patch_rel32(ic.hit_jump, target_tc);
  const auto rel8 = static_cast<uint8_t>(ic.hit - (ic.jecxz + 1));
  write(ic.jecxz, &rel8, 1);
  ic.predicted = guest;
  ic.filled = true;
}

// --- FragmentIndex -------------------------------------------------------------------------

std::optional<uint32_t> FragmentIndex::find(uint32_t guest) const {
  const uint32_t mask = static_cast<uint32_t>(slots_.size()) - 1;
  for (uint32_t i = home(guest);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.fragment == kEmpty) return std::nullopt;
    if (s.fragment != kErased && s.guest == guest) return s.fragment;
  }
}

void FragmentIndex::set(uint32_t guest, uint32_t fragment) {
  if ((used_ + 1) * 4 > slots_.size() * 3) grow();
  const uint32_t mask = static_cast<uint32_t>(slots_.size()) - 1;
  uint32_t reuse = kEmpty;
  for (uint32_t i = home(guest);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.fragment == kEmpty) {
      if (reuse == kEmpty) {
        reuse = i;
        ++used_;
      }
      break;
    }
    if (s.fragment == kErased) {
      if (reuse == kEmpty) reuse = i;
      continue;
    }
    if (s.guest == guest) {
      s.fragment = fragment;
      return;
    }
  }
  slots_[reuse] = {guest, fragment};
}

void FragmentIndex::erase(uint32_t guest, uint32_t fragment) {
  const uint32_t mask = static_cast<uint32_t>(slots_.size()) - 1;
  for (uint32_t i = home(guest);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.fragment == kEmpty) return;
    if (s.fragment != kErased && s.guest == guest) {
      if (s.fragment == fragment) s.fragment = kErased;
      return;
    }
  }
}

void FragmentIndex::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  used_ = 0;
}

void FragmentIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  ++log2_;
  slots_.assign(old.size() * 2, Slot{});
  used_ = 0;
  for (const Slot& s : old) {
    if (s.fragment != kEmpty && s.fragment != kErased) set(s.guest, s.fragment);
  }
}

// --- Fragments -----------------------------------------------------------------------------

uint32_t TranslationCache::commit(Fragment f, const FragmentParts& parts) {
  const auto index = static_cast<uint32_t>(fragments_.size());
  f.first_record = static_cast<uint32_t>(records_.size());
  f.record_count = static_cast<uint32_t>(parts.records.size());
  for (InsnRecord r : parts.records) {
    r.fragment = index;
    records_.push_back(r);
  }
  f.first_exit = static_cast<uint32_t>(exits_.size());
  f.exit_count = static_cast<uint32_t>(parts.exits.size());
  exits_.insert(exits_.end(), parts.exits.begin(), parts.exits.end());
  f.first_ic = static_cast<uint32_t>(ics_.size());
  f.ic_count = static_cast<uint32_t>(parts.ics.size());
  ics_.insert(ics_.end(), parts.ics.begin(), parts.ics.end());
  for (auto [at, site] : parts.callouts) {
    site.fragment = index;
    set_callout(at, site);
  }
  for (const uint32_t tc : parts.precise) mark_precise(tc);
  used_ = f.tc_end - layout::kTcBase;
  by_guest_.set(f.guest_eip, index);
  hash_insert(f.guest_eip, f.tc_start);
  for (const uint32_t page : f.machine_pages) {
    if (page == 0xFFFFFFFFu) continue;
    by_page_[page].push_back(index);
    cpu_.watch_code_page(page * kPageSize);
  }
  fragments_.push_back(std::move(f));
  ++live_;
  return index;
}

std::optional<uint32_t> TranslationCache::fragment_of(uint32_t guest) const {
  return by_guest_.find(guest);
}

std::optional<uint32_t> TranslationCache::lookup(uint32_t guest) const {
  const auto f = fragment_of(guest);
  if (!f) return std::nullopt;
  return fragments_[*f].tc_start;
}

const TranslationCache::InsnRecord* TranslationCache::record_at(uint32_t tc) const {
  // Records are in TC order (the cache is append-only between flushes).
  auto it = std::upper_bound(records_.begin(), records_.end(), tc,
                             [](uint32_t t, const InsnRecord& r) { return t < r.tc; });
  if (it == records_.begin()) return nullptr;
  --it;
  if (tc >= it->tc + it->tc_len) return nullptr;
  return &*it;
}

void TranslationCache::set_callout(uint32_t at, const CalloutSite& site) {
  if (callouts_ordered_.empty() || at > callouts_ordered_.back().first) {
    callouts_ordered_.emplace_back(at, site);
    if (!callouts_.empty()) callouts_.erase(at);
  } else {
    callouts_[at] = site;
  }
}

const TranslationCache::CalloutSite* TranslationCache::callout_at(uint32_t return_tc) const {
  if (!callouts_.empty()) {
    const auto it = callouts_.find(return_tc);
    if (it != callouts_.end()) return &it->second;
  }
  const auto it = std::lower_bound(
      callouts_ordered_.begin(), callouts_ordered_.end(), return_tc,
      [](const std::pair<uint32_t, CalloutSite>& e, uint32_t t) { return e.first < t; });
  if (it == callouts_ordered_.end() || it->first != return_tc) return nullptr;
  return &it->second;
}

void TranslationCache::retire(uint32_t index, const std::vector<uint8_t>& entry, DropReason why) {
  Fragment& f = fragments_[index];
  if (!f.live) return;
  if (drop_observer_) drop_observer_->dropping(*this, index, why);
  f.live = false;
  --live_;
  by_guest_.erase(f.guest_eip, index);
  hash_remove(f.guest_eip, f.tc_start);
  write(f.tc_start, entry.data(), entry.size());
}

std::vector<uint32_t> TranslationCache::fragments_on_page(uint32_t mfn) const {
  std::vector<uint32_t> out;
  const auto it = by_page_.find(mfn);
  if (it == by_page_.end()) return out;
  for (const uint32_t f : it->second) {
    if (fragments_[f].live) out.push_back(f);
  }
  return out;
}

uint32_t TranslationCache::flush() {
  const uint32_t dropped = live_;
  if (drop_observer_) {
    for (uint32_t i = fragment_count(); i-- > 0;) {
      if (fragments_[i].live && !drop_observer_->dropping(*this, i, DropReason::kFlushed)) break;
    }
    drop_observer_->flush_done();
  }
  for (const Fragment& f : fragments_) {
    if (f.live) hash_remove(f.guest_eip, f.tc_start);
  }
  fragments_.clear();
  records_.clear();
  exits_.clear();
  ics_.clear();
  callouts_.clear();
  callouts_ordered_.clear();
  for (const auto& [at, site] : permanent_callouts_) set_callout(at, site);
  by_guest_.clear();
  by_page_.clear();
  std::fill(precise_.begin() + permanent_ / 8, precise_.end(), 0);
  used_ = permanent_;
  live_ = 0;
  return dropped;
}

}  // namespace vmlab::modes::bt
