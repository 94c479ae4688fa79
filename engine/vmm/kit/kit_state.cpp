#include "engine/vmm/kit/kit_state.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "engine/vmm/kit/monitor_frames.h"
#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {

void save_vcpu(const VirtualCpu& v, cpu::ByteWriter& w) {
  w.u32(v.cr0);
  w.u32(v.cr2);
  w.u32(v.cr3);
  w.u32(v.cr4);
  w.boolean(v.interrupts_enabled);
  w.u8(v.iopl);
  w.u32(v.gdtr.base);
  w.u16(v.gdtr.limit);
  w.u32(v.idtr.base);
  w.u16(v.idtr.limit);
  w.u16(v.ldtr);
  w.u16(v.tr);
  w.u32(v.tss_base);
  w.u32(v.tss_limit);
  w.u64(v.misc_features_enables);
  w.u32(static_cast<uint32_t>(v.pending.size()));
  for (uint8_t vec : v.pending) w.u8(vec);
}

void load_vcpu(VirtualCpu& v, cpu::ByteReader& r) {
  v.cr0 = r.u32();
  v.cr2 = r.u32();
  v.cr3 = r.u32();
  v.cr4 = r.u32();
  v.interrupts_enabled = r.boolean();
  v.iopl = r.u8_below(4);
  v.gdtr.base = r.u32();
  v.gdtr.limit = r.u16();
  v.idtr.base = r.u32();
  v.idtr.limit = r.u16();
  v.ldtr = r.u16();
  v.tr = r.u16();
  v.tss_base = r.u32();
  v.tss_limit = r.u32();
  v.misc_features_enables = r.u64();
  // Acknowledged interrupts waiting for the guest: at most one per vector in practice; a
  // generous bound keeps a hostile count from allocating without end.
  const uint32_t n = r.u32_at_most(4096);
  v.pending.clear();
  for (uint32_t i = 0; i < n && !r.failed(); ++i) v.pending.push_back(r.u8());
}

void save_p2m_device(const P2m& p2m, cpu::ByteWriter& w) {
  w.u64(p2m.device_frame());
}

void load_p2m_device(P2m& p2m, cpu::ByteReader& r) {
  const uint64_t f = r.u64();
  if (f == P2m::kNoFrame) {
    p2m.clear_device_frame();
    return;
  }
  if (f > 0xFFFFF || p2m.valid_guest_frame(f)) {
    r.fail();
    return;
  }
  p2m.set_device_frame(static_cast<uint32_t>(f));
}

void MonitorFrames::save(cpu::ByteWriter& w) const {
  w.u32(first_);
  w.u32(end_);
  w.u32(static_cast<uint32_t>(free_.size()));
  for (uint32_t f : free_) w.u32(f);
}

void MonitorFrames::load(cpu::ByteReader& r) {
  if (r.u32() != first_ || r.u32() != end_) r.fail();
  const uint32_t n = r.u32_at_most(end_ - first_);
  std::vector<uint32_t> list;
  std::unordered_set<uint32_t> seen;
  for (uint32_t i = 0; i < n && !r.failed(); ++i) {
    const uint32_t f = r.u32();
    if (!contains(f) || !seen.insert(f).second) r.fail();
    list.push_back(f);
  }
  if (!r.failed()) free_ = std::move(list);
}

void ShadowMmu::save(cpu::ByteWriter& w) const {
  w.u32(hole_pt_mfn_);
  w.u32(guest_pdes_);
  w.u32(apic_gfn_);
  w.u64(use_clock_);
  std::map<const Root*, uint32_t> index;
  w.u32(static_cast<uint32_t>(roots_.size()));
  for (const auto& root : roots_) {
    index[root.get()] = static_cast<uint32_t>(index.size());
    w.u32(root->key);
    w.u32(root->pd_mfn);
    w.u64(root->last_use);
    w.u32(root->stale_writes);
    for (uint32_t v : root->pt_mfn) w.u32(v);
    for (uint32_t v : root->shadows) w.u32(v);
  }
  w.u32(current_ ? index.at(current_) : 0xFFFFFFFFu);
  // The maps in key order: the same bytes for the same state however the hash tables lie.
  std::map<uint32_t, const Users*> users;
  for (const auto& [gfn, u] : users_) users[gfn] = &u;
  w.u32(static_cast<uint32_t>(users.size()));
  for (const auto& [gfn, u] : users) {
    w.u32(gfn);
    w.u32(static_cast<uint32_t>(u->as_pd.size()));
    for (const Root* root : u->as_pd) w.u32(index.at(root));
    w.u32(static_cast<uint32_t>(u->as_pt.size()));
    for (const auto& [root, pt] : u->as_pt) {
      w.u32(index.at(root));
      w.u16(pt);
    }
  }
  std::map<uint32_t, const std::vector<uint32_t>*> writable;
  for (const auto& [gfn, slots] : writable_) writable[gfn] = &slots;
  w.u32(static_cast<uint32_t>(writable.size()));
  for (const auto& [gfn, slots] : writable) {
    w.u32(gfn);
    w.u32(static_cast<uint32_t>(slots->size()));
    for (uint32_t s : *slots) w.u32(s);
  }
  w.u32(static_cast<uint32_t>(table_frames_.size()));
  for (uint32_t f : table_frames_) w.u32(f);
}

