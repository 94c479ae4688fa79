// The explicit memory operands of one guest instruction, for read and access watchpoints
// (Z3, Z4): Capstone decodes the instruction at the guest's EIP with operand details
// (its `access` flags say read, write or both), and the effective addresses come from the
// guest's registers and segment bases. Implicit accesses (the stack of PUSH, POP, CALL,
// RET; descriptor tables) are not listed.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/cpu/cpu_state.h"

namespace vmlab::debug {

struct MemoryAccess {
  uint32_t linear = 0;
  uint32_t size = 0;
  bool read = false;
  bool write = false;
};

class AccessDecoder {
 public:
  AccessDecoder();
  ~AccessDecoder();
  AccessDecoder(const AccessDecoder&) = delete;
  AccessDecoder& operator=(const AccessDecoder&) = delete;

  // The memory operands of the instruction whose bytes start `code` (fetched at `eip`),
  // with `state`'s registers; empty when it does not decode or has none.
  std::vector<MemoryAccess> accesses(std::span<const uint8_t> code, uint32_t eip,
                                     const cpu::CpuState& state) const;

 private:
  size_t handle_ = 0;  // Capstone's csh
};

}  // namespace vmlab::debug
