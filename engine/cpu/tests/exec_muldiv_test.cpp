// MUL IMUL DIV IDIV: products and overflow flags, quotients and remainders with their
// signs, and #DE for a zero divisor and for quotients that do not fit (exec_muldiv.cpp).
// SF ZF PF after a multiplication describe the low half (our documented choice); DIV and
// IDIV leave the flags unchanged.
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using MulDivTest = ExecTest;
using namespace f;

struct MulDivCase {
  const char* name;
  std::vector<uint8_t> code;
  uint32_t eax, ecx, edx, flags_in;
  uint32_t eax_out, edx_out, flags_out;
};

const std::vector<MulDivCase> kCases = {
    {"mul32 overflow", {0xF7, 0xE1}, 0x80000000, 2, 0xFFFF, 0, 0, 1, C | O | Z | P},
    {"mul32 small", {0xF7, 0xE1}, 3, 5, 0xFFFF, kAll, 15, 0, P},
    {"mul32 max", {0xF7, 0xE1}, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0, 1, 0xFFFFFFFE, C | O},
    {"mul8 into ah", {0xF6, 0xE1}, 0xAAAA0080, 2, 0x1234, 0, 0xAAAA0100, 0x1234, C | O | Z | P},
    {"mul8 fits", {0xF6, 0xE1}, 0x0000000F, 0x11, 0, 0, 0x00FF, 0, P | S},
    {"mul16 into dx",
     {0x66, 0xF7, 0xE1},
     0x5555FFFF,
     0xFFFF,
     0xAAAA0000,
     0,
     0x55550001,
     0xAAAAFFFE,
     C | O},
    {"imul32 -1*-1", {0xF7, 0xE9}, 0xFFFFFFFF, 0xFFFFFFFF, 7, 0, 1, 0, 0},
    {"imul32 int_min*-1", {0xF7, 0xE9}, 0x80000000, 0xFFFFFFFF, 0, 0, 0x80000000, 0, C | O | S | P},
    {"imul32 negative fits", {0xF7, 0xE9}, 0xFFFFFFFE, 3, 0, kAll, 0xFFFFFFFA, 0xFFFFFFFF, S | P},
    {"imul8 -128*-1", {0xF6, 0xE9}, 0x80, 0xFF, 0, 0, 0x0080, 0, C | O | S},
    {"imul8 -2*3", {0xF6, 0xE9}, 0xFE, 3, 0, 0, 0xFFFA, 0, S | P},
    {"imul16 overflow", {0x66, 0xF7, 0xE9}, 0x4000, 4, 0, 0, 0x0000, 0x0001, C | O | Z | P},
    {"imul r32,rm32 truncates", {0x0F, 0xAF, 0xC1}, 0x10000, 0x10000, 9, 0, 0, 9, C | O | Z | P},
    {"imul r32,rm32 fits", {0x0F, 0xAF, 0xC1}, 0xFFFFFFF9, 6, 9, kAll, 0xFFFFFFD6, 9, S},
    {"imul 6b imm8 negative", {0x6B, 0xC1, 0xFD}, 0, 7, 0, 0, 0xFFFFFFEB, 0, S | P},
    {"imul 66 69 imm16 overflow",
     {0x66, 0x69, 0xC1, 0x00, 0x01},
     0xABCD0000,
     0x0100,
     0,
     0,
     0xABCD0000,
     0,
     C | O | Z | P},
    {"imul 69 imm32", {0x69, 0xC1, 0x00, 0x00, 0x01, 0x00}, 0, 0x7FFF, 0, 0, 0x7FFF0000, 0, P},
    {"div32", {0xF7, 0xF1}, 0, 2, 1, kAll, 0x80000000, 0, kAll},
    {"div32 remainder", {0xF7, 0xF1}, 100, 7, 0, 0, 14, 2, 0},
    {"div8", {0xF6, 0xF1}, 0xFFFF0105, 0x10, 0x99, 0, 0xFFFF0510, 0x99, 0},
    {"div16", {0x66, 0xF7, 0xF1}, 0x12340000, 3, 0x56780001, 0, 0x12345555, 0x56780001, 0},
    {"idiv32 truncates toward zero",
     {0xF7, 0xF9},
     0xFFFFFFF9,
     2,
     0xFFFFFFFF,
     0,
     0xFFFFFFFD,
     0xFFFFFFFF,
     0},
    {"idiv32 positive by negative", {0xF7, 0xF9}, 7, 0xFFFFFFFE, 0, 0, 0xFFFFFFFD, 1, 0},
    {"idiv32 int_min by 1", {0xF7, 0xF9}, 0x80000000, 1, 0xFFFFFFFF, 0, 0x80000000, 0, 0},
    {"idiv32 by -1", {0xF7, 0xF9}, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0x7FFFFFFF, 0, 0},
    {"idiv8", {0xF6, 0xF9}, 0xFF9C, 0x07, 0, 0, 0xFEF2, 0, 0},  // -100 / 7 = -14 r -2
    {"idiv16", {0x66, 0xF7, 0xF9}, 0x00000007, 0xFFFE, 0, 0, 0x0000FFFD, 0x00000001, 0},
};

