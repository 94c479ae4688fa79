// DmaMemory: the memory a bus-master device reaches, in the guest's physical addresses.
//
// A device that masters the bus (the IDE bus master, ata_bus_master.h) names memory by the
// addresses the guest programmed into it: guest-physical ones. Natively they are the
// machine's own (MachineRam below). Under a monitor they are not: guest frame g lives in
// machine frame p2m(g) (engine/vmm/core/p2m.h), the frames below the guest's hold the
// monitor's own structures, and a write to a guest page table must be seen by the shadow
// MMU. So a monitor installs its own DmaMemory (engine/vmm/kit/guest_dma.h), as an IOMMU
// or Xen's grant copies stand between a device and a guest; a machine with a monitor
// reserve and none installed refuses every access, so that no device can reach a machine
// frame through an address the guest chose.
//
// An access either moves all its bytes or none: read and write check the whole range first
// and return false if any byte of it is not the guest's RAM.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "engine/cpu/cpu.h"

namespace vmlab::machine {

class DmaMemory {
 public:
  virtual ~DmaMemory() = default;
  // Copies guest-physical [gpa, gpa + out.size()) into `out`.
  virtual bool read(uint32_t gpa, std::span<uint8_t> out) = 0;
  // Writes `in` at guest-physical gpa, as a device's write: the processor's decoded-
  // instruction cache, the dirty log and a monitor's traces see it.
  virtual bool write(uint32_t gpa, std::span<const uint8_t> in) = 0;
};

// No memory at all: what a device masters under a monitor that installed nothing.
class NoDmaMemory : public DmaMemory {
 public:
  bool read(uint32_t, std::span<uint8_t>) override { return false; }
  bool write(uint32_t, std::span<const uint8_t>) override { return false; }
};

// The machine's RAM as it is: the native machine, where guest-physical is machine. Every
// write is told to the processor (Cpu::notify_phys_write).
class MachineRamDma : public DmaMemory {
 public:
  explicit MachineRamDma(cpu::Cpu& cpu) : cpu_(cpu) {}
  bool read(uint32_t gpa, std::span<uint8_t> out) override {
    if (!inside(gpa, out.size())) return false;
    if (!out.empty()) std::memcpy(out.data(), cpu_.ram().data() + gpa, out.size());
    return true;
  }
  bool write(uint32_t gpa, std::span<const uint8_t> in) override {
    if (!inside(gpa, in.size())) return false;
    if (in.empty()) return true;
    std::memcpy(cpu_.ram().data() + gpa, in.data(), in.size());
    cpu_.notify_phys_write(gpa, static_cast<uint32_t>(in.size()));
    return true;
  }

 private:
  bool inside(uint32_t gpa, size_t len) const { return uint64_t{gpa} + len <= cpu_.ram().size(); }
  cpu::Cpu& cpu_;
};

}  // namespace vmlab::machine
