// Helpers for the integer-instruction tests (exec_*_test.cpp): running byte sequences,
// reading and presetting the six status flags, and observing exceptions as a kernel
// would, through a real IDT whose handlers spin in place.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/cpu/tests/cpu_test_support.h"

namespace vmlab::cpu::testing {

// One-letter names for the status flags, for compact expectations: C | Z | P.
namespace f {
inline constexpr uint32_t C = flags::CF;
inline constexpr uint32_t P = flags::PF;
inline constexpr uint32_t A = flags::AF;
inline constexpr uint32_t Z = flags::ZF;
inline constexpr uint32_t S = flags::SF;
inline constexpr uint32_t O = flags::OF;
inline constexpr uint32_t kAll = flags::kStatus;
}  // namespace f

class ExecTest : public CpuTest {
 protected:
  static constexpr uint32_t kData = 0x20000;  // scratch data area
  static constexpr uint32_t kGdt = 0x500;
  static constexpr uint32_t kIdt = 0x800;
  static constexpr uint32_t kHandlers = 0x6000;  // handler for vector v at kHandlers + 16 v

  // Places `code` at kCodeBase, points EIP at it and runs `count` instructions.
  RunEnd run_bytes(const std::vector<uint8_t>& code, uint64_t count = 1) {
    for (size_t i = 0; i < code.size(); ++i) ram_[kCodeBase + i] = code[i];
    cpu_.notify_phys_write(kCodeBase, static_cast<uint32_t>(code.size()));
    st().eip = kCodeBase;
    return cpu_.run(count);
  }

  uint32_t status() { return st().eflags & flags::kStatus; }
  void set_status(uint32_t s) { st().eflags = (st().eflags & ~flags::kStatus) | s; }
  uint32_t& reg(unsigned r) { return st().gpr[r]; }

  void poke8(uint32_t addr, uint8_t v) {
    ram_[addr] = v;
    cpu_.notify_phys_write(addr, 1);
  }
  void poke16(uint32_t addr, uint16_t v) {
    ram_[addr] = static_cast<uint8_t>(v);
    ram_[addr + 1] = static_cast<uint8_t>(v >> 8);
    cpu_.notify_phys_write(addr, 2);
  }
  uint16_t peek16(uint32_t addr) const {
    return static_cast<uint16_t>(ram_[addr] | ram_[addr + 1] << 8);
  }
  uint8_t peek8(uint32_t addr) const { return ram_[addr]; }

  static constexpr uint32_t kVectors = 48;  // the exceptions and 16 interrupt vectors

  // A flat GDT (null, code 0x08, data 0x10) and an IDT whose 48 gates lead to
  // handlers that jump to themselves: after a fault the processor spins there, and the
  // test reads the exception frame from the stack.
  void install_idt() {
    poke32(kGdt + 0, 0);
    poke32(kGdt + 4, 0);
    poke32(kGdt + 8, 0x0000FFFF);  // code: base 0, limit 4 GiB, DPL 0, 32-bit, execute/read
    poke32(kGdt + 12, 0x00CF9A00);
    poke32(kGdt + 16, 0x0000FFFF);  // data: base 0, limit 4 GiB, DPL 0, read/write
    poke32(kGdt + 20, 0x00CF9200);
    st().gdtr = TableRegister{kGdt, 23};
    for (uint32_t v = 0; v < kVectors; ++v) {
      const uint32_t h = handler(static_cast<uint8_t>(v));
      poke32(kIdt + 8 * v, (0x08u << 16) | (h & 0xFFFF));
      poke32(kIdt + 8 * v + 4, (h & 0xFFFF0000u) | 0x8E00u);  // present 32-bit interrupt gate
      poke(h, {0xEB, 0xFE});                                  // JMP $
    }
    st().idtr = TableRegister{kIdt, kVectors * 8 - 1};
  }
  static uint32_t handler(uint8_t vector) { return kHandlers + 16u * vector; }

  // Runs `code` whose instruction at kCodeBase + `fault_offset` must raise `vector`
  // (without an error code): the processor must be in that vector's handler with the
  // faulting instruction's EIP on top of the stack.
  void expect_fault(const std::vector<uint8_t>& code, uint8_t vector, uint32_t fault_offset = 0,
                    uint64_t count = 1) {
    install_idt();
    const uint32_t esp = reg(ESP);
    run_bytes(code, count + 1);  // +1: the handler's first JMP $
    EXPECT_EQ(st().eip, handler(vector)) << "expected vector " << int{vector};
    EXPECT_EQ(reg(ESP), esp - 12);
    EXPECT_EQ(peek32(reg(ESP)), kCodeBase + fault_offset);
  }

  // The same for a fault that pushes an error code (#GP, #SS, #PF, ...).
  void expect_fault_with_code(const std::vector<uint8_t>& code, uint8_t vector, uint32_t error,
                              uint32_t fault_offset = 0, uint64_t count = 1) {
    install_idt();
    const uint32_t esp = reg(ESP);
    run_bytes(code, count + 1);
    EXPECT_EQ(st().eip, handler(vector)) << "expected vector " << int{vector};
    EXPECT_EQ(reg(ESP), esp - 16);
    EXPECT_EQ(peek32(reg(ESP)), error);
    EXPECT_EQ(peek32(reg(ESP) + 4), kCodeBase + fault_offset);
  }
};

}  // namespace vmlab::cpu::testing
