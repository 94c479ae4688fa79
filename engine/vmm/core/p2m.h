// P2m: the guest's physical frames and the machine frames that really hold them.
//
// In a virtualized mode the guest's "physical" memory is an illusion the monitor keeps:
// guest frame g lives in machine frame p2m(g). vmlab puts the monitor's own memory (shadow
// page tables, monitor data, a translation cache) in the lowest machine frames and the
// guest's frames above it, so the map is never the identity: a mode that uses a
// guest-physical address as a machine address reads the monitor's memory or the wrong
// guest page and fails loudly (DESIGN.md, "engine/vmm"). Xen calls the same table the
// physical-to-machine (P2M) map, and its inverse the M2P.
//
// This class is the one place that says what backs a guest frame. A guest may name any
// of the 2^20 frames of its 32-bit physical space (in a page-table entry, as CR3, as an
// emulated operand), but only the frames of its RAM are memory; every other one is
// unbacked, or the one device page a monitor guards (the local APIC's under VT,
// guest_apic.h). On a PC a read of an address that no device decodes
// returns all ones and a write goes nowhere, which is what the guest sees natively and
// under nested paging; an unbacked frame must behave the same and must never reach a
// machine frame the guest does not own. Every user asks here: the shadow MMU (the
// machine frame a shadow PTE names, backing_frame()), the guest page walks and the
// emulators' accesses (GuestMemory, through to_machine()), the translator's code reads.
// (The nested table of `--npt`, modes/full-emulation/vt_setup.cpp, maps the space above
// the guest's RAM with 4 MiB pages onto machine addresses past the machine's RAM, where
// the bus answers the same, to keep the table small.)
// Machine addresses are computed in 64 bits: guest frame 0xFFFFF plus the reserve is past
// 4 GiB, and 32-bit arithmetic wrapped it onto the monitor's own frames (issue 12).
#pragma once

#include <cstdint>
#include <optional>

namespace vmlab::vmm {

class P2m {
 public:
  static constexpr uint32_t kPageSize = 4096;
  // Frames of the 32-bit physical space (a guest frame number is below this).
  static constexpr uint64_t kPhysFrames = uint64_t{1} << 20;

  // What the guest finds at a guest-physical frame.
  enum class Backing : uint8_t {
    kRam,       // the guest's RAM, in machine frame machine_frame(gfn)
    kUnbacked,  // nothing: reads give all ones, writes are dropped
  };

  // `guest_frames` guest frames placed after `reserved_frames` monitor frames. The
  // machine's RAM is exactly these frames (Vm adds the reserve to the guest's size, and
  // PhysicalMemory keeps the total far below 4 GiB), so unbacked_frame() lies on the bus.
  P2m(uint32_t guest_frames, uint32_t reserved_frames)
      : guest_frames_(guest_frames), reserved_frames_(reserved_frames) {}
  static constexpr uint64_t kNoFrame = ~uint64_t{0};

  static constexpr uint32_t kFramesPerMib = (1u << 20) / kPageSize;
  // A guest of `guest_mib` MiB above a monitor reserve of `reserved_mib` MiB.
  static P2m from_mib(uint32_t guest_mib, uint32_t reserved_mib) {
    return P2m(guest_mib * kFramesPerMib, reserved_mib * kFramesPerMib);
  }

  uint32_t guest_frames() const { return guest_frames_; }
  uint32_t reserved_frames() const { return reserved_frames_; }
  uint64_t guest_bytes() const { return uint64_t{guest_frames_} * kPageSize; }
  // Frames of machine RAM: the monitor's reserve and the guest's RAM.
  uint64_t machine_frames() const { return uint64_t{reserved_frames_} + guest_frames_; }

  Backing backing(uint64_t gfn) const {
    return gfn < guest_frames_ ? Backing::kRam : Backing::kUnbacked;
  }
  bool valid_guest_frame(uint64_t gfn) const { return backing(gfn) == Backing::kRam; }
  // The machine frame of guest frame `gfn`, which must be RAM (valid_guest_frame).
  uint32_t machine_frame(uint32_t gfn) const { return reserved_frames_ + gfn; }
  // The one machine frame that stands for every unbacked guest frame: the first frame
  // past the machine's RAM, which no device decodes in a virtualization mode, so the
  // processor's bus answers all ones and drops writes there as it would natively.
  uint32_t unbacked_frame() const { return static_cast<uint32_t>(machine_frames()); }
  // The machine frame a mapping of guest frame `gfn` must name: its RAM frame, or the
  // unbacked frame for any guest frame outside the guest's RAM.
  uint32_t backing_frame(uint64_t gfn) const {
    if (valid_guest_frame(gfn)) return machine_frame(static_cast<uint32_t>(gfn));
    return gfn == device_frame_ ? static_cast<uint32_t>(gfn) : unbacked_frame();
  }
  // A device page: guest frame `gfn` (outside the guest's RAM) is mapped onto the machine
  // page at the same address, which a monitor guards. The VT monitor names the local
  // APIC's page so, as the APIC-access page whose every access exits (guest_apic.h).
  void set_device_frame(uint32_t gfn) { device_frame_ = valid_guest_frame(gfn) ? kNoFrame : gfn; }
  // The device frame, or kNoFrame (saved state: engine/vmm/kit/kit_state.h).
  uint64_t device_frame() const { return device_frame_; }
  void clear_device_frame() { device_frame_ = kNoFrame; }
  // The 64-bit machine address of a byte of guest RAM, or nothing for an unbacked one.
  std::optional<uint64_t> machine_address(uint32_t gpa) const {
    const uint32_t gfn = gpa / kPageSize;
    if (!valid_guest_frame(gfn)) return std::nullopt;
    return uint64_t{machine_frame(gfn)} * kPageSize + gpa % kPageSize;
  }
  // The same as a processor physical address (machine RAM lies below 4 GiB).
  std::optional<uint32_t> to_machine(uint32_t gpa) const {
    const auto ma = machine_address(gpa);
    if (!ma) return std::nullopt;
    return static_cast<uint32_t>(*ma);
  }
  // The M2P direction: the guest frame a machine frame holds, if it holds one.
  std::optional<uint32_t> guest_frame(uint32_t mfn) const {
    if (mfn < reserved_frames_ || mfn - reserved_frames_ >= guest_frames_) return std::nullopt;
    return mfn - reserved_frames_;
  }

 private:
  uint64_t device_frame_ = kNoFrame;
  uint32_t guest_frames_;
  uint32_t reserved_frames_;
};

}  // namespace vmlab::vmm
