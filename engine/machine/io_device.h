// IoDevice: what a device on the port-I/O bus implements.
//
// A device sees only an offset into the port range it was attached at (the bus does the
// decoding, as the ISA address decoder in front of each chip does), the access size in
// bytes (1, 2 or 4) and, for writes, the value.
#pragma once

#include <cstdint>

namespace vmlab::machine {

class IoDevice {
 public:
  virtual ~IoDevice() = default;
  virtual uint32_t io_read(uint16_t offset, unsigned size) = 0;
  virtual void io_write(uint16_t offset, unsigned size, uint32_t value) = 0;
};

}  // namespace vmlab::machine
