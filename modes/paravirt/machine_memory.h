// MachineMemory: how the monitor reads and writes machine memory and the guest's virtual
// memory (Xen's copy_from_guest / copy_to_guest).
//
// Guest pointers in hypercall arguments are virtual addresses of the guest kernel. The
// monitor translates them with its own walk of the page tables the guest is running on
// (CR3), not through the processor: a monitor access must neither fill the TLB, nor set
// accessed/dirty bits, nor raise a fault in the guest. A pointer that does not translate,
// or that reaches into the hypervisor hole, makes the hypercall fail with -EFAULT.
//
// This walk is PV's own, and must be: under direct paging the guest's tables hold machine
// frames, so it walks machine addresses (translate_to_machine), with no P2M, no A/D bits
// and no #PF. The deprivileged monitors' walk of guest-physical tables, the twin of the
// processor's, is vmm::GuestMemory::walk (engine/vmm/kit/guest_memory.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace vmlab::cpu {
class Cpu;
}

namespace vmlab::modes::paravirt {

class MachineMemory {
 public:
  static constexpr uint32_t kPageSize = 4096;

  // `cpu` may be null (unit tests); with one, writes keep its decoded-code cache coherent.
  explicit MachineMemory(std::span<uint8_t> ram, cpu::Cpu* cpu = nullptr) : ram_(ram), cpu_(cpu) {}

  uint32_t frames() const { return static_cast<uint32_t>(ram_.size() / kPageSize); }
  bool valid_machine(uint32_t ma, uint32_t len) const { return uint64_t{ma} + len <= ram_.size(); }
  uint32_t read32(uint32_t ma) const;
  uint8_t read8(uint32_t ma) const { return ram_[ma]; }
  void write32(uint32_t ma, uint32_t value);
  void write8(uint32_t ma, uint8_t value);
  void write_bytes(uint32_t ma, const void* src, uint32_t len);
  void read_bytes(uint32_t ma, void* dst, uint32_t len) const;
  void zero_frame(uint32_t mfn);

  // Guest-linear to machine address through the two-level tables rooted at `cr3`, or
  // nothing when the page is not present (or not writable, for a write) or the address
  // lies in the hypervisor hole.
  std::optional<uint32_t> translate_to_machine(uint32_t cr3, uint32_t lin, bool write) const;
  // Whether copy_to_guest(cr3, lin, ..., len) would succeed now: a hypercall checks its
  // output pointers this way before it changes anything.
  bool writable(uint32_t cr3, uint32_t lin, uint32_t len) const;
  bool copy_from_guest(uint32_t cr3, uint32_t lin, void* dst, uint32_t len) const;
  bool copy_to_guest(uint32_t cr3, uint32_t lin, const void* src, uint32_t len);

 private:
  std::span<uint8_t> ram_;
  cpu::Cpu* cpu_;
};

}  // namespace vmlab::modes::paravirt