TEST_F(MulDivTest, RegisterForms) {
  for (const MulDivCase& c : kCases) {
    SCOPED_TRACE(c.name);
    reg(EAX) = c.eax;
    reg(ECX) = c.ecx;
    reg(EDX) = c.edx;
    set_status(c.flags_in);
    ASSERT_EQ(run_bytes(c.code), RunEnd::kBudget);
    EXPECT_EQ(reg(EAX), c.eax_out);
    EXPECT_EQ(reg(EDX), c.edx_out);
    EXPECT_EQ(status(), c.flags_out);
  }
}

TEST_F(MulDivTest, MemoryOperands) {
  // IMUL EAX, [kData], 10 (6B 05 disp32 0A) and DIV DWORD [kData+4] (F7 35 disp32).
  poke32(kData, 0xFFFFFFFF);
  poke32(kData + 4, 10);
  run_bytes({0x6B, 0x05, 0x00, 0x00, 0x02, 0x00, 0x0A});
  EXPECT_EQ(reg(EAX), 0xFFFFFFF6u);
  reg(EAX) = 1234;
  reg(EDX) = 0;
  run_bytes({0xF7, 0x35, 0x04, 0x00, 0x02, 0x00});
  EXPECT_EQ(reg(EAX), 123u);
  EXPECT_EQ(reg(EDX), 4u);
}

// #DE: raised before anything is written; the handler sees the DIV's own EIP.
struct DivFault {
  const char* name;
  std::vector<uint8_t> code;
  uint32_t eax, ecx, edx;
};

TEST_F(MulDivTest, DivideErrors) {
  const std::vector<DivFault> faults = {
      {"div32 by zero", {0xF7, 0xF1}, 5, 0, 0},
      {"div32 quotient overflow", {0xF7, 0xF1}, 0, 2, 2},
      {"div8 quotient overflow", {0xF6, 0xF1}, 0x0100, 1, 0},
      {"div16 by zero", {0x66, 0xF7, 0xF1}, 1, 0xFFFF0000, 0},
      {"idiv32 int_min / -1", {0xF7, 0xF9}, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFF},
      {"idiv32 int64_min / -1", {0xF7, 0xF9}, 0, 0xFFFFFFFF, 0x80000000},
      {"idiv32 positive overflow", {0xF7, 0xF9}, 0, 2, 1},
      {"idiv8 -128 / -1", {0xF6, 0xF9}, 0xFF80, 0xFF, 0},
      {"idiv16 by zero", {0x66, 0xF7, 0xF9}, 1, 0, 0},
      {"aam 0", {0xD4, 0x00}, 0x55, 0, 0},
  };
  for (const DivFault& c : faults) {
    SCOPED_TRACE(c.name);
    reg(ESP) = kStackTop;
    reg(EAX) = c.eax;
    reg(ECX) = c.ecx;
    reg(EDX) = c.edx;
    set_status(C | Z);
    expect_fault(c.code, vec::DE);
    EXPECT_EQ(reg(EAX), c.eax);
    EXPECT_EQ(reg(ECX), c.ecx);
    EXPECT_EQ(reg(EDX), c.edx);
    EXPECT_EQ(status(), C | Z);
  }
}

}  // namespace
}  // namespace vmlab::cpu::testing
