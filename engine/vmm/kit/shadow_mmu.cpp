#include "engine/vmm/kit/shadow_mmu.h"

#include <algorithm>

#include "engine/vmm/kit/device_pages.h"
#include "engine/vmm/kit/guest_apic.h"
#include "engine/vmm/kit/quiet_hardware.h"

namespace vmlab::vmm {

namespace {
constexpr uint32_t kPageSize = 4096;
}

ShadowMmu::ShadowMmu(cpu::Cpu& cpu, Recorder& recorder, const P2m& p2m, MonitorFrames& frames,
                     GuestMemory& memory, const VirtualCpu& vcpu, uint32_t hole_pt_mfn)
    : cpu_(cpu),
      recorder_(recorder),
      p2m_(p2m),
      frames_(frames),
      memory_(memory),
      vcpu_(vcpu),
      hole_pt_mfn_(hole_pt_mfn),
      guest_pdes_(hole_pt_mfn != 0 ? hole::kFirstPde : 1024) {
  // The monitor's own stores in the guest's terms keep the shadows coherent too.
  memory_.set_traced_frames(this);
}

ShadowMmu::~ShadowMmu() {
  if (memory_.traced_frames() == this) memory_.set_traced_frames(nullptr);
}

// --- The real MMU, quietly (quiet_hardware.h) -------------------------------------------

void ShadowMmu::load_real_cr3(uint32_t pd_mfn) {
  QuietHardware quiet(cpu_);
  cpu_.write_cr3(pd_mfn * kPageSize);
}

void ShadowMmu::real_tlb_flush() {
  QuietHardware quiet(cpu_);
  cpu_.tlb_flush(true);
}

void ShadowMmu::real_invlpg(uint32_t lin) {
  QuietHardware quiet(cpu_);
  cpu_.tlb_invlpg(lin);
}

uint32_t ShadowMmu::machine_frame_of(uint32_t gfn) const {
  // The P2M decides (p2m.h): a guest frame beyond the guest's RAM is the one unbacked
  // machine frame past the machine's RAM, where the processor's bus reads all ones and
  // drops writes, as the guest's own bus would natively. The shadow PTE keeps the guest's
  // rights: a write there needs no trap, since nothing decodes the address.
  return p2m_.backing_frame(gfn);
}

// --- Who shadows what ---------------------------------------------------------------------

bool ShadowMmu::tracked(uint32_t gfn) const {
  const auto it = users_.find(gfn);
  return (it != users_.end() && !it->second.empty()) || table_frame(gfn);
}

bool ShadowMmu::table_frame(uint32_t gfn) const {
  return std::binary_search(table_frames_.begin(), table_frames_.end(), gfn);
}

void ShadowMmu::trace_tables(const std::vector<uint32_t>& gfns) {
  std::vector<uint32_t> next = gfns;
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  if (next == table_frames_) return;
  std::vector<uint32_t> added;
  for (const uint32_t gfn : next) {
    if (!tracked(gfn)) added.push_back(gfn);
  }
  // A frame that stops being traced keeps its read-only mappings; its next write is an
  // ordinary fault that fills the entry writable.
  table_frames_ = std::move(next);
  for (const uint32_t gfn : added) revoke_writable(gfn);
}

void ShadowMmu::add_user(uint32_t gfn, Root* root, int pt_index) {
  const bool was_tracked = tracked(gfn);
  Users& u = users_[gfn];
  if (pt_index < 0) {
    u.as_pd.push_back(root);
  } else {
    u.as_pt.emplace_back(root, static_cast<uint16_t>(pt_index));
  }
  if (!was_tracked) revoke_writable(gfn);
}

void ShadowMmu::remove_user(uint32_t gfn, Root* root, int pt_index) {
  auto it = users_.find(gfn);
  if (it == users_.end()) return;
  Users& u = it->second;
  if (pt_index < 0) {
    std::erase(u.as_pd, root);
  } else {
    std::erase(u.as_pt, std::make_pair(root, static_cast<uint16_t>(pt_index)));
  }
  if (u.empty()) users_.erase(it);
}

// A guest frame became a page table the shadows depend on: from now on every write to it
// must trap, so every shadow entry that maps it writable loses R/W.
void ShadowMmu::revoke_writable(uint32_t gfn) {
  auto it = writable_.find(gfn);
  if (it == writable_.end()) return;
  const uint32_t mfn = machine_frame_of(gfn);
  bool changed = false;
  for (const uint32_t ma : it->second) {
    const uint32_t e = cpu_.phys_read32(ma);
    if ((e & pte::P) && (e >> 12) == mfn && (e & pte::RW)) {
      cpu_.phys_write32(ma, e & ~pte::RW);
      changed = true;
    }
  }
  writable_.erase(it);
  if (changed) real_tlb_flush();
}

// --- Roots --------------------------------------------------------------------------------

void ShadowMmu::ensure_frames() {
  // A fill needs at most a root and a page table. When the reserve runs out every shadow
  // goes and is rebuilt on demand: simple, deterministic, and rare.
  if (frames_.free_count() < 2) flush_all();
}

ShadowMmu::Root* ShadowMmu::create_root(uint32_t key) {
  if (roots_.size() >= kMaxRoots) {
    Root* lru = nullptr;
    for (auto& r : roots_) {
      if (r.get() != current_ && (!lru || r->last_use < lru->last_use)) lru = r.get();
    }
    if (lru) drop_root(lru);
  }
  auto pd = frames_.alloc();
  if (!pd) {
    for (auto& r : roots_) r->last_use = 0;
    while (!roots_.empty()) drop_root(roots_.back().get());
    pd = frames_.alloc();
    if (!pd) cpu_.unsupported("the monitor's reserve holds no frame for a shadow page directory");
  }
  auto root = std::make_unique<Root>();
  root->key = key;
  root->pd_mfn = *pd;
  // The hole: the monitor's GDT, TSS and IDT, supervisor-only, in every address space.
  if (has_hole()) {
    cpu_.phys_write32(root->pd_mfn * kPageSize + hole::kFirstPde * 4,
                      (hole_pt_mfn_ * kPageSize) | pte::P | pte::RW);
  }
  Root* r = root.get();
  roots_.push_back(std::move(root));
  if (key != kPhysicalKey) add_user(key >> 12, r, -1);
  return r;
}

void ShadowMmu::drop_pt(Root& root, uint32_t index) {
  if (root.pt_mfn[index] == 0) return;
  const uint32_t tag = root.shadows[index];
  if (tag != kLargeTag && tag != kPhysTag) remove_user(tag, &root, static_cast<int>(index));
  frames_.free(root.pt_mfn[index]);
  root.pt_mfn[index] = 0;
  root.shadows[index] = 0;
  cpu_.phys_write32(root.pd_mfn * kPageSize + index * 4, 0);
}

void ShadowMmu::drop_root(Root* root) {
  for (uint32_t i = 0; i < guest_pdes_; ++i) drop_pt(*root, i);
  if (root->key != kPhysicalKey) remove_user(root->key >> 12, root, -1);
  frames_.free(root->pd_mfn);
  if (current_ == root) current_ = nullptr;
  std::erase_if(roots_, [&](const std::unique_ptr<Root>& r) { return r.get() == root; });
}

void ShadowMmu::activate() {
  const uint32_t key = vcpu_.paging() ? (vcpu_.cr3 & pte::kFrame) : kPhysicalKey;
  Root* found = nullptr;
  for (auto& r : roots_) {
    if (r->key == key) found = r.get();
  }
  if (!found) {
    if (frames_.free_count() < 2) {
      while (!roots_.empty()) drop_root(roots_.back().get());
    }
    found = create_root(key);
  }
  found->last_use = ++use_clock_;
  found->stale_writes = 0;
  current_ = found;
  load_real_cr3(found->pd_mfn);
  if (tables_) tables_->address_space_changed();
}

void ShadowMmu::flush_all() {
  while (!roots_.empty()) drop_root(roots_.back().get());
  writable_.clear();
  activate();
}

uint32_t ShadowMmu::root_machine_frame() const {
  return current_ ? current_->pd_mfn : 0;
}

uint32_t ShadowMmu::shadow_pte(uint32_t lin) const {
  if (!current_) return 0;
  const uint32_t pt = current_->pt_mfn[lin >> 22];
  if (pt == 0) return 0;
  return const_cast<cpu::Cpu&>(cpu_).phys_read32(pt * kPageSize + ((lin >> 12) & 1023) * 4);
}

void ShadowMmu::invlpg(uint32_t lin) {
  real_invlpg(lin);
}

// --- Faults -------------------------------------------------------------------------------

uint32_t ShadowMmu::fill(uint32_t lin, const GuestWalk& walk) {
  Root& r = *current_;
  const uint32_t i = lin >> 22;
  // What the shadow page table for this 4 MiB region stands for: the guest page table
  // (its frame), a guest 4 MiB page, or the physical-mode map.
  const uint32_t tag = !vcpu_.paging() ? kPhysTag : walk.large ? kLargeTag : walk.pte_gpa >> 12;
  if (r.pt_mfn[i] != 0 && r.shadows[i] != tag) drop_pt(r, i);
  if (r.pt_mfn[i] == 0) {
    const auto pt = frames_.alloc();
    if (!pt) cpu_.unsupported("the monitor's reserve holds no frame for a shadow page table");
    r.pt_mfn[i] = *pt;
    r.shadows[i] = tag;
    // Rights are enforced in the shadow PTE (the guest's PDE and PTE combined), so the
    // shadow PDE grants everything.
    cpu_.phys_write32(r.pd_mfn * kPageSize + i * 4, (*pt * kPageSize) | pte::P | pte::RW | pte::US);
    if (tag != kLargeTag && tag != kPhysTag) add_user(tag, &r, static_cast<int>(i));
  }
  // LAB 03 BEGIN solution: fill
  const uint32_t gfn = walk.gpa >> 12;
  uint32_t spte = (machine_frame_of(gfn) * kPageSize) | pte::P;
  if (walk.rights & pte::US) spte |= pte::US;
  if ((walk.rights & pte::RW) && walk.dirty && !tracked(gfn)) spte |= pte::RW;
  const uint32_t ma = r.pt_mfn[i] * kPageSize + ((lin >> 12) & 1023) * 4;
  cpu_.phys_write32(ma, spte);
  if (spte & pte::RW) {
    auto& slots = writable_[gfn];
    if (slots.size() >= 64) {
      const uint32_t mfn = machine_frame_of(gfn);
      std::erase_if(slots, [&](uint32_t at) {
        const uint32_t e = cpu_.phys_read32(at);
        return !(e & pte::P) || (e >> 12) != mfn || !(e & pte::RW);
      });
    }
    slots.push_back(ma);
  }
  return spte;
  // LAB 03 END
}

void ShadowMmu::set_apic_page(uint32_t gpa) {
  const uint32_t gfn = gpa == kNoApicPage ? kNoApicPage : gpa / kPageSize;
  if (gfn == apic_gfn_) return;
  apic_gfn_ = gfn;
  flush_all();
}

ShadowMmu::FaultOutcome ShadowMmu::page_fault(uint32_t lin, uint32_t error_code) {
  ensure_frames();
  if (!current_) activate();
  const bool write = (error_code & cpu::pferr::W) != 0;
  const bool user = (error_code & cpu::pferr::U) != 0;
  if (has_hole() && lin >= hole::kBase) {
    // The hole is never the guest's: whatever its own tables say, it gets a fault.
    const uint32_t code = cpu::pferr::P | (error_code & (cpu::pferr::W | cpu::pferr::U));
    recorder_.record(EventKind::true_fault, {lin, code, 0, 0});
    return {FaultKind::kTrue, code, 0};
  }
  const GuestWalk w = memory_.walk(lin, write ? cpu::Access::kWrite : cpu::Access::kRead, user);
  if (!w.ok) {
    recorder_.record(EventKind::true_fault, {lin, w.error_code, 0, 0});
    return {FaultKind::kTrue, w.error_code, 0};
  }
  const uint32_t gfn = w.gpa >> 12;
  if (is_device_page(gfn, apic_gfn_, has_hole())) return {FaultKind::kDevice, 0, w.gpa};
  if (write && tracked(gfn)) return {FaultKind::kTrace, 0, w.gpa};
  if (write && !(w.rights & pte::RW)) return {FaultKind::kEmulateWrite, 0, w.gpa};
  const bool caused_by_tracking = tracking_ && tracking_fault(lin, gfn, write);
  const uint32_t spte = fill(lin, w);
  const uint64_t before = cpu_.cycles();
  recorder_.record(EventKind::hidden_fault, {lin, error_code, spte, 0});
  if (tracking_) track_fill(lin, gfn, write, spte);
  if (caused_by_tracking) {
    // The trap or exit that brought the fault, and the hidden fault's own charge.
    ++track_faults_;
    track_cycles_ +=
        recorder_.cost_of(EventKind::trap) + fault_entry_extra_ + (cpu_.cycles() - before);
  }
  return {FaultKind::kHidden, 0, 0};
}

bool ShadowMmu::write_traced(uint32_t gpa, uint32_t value, unsigned size) {
  uint32_t old = 0;
  for (unsigned b = 0; b < size; ++b) {
    old |= uint32_t{memory_.read_phys8(gpa + b)} << (8 * b);
    memory_.write_phys8(gpa + b, static_cast<uint8_t>(value >> (8 * b)));
  }
  const uint32_t gfn = gpa >> 12;
  if (tables_ && table_frame(gfn)) tables_->table_written(gpa, size);
  const auto it = users_.find(gfn);
  if (it == users_.end() || it->second.empty()) return false;  // not a page table
  recorder_.record(EventKind::guest_pt_write, {gpa, value, old, 0});
  const uint32_t first = (gpa & 0xFFFu) >> 2;
  const uint32_t last = std::min<uint32_t>(((gpa & 0xFFFu) + size - 1) >> 2, 1023);
  // Copies: dropping a page table changes the user lists.
  const std::vector<Root*> as_pd = it->second.as_pd;
  const std::vector<std::pair<Root*, uint16_t>> as_pt = it->second.as_pt;
  std::vector<Root*> stale;
  for (Root* root : as_pd) {
    for (uint32_t e = first; e <= last && e < guest_pdes_; ++e) {
      if (root->pt_mfn[e] == 0) continue;
      drop_pt(*root, e);
      recorder_.record(EventKind::shadow_update, {e << 22, 0, 0, 0});
      if (root == current_) real_tlb_flush();
    }
    if (root != current_ && ++root->stale_writes >= kStaleRootWrites) stale.push_back(root);
  }
  for (const auto& [root, index] : as_pt) {
    for (uint32_t e = first; e <= last; ++e) {
      const uint32_t ma = root->pt_mfn[index] * kPageSize + e * 4;
      if (!(cpu_.phys_read32(ma) & pte::P)) continue;
      cpu_.phys_write32(ma, 0);
      const uint32_t lin = (uint32_t{index} << 22) | (e << 12);
      recorder_.record(EventKind::shadow_update, {lin, 0, 0, 0});
      if (root == current_) real_invlpg(lin);
    }
  }
  for (Root* root : stale) {
    if (std::any_of(roots_.begin(), roots_.end(), [&](auto& r) { return r.get() == root; })) {
      drop_root(root);
    }
  }
  return true;
}

}  // namespace vmlab::vmm
