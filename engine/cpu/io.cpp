// Port I/O with the protected-mode I/O permission checks.
//
// SDM Vol. 1, 19.5 (I/O privilege level) and 19.5.2 (the I/O permission bitmap in the
// TSS); Vol. 2, IN/OUT pseudo-code. Only when CPL > IOPL does the processor consult the
// bitmap: one bit per port, every bit of the accessed ports must be clear.
#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"

namespace vmlab::cpu {

namespace {

// The bitmap's offset from the TSS base sits in the 16-bit field at offset 0x66 of a
// 32-bit TSS (Vol. 3A, figure 7-2). A 16-bit TSS has no bitmap.
constexpr uint32_t kIoMapBaseField = 0x66;

}  // namespace

uint32_t Cpu::io_in(uint16_t port, unsigned size) {
  check_io_permission(port, size);
  return bus_.io_read(port, size);
}

void Cpu::io_out(uint16_t port, unsigned size, uint32_t value) {
  check_io_permission(port, size);
  bus_.io_write(port, size, value);
}

bool Cpu::io_in_posting(uint16_t port, unsigned size, uint32_t& value) {
  if (!io_permitted(port, size)) {
    post_fault_as_thrown(vec::GP, 0);
    return false;
  }
  value = bus_.io_read(port, size);
  return true;
}

bool Cpu::io_out_posting(uint16_t port, unsigned size, uint32_t value) {
  if (!io_permitted(port, size)) {
    post_fault_as_thrown(vec::GP, 0);
    return false;
  }
  bus_.io_write(port, size, value);
  return true;
}

void Cpu::check_io_permission(uint16_t port, unsigned size) {
  if (!io_permitted(port, size)) fault_gp(0);
}

bool Cpu::io_permitted(uint16_t port, unsigned size) {
  if (s_.cpl <= s_.iopl()) return true;
  const SegmentCache& tr = s_.tr;
  const bool tss32 =
      !tr.s && (tr.type == sys_type::kTss32Busy || tr.type == sys_type::kTss32Available);
  if (!tss32 || tr.limit < kIoMapBaseField + 1) return false;
  const uint32_t map = lin_read16(tr.base + kIoMapBaseField, true);
  // The processor reads the two bytes that hold the port's bits; both must lie within the
  // TSS limit, which is why a bitmap ends with an extra 0xFF byte (19.5.2).
  const uint32_t byte = map + port / 8u;
  if (byte + 1 > tr.limit) return false;
  const uint32_t bits = lin_read16(tr.base + byte, true);
  const uint32_t mask = ((1u << size) - 1) << (port & 7u);
  return (bits & mask) == 0;
}

}  // namespace vmlab::cpu