void ShadowMmu::load(cpu::ByteReader& r) {
  // The configuration's: the same hole and the same number of guest PDEs.
  if (r.u32() != hole_pt_mfn_ || r.u32() != guest_pdes_) r.fail();
  const uint32_t apic_gfn = r.u32();
  const uint64_t use_clock = r.u64();
  const uint32_t nroots = r.u32_at_most(kMaxRoots);
  const uint64_t machine_bytes = cpu_.ram().size();
  // A shadow table's frame: one of the monitor's frames, inside machine memory.
  auto monitor_frame = [&](uint32_t mfn) {
    return frames_.contains(mfn) && (uint64_t{mfn} + 1) * 4096 <= machine_bytes;
  };
  std::vector<std::unique_ptr<Root>> roots;
  for (uint32_t i = 0; i < nroots && !r.failed(); ++i) {
    auto root = std::make_unique<Root>();
    root->key = r.u32();
    root->pd_mfn = r.u32();
    root->last_use = r.u64();
    root->stale_writes = r.u32();
    for (uint32_t& v : root->pt_mfn) v = r.u32();
    for (uint32_t& v : root->shadows) v = r.u32();
    if (!monitor_frame(root->pd_mfn)) r.fail();
    for (uint32_t v : root->pt_mfn) {
      if (v != 0 && !monitor_frame(v)) r.fail();
    }
    roots.push_back(std::move(root));
  }
  const uint32_t current = r.u32();
  if (current != 0xFFFFFFFFu && current >= roots.size()) r.fail();
  auto root_at = [&](uint32_t i) -> Root* {
    if (i >= roots.size()) {
      r.fail();
      return nullptr;
    }
    return roots[i].get();
  };
  std::unordered_map<uint32_t, Users> users;
  const uint32_t nusers = r.u32_at_most(1u << 20);
  for (uint32_t i = 0; i < nusers && !r.failed(); ++i) {
    Users& u = users[r.u32()];
    const uint32_t npd = r.u32_at_most(kMaxRoots);
    for (uint32_t k = 0; k < npd && !r.failed(); ++k) u.as_pd.push_back(root_at(r.u32()));
    const uint32_t npt = r.u32_at_most(kMaxRoots * 1024);
    for (uint32_t k = 0; k < npt && !r.failed(); ++k) {
      Root* root = root_at(r.u32());
      const uint16_t pt = r.u16();
      if (pt >= 1024) r.fail();
      u.as_pt.emplace_back(root, pt);
    }
  }
  std::unordered_map<uint32_t, std::vector<uint32_t>> writable;
  const uint32_t nwritable = r.u32_at_most(1u << 20);
  for (uint32_t i = 0; i < nwritable && !r.failed(); ++i) {
    auto& slots = writable[r.u32()];
    const uint32_t n = r.u32_at_most(1u << 20);
    for (uint32_t k = 0; k < n && !r.failed(); ++k) {
      // A slot is the machine address of a shadow PTE: inside one of the monitor's frames.
      const uint32_t s = r.u32();
      if (!monitor_frame(s / 4096) || s % 4 != 0) r.fail();
      slots.push_back(s);
    }
  }
  std::vector<uint32_t> tables;
  const uint32_t ntables = r.u32_at_most(1u << 20);
  for (uint32_t i = 0; i < ntables && !r.failed(); ++i) {
    const uint32_t f = r.u32();
    if (!tables.empty() && f <= tables.back()) r.fail();  // sorted, unique
    tables.push_back(f);
  }
  if (r.failed()) return;
  roots_ = std::move(roots);
  current_ = current == 0xFFFFFFFFu ? nullptr : roots_[current].get();
  apic_gfn_ = apic_gfn;
  use_clock_ = use_clock;
  users_ = std::move(users);
  writable_ = std::move(writable);
  table_frames_ = std::move(tables);
}

}  // namespace vmlab::vmm
