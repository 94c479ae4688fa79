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

// A request that reached a disk: a command the ATA controller executes, or a request a
// PV block back end takes from its ring. Whatever path led to it, it is the device's own
// work (the blk_request event, docs/trace-format.md; docs/disk.md, "Cost in each mode").
enum class BlockOp : uint8_t { kRead = 0, kWrite = 1, kFlush = 3, kOther = 4 };
struct BlockRequest {
  BlockOp op;
  uint64_t sector;   // the first sector (0 for a flush or a command without one)
  uint32_t sectors;  // sectors asked for (0 for a flush)
  // The ATA command byte, or 0x100 + the segments of a ring request.
  uint32_t detail;
};

class IoObserver {
 public:
  virtual ~IoObserver() = default;
  virtual void on_io(const IoAccess& access) = 0;
  virtual void on_mmio(const MmioAccess& /*access*/) {}
  virtual void on_block_request(const BlockRequest& /*request*/) {}
};

}  // namespace vmlab::machine
