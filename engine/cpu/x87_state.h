// The x87 FPU's architectural state (SDM Vol. 1, chapter 8, "Programming with the x87
// FPU"): eight 80-bit data registers used as a stack, the control, status and tag words,
// and the last instruction and data pointers. Registers are held as the host's `long
// double`, which on an x86-64 host is the same 80-bit extended format (exec_x87.cpp checks
// it at compile time), so loads, stores and FNSAVE images are bit-exact.
#pragma once

#include <cstdint>

namespace vmlab::cpu {

struct X87State {
  long double st[8] = {};  // physical registers R0-R7; ST(i) is R[(top + i) mod 8]
  uint16_t cw = 0x037F;    // as FNINIT leaves it: every exception masked, 64-bit precision
  uint16_t sw = 0;         // without TOP (bits 11-13), which is `top`
  uint8_t top = 0;
  uint8_t full = 0;  // bit i set: R[i] is not empty (the tag word's "empty" state is 11)
  uint32_t fip = 0, fdp = 0;
  uint16_t fcs = 0, fds = 0, fop = 0;
};

}  // namespace vmlab::cpu
