// P2m: the guest's physical frames and the machine frames that really hold them.
//
// In a virtualized mode the guest's "physical" memory is an illusion the monitor keeps:
// guest frame g lives in machine frame p2m(g). vmlab puts the monitor's own memory (shadow
// page tables, monitor data, a translation cache) in the lowest machine frames and the
// guest's frames above it, so the map is never the identity: a mode that uses a
// guest-physical address as a machine address reads the monitor's memory or the wrong
// guest page and fails loudly (DESIGN.md, "engine/vmm"). Xen calls the same table the
// physical-to-machine (P2M) map, and its inverse the M2P.
#pragma once

#include <cstdint>
#include <optional>

namespace vmlab::vmm {

class P2m {
 public:
  static constexpr uint32_t kPageSize = 4096;

  // `guest_frames` guest frames placed after `reserved_frames` monitor frames.
  P2m(uint32_t guest_frames, uint32_t reserved_frames)
      : guest_frames_(guest_frames), reserved_frames_(reserved_frames) {}

  static constexpr uint32_t kFramesPerMib = (1u << 20) / kPageSize;
  // A guest of `guest_mib` MiB above a monitor reserve of `reserved_mib` MiB.
  static P2m from_mib(uint32_t guest_mib, uint32_t reserved_mib) {
    return P2m(guest_mib * kFramesPerMib, reserved_mib * kFramesPerMib);
  }

  uint32_t guest_frames() const { return guest_frames_; }
  uint32_t reserved_frames() const { return reserved_frames_; }
  uint64_t guest_bytes() const { return uint64_t{guest_frames_} * kPageSize; }

  bool valid_guest_frame(uint32_t gfn) const { return gfn < guest_frames_; }
  // The machine frame of guest frame `gfn` (which must be valid).
  uint32_t machine_frame(uint32_t gfn) const { return reserved_frames_ + gfn; }
  // Guest-physical address to machine address, or nothing outside the guest's RAM.
  std::optional<uint32_t> to_machine(uint32_t gpa) const {
    const uint32_t gfn = gpa / kPageSize;
    if (!valid_guest_frame(gfn)) return std::nullopt;
    return machine_frame(gfn) * kPageSize + gpa % kPageSize;
  }
  // The M2P direction: the guest frame a machine frame holds, if it holds one.
  std::optional<uint32_t> guest_frame(uint32_t mfn) const {
    if (mfn < reserved_frames_ || mfn - reserved_frames_ >= guest_frames_) return std::nullopt;
    return mfn - reserved_frames_;
  }

 private:
  uint32_t guest_frames_;
  uint32_t reserved_frames_;
};

}  // namespace vmlab::vmm
