// What the processor sees of the rest of the PC: the port-I/O space, memory-mapped
// devices, and the INTR line of the interrupt controller. engine/machine implements it;
// the processor knows nothing of which devices sit behind it.
#pragma once

#include <cstdint>

namespace vmlab::cpu {

class Bus {
 public:
  virtual ~Bus() = default;

  // Port I/O; size is 1, 2 or 4 bytes. A port with nothing behind it reads all ones.
  virtual uint32_t io_read(uint16_t port, unsigned size) = 0;
  virtual void io_write(uint16_t port, unsigned size, uint32_t value) = 0;

  // Physical addresses outside RAM. Nothing there reads all ones; writes are dropped.
  virtual uint32_t mmio_read(uint32_t paddr, unsigned size) = 0;
  virtual void mmio_write(uint32_t paddr, unsigned size, uint32_t value) = 0;

  // The INTR pin and the interrupt-acknowledge cycle (8259A: the PIC answers INTA with a vector).
  virtual bool intr_pending() = 0;
  virtual uint8_t intr_acknowledge() = 0;

  // Model-specific registers that belong to a device rather than the core (the local
  // APIC's IA32_APIC_BASE). kUnhandled leaves the MSR to the processor.
  enum class MsrResult { kUnhandled, kOk, kFault };
  virtual MsrResult msr_read(uint32_t /*index*/, uint64_t& /*value*/) {
    return MsrResult::kUnhandled;
  }
  virtual MsrResult msr_write(uint32_t /*index*/, uint64_t /*value*/) {
    return MsrResult::kUnhandled;
  }
  // Whether the processor's local APIC is present and globally enabled
  // (CPUID.1:EDX.APIC, SDM Vol. 3A 10.4.3).
  virtual bool local_apic_enabled() const { return false; }
};

}  // namespace vmlab::cpu
