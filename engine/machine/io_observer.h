// IoObserver: a hook through which the monitor sees every port access of the guest, and
// every access to a memory-mapped device (the local APIC).
//
// The event trace of engine/vmm attaches one observer to the IoBus; with none attached
// the bus pays one pointer test per access.
#pragma once

#include <cstdint>

namespace vmlab::machine {

enum class IoDirection : uint8_t { kRead, kWrite };

struct IoAccess {
  uint16_t port;
  uint8_t size;    // 1, 2 or 4
  uint32_t value;  // the value written, or the value the read returned
  IoDirection direction;
  bool assigned;  // false: nothing is behind the port (reads all ones, writes dropped)
};

struct MmioAccess {
  uint32_t address;  // physical
  uint8_t size;      // 1, 2 or 4
  uint32_t value;    // the value written, or the value the read returned
  IoDirection direction;
};

class IoObserver {
 public:
  virtual ~IoObserver() = default;
  virtual void on_io(const IoAccess& access) = 0;
  virtual void on_mmio(const MmioAccess& /*access*/) {}
};

}  // namespace vmlab::machine
