// GuestMemory: the guest's memory as the guest sees it, for the monitor's own accesses.
//
// The monitor reads the guest's IDT, GDT and TSS, the faulting instruction's bytes and the
// guest's stack, and writes exception frames and emulated stores, in the guest's terms:
// guest-linear addresses translated by the *guest's* page tables (the virtual CR0/CR3/CR4
// of the VirtualCpu), guest-physical addresses translated by the P2M into machine memory.
// A walk here is the software twin of the processor's page walker (SDM Vol. 3A 4.3, 4.6,
// 4.7, 4.8): the same rights checks, the same error code, and it sets the accessed and
// dirty bits in the guest's entries as the hardware would. It never throws: a failure is
// returned, and the caller decides what the guest sees (usually a reflected #PF).
#pragma once

#include <cstdint>
#include <optional>

#include "engine/cpu/bus.h"
#include "engine/cpu/cpu.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vcpu.h"

namespace vmlab::vmm {

// Paging-structure entry bits (SDM Vol. 3A, tables 4-4 to 4-6).
namespace pte {
inline constexpr uint32_t P = 1u << 0;
inline constexpr uint32_t RW = 1u << 1;
inline constexpr uint32_t US = 1u << 2;
inline constexpr uint32_t A = 1u << 5;
inline constexpr uint32_t D = 1u << 6;
inline constexpr uint32_t PS = 1u << 7;
inline constexpr uint32_t G = 1u << 8;
inline constexpr uint32_t kFrame = 0xFFFFF000u;
}  // namespace pte

// The outcome of a guest page walk.
struct GuestWalk {
  bool ok = false;
  uint32_t gpa = 0;         // guest-physical address (when ok)
  uint32_t error_code = 0;  // the #PF error code the guest would get (when not ok)
  bool large = false;       // mapped by a 4 MiB page
  uint32_t pde_gpa = 0;     // where the PDE lies
  uint32_t pte_gpa = 0;     // where the PTE lies (4 KiB pages)
  uint32_t rights = 0;      // P, RW, US of the whole walk (PDE & PTE)
  bool dirty = false;       // D of the final entry, after this walk
};

// The guest frames a monitor write-protects (ShadowMmu: the guest's page tables and
// descriptor tables): the stores the monitor makes in the guest's terms (an exception
// frame it pushes for the guest, a selector image it rewrites) go through it when they
// land on one, as the guest's own trapped stores do, so that the shadows stay coherent.
class TracedFrames {
 public:
  virtual bool tracked(uint32_t gfn) const = 0;
  // Performs the store (1, 2 or 4 bytes within one page) and updates what it makes stale.
  virtual bool write_traced(uint32_t gpa, uint32_t value, unsigned size) = 0;

 protected:
  ~TracedFrames() = default;
};

class GuestMemory {
 public:
  GuestMemory(cpu::Cpu& cpu, const P2m& p2m, const VirtualCpu& vcpu)
      : cpu_(cpu), p2m_(p2m), vcpu_(vcpu) {}

  // Guest-linear to guest-physical through the guest's page tables (identity with the
  // guest's paging off). `user` is a CPL-3 access; `set_ad` sets A (and D on a write).
  GuestWalk walk(uint32_t lin, cpu::Access access, bool user, bool set_ad = true);

  // Guest-physical accesses (through the P2M). Outside the guest's RAM reads give all
  // ones and writes are dropped, as on an ISA bus with nothing there.
  uint32_t read_phys32(uint32_t gpa);
  void write_phys32(uint32_t gpa, uint32_t value);
  uint8_t read_phys8(uint32_t gpa);
  void write_phys8(uint32_t gpa, uint8_t value);

  // Guest-linear accesses of `size` bytes (any alignment, may cross a page). On failure
  // `fault` (if given) receives the guest's #PF error code and `fault_lin` the address,
  // and nothing has been written. A write to a traced frame goes through set_traced_frames().
  // A part outside the guest's RAM goes to the device bus when one is set
  // (set_device_bus), as the processor's access would: one bus cycle of 1, 2 or 4 bytes
  // for an access within one page, bytes for one that crosses a page (engine/cpu/
  // memory.cpp splits it so too); without a bus, reads give all ones and writes drop.
  struct Fault {
    uint32_t linear = 0;
    uint32_t error_code = 0;
  };
  bool read(uint32_t lin, void* out, uint32_t size, bool user, Fault* fault = nullptr);
  bool write(uint32_t lin, const void* in, uint32_t size, bool user, Fault* fault = nullptr);
  std::optional<uint32_t> read32(uint32_t lin, bool user = false);
  std::optional<uint16_t> read16(uint32_t lin, bool user = false);

  const P2m& p2m() const { return p2m_; }
  // Where write() sends a store to a traced frame (null: nowhere, every frame is plain).
  void set_traced_frames(TracedFrames* traced) { traced_ = traced; }
  TracedFrames* traced_frames() const { return traced_; }
  // Where read() and write() send the parts of an access outside the guest's RAM: the
  // machine's bus at the same physical address, where the local and I/O APICs decode
  // their pages (guest_apic.h, device_pages.h). The element loop of INS/OUTS (string_io.h)
  // reads and writes device registers through it exactly as natively.
  void set_device_bus(cpu::Bus* bus) { bus_ = bus; }

 private:
  TracedFrames* traced_ = nullptr;
  cpu::Bus* bus_ = nullptr;
  cpu::Cpu& cpu_;
  const P2m& p2m_;
  const VirtualCpu& vcpu_;
};

}  // namespace vmlab::vmm
