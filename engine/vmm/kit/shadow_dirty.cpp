// Write tracking under shadow paging (shadow_mmu.h; docs/migration.md, "Write tracking"):
// the log-dirty mode of a shadow-paging monitor (Clark et al., NSDI 2005, section 3.3, for
// Xen; VMware's monitor tracks the same way). While tracking, a guest frame's shadow entries
// are read-only until the guest first writes the frame in the round: that write is a
// hidden fault (recorded and charged as one, with the exit that brought it), which logs the
// frame and fills the entry writable. Reading the set protects the logged frames again.
#include <algorithm>

#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {

namespace {
constexpr uint32_t kPageSize = 4096;
}

void ShadowMmu::start_tracking() {
  track_.assign(p2m_.guest_frames(), kUnprotected);
  track_faults_ = 0;
  track_cycles_ = 0;
  tracking_ = true;
  // Every guest frame some shadow entry maps writable loses R/W (revoke_writable flushes the
  // real TLB when it changed an entry).
  std::vector<uint32_t> writable;
  writable.reserve(writable_.size());
  for (const auto& [gfn, slots] : writable_) writable.push_back(gfn);
  std::sort(writable.begin(), writable.end());  // a deterministic order
  for (const uint32_t gfn : writable) {
    revoke_writable(gfn);
    if (gfn < track_.size()) track_[gfn] = kProtected;
  }
}

void ShadowMmu::protect_written() {
  for (uint32_t gfn = 0; gfn < track_.size(); ++gfn) {
    if (track_[gfn] != kWritten) continue;
    revoke_writable(gfn);
    track_[gfn] = kProtected;
  }
}

void ShadowMmu::peek_dirty(std::vector<uint8_t>& dirty) const {
  if (!tracking_) return;
  for (uint32_t gfn = 0; gfn < track_.size(); ++gfn) {
    if (track_[gfn] != kWritten) continue;
    const uint32_t mfn = p2m_.machine_frame(gfn);
    if (mfn < dirty.size()) dirty[mfn] = 1;
  }
}

void ShadowMmu::take_dirty(std::vector<uint8_t>& dirty) {
  if (!tracking_) return;
  peek_dirty(dirty);
  protect_written();
}

void ShadowMmu::stop_tracking() {
  tracking_ = false;
  track_.clear();
}

bool ShadowMmu::tracking_fault(uint32_t lin, uint32_t gfn, bool write) const {
  if (!write || gfn >= track_.size() || track_[gfn] != kProtected) return false;
  const uint32_t e = shadow_pte(lin);
  return (e & pte::P) && !(e & pte::RW) && (e >> 12) == machine_frame_of(gfn);
}

void ShadowMmu::track_fill(uint32_t lin, uint32_t gfn, bool write, uint32_t spte) {
  if (gfn >= track_.size()) return;  // beyond the guest's RAM: nothing to migrate
  if (write) {
    track_[gfn] = kWritten;
    return;
  }
  if (!(spte & pte::RW) || track_[gfn] == kWritten) return;
  // A read filled the entry writable (the guest's PTE is dirty): keep it read-only until
  // the round's first write. Nothing cached it yet: the fill was this fault's.
  const uint32_t ma = current_->pt_mfn[lin >> 22] * kPageSize + ((lin >> 12) & 1023) * 4;
  cpu_.phys_write32(ma, spte & ~pte::RW);
  track_[gfn] = kProtected;
}

}  // namespace vmlab::vmm
