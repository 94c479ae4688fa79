// GuestDma: what a bus-master device reaches under a monitor (engine/machine/dma_memory.h).
//
// The guest programs its devices with guest-physical addresses. The monitor stands between
// them and machine memory, as an IOMMU does for a passed-through device and as Xen's back
// ends do with grant copies: every address goes through the P2M, so a device can reach the
// guest's RAM and nothing else (the monitor's frames below it are no guest frame; an
// address beyond the guest's RAM is unbacked and the access fails, whole). A write is then
// the same as every other write the monitor makes to guest memory on the guest's behalf
// (PrivilegedEmulator::commit): on a frame the shadow MMU traces (a guest page table, a
// descriptor table), it goes through ShadowMmu::write_traced, which drops the shadow
// entries it makes stale; anywhere else it is written and told to the processor
// (notify_phys_write: decoded instructions, bt's translated code pages, the dirty log that
// live migration reads). `shadow` is null under nested paging, where the hardware walks the
// guest's own tables and there is nothing to keep coherent.
#pragma once

#include <cstdint>
#include <span>

#include "engine/cpu/cpu.h"
#include "engine/machine/dma_memory.h"
#include "engine/vmm/core/p2m.h"

namespace vmlab::vmm {

class ShadowMmu;

class GuestDma : public machine::DmaMemory {
 public:
  GuestDma(cpu::Cpu& cpu, const P2m& p2m, ShadowMmu* shadow)
      : cpu_(cpu), p2m_(p2m), shadow_(shadow) {}

  bool read(uint32_t gpa, std::span<uint8_t> out) override;
  bool write(uint32_t gpa, std::span<const uint8_t> in) override;

  // Bytes written through the shadow MMU's traced path (tests).
  uint64_t traced_bytes() const { return traced_bytes_; }

 private:
  // Whether every byte of [gpa, gpa + len) is the guest's RAM.
  bool backed(uint32_t gpa, size_t len) const;

  cpu::Cpu& cpu_;
  const P2m& p2m_;
  ShadowMmu* shadow_;
  uint64_t traced_bytes_ = 0;
};

}  // namespace vmlab::vmm
