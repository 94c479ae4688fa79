// SHL SHR SAR ROL ROR RCL RCR SHLD SHRD: results and exact flags, counts 0, 1, 31, 32
// and beyond the operand width (exec_shift.cpp). OF for counts above 1 and AF follow the
// choices documented in exec_shift.cpp.
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using ShiftTest = ExecTest;
using namespace f;

// Operand in EAX, second operand of SHLD/SHRD in EDX, count in CL where used.
struct ShiftCase {
  const char* name;
  std::vector<uint8_t> code;
  uint32_t eax, edx, cl, flags_in;
  uint32_t eax_out, flags_out;
};

const std::vector<ShiftCase> kCases = {
    {"shl1 carry out", {0xD1, 0xE0}, 0x80000001, 0, 0, 0, 0x00000002, C | O},
    {"shl1 into sign", {0xD1, 0xE0}, 0x40000000, 0, 0, C, 0x80000000, O | S | P},
    {"shl by cl=0 changes nothing", {0xD3, 0xE0}, 0x12345678, 0, 0, kAll, 0x12345678, kAll},
    {"shl by 31", {0xC1, 0xE0, 0x1F}, 3, 0, 0, 0, 0x80000000, C | S | P},
    {"shl by 32 is masked to 0", {0xC1, 0xE0, 0x20}, 3, 0, 0, A | Z, 3, A | Z},
    {"shl by 33 is 1", {0xD3, 0xE0}, 0x80000000, 0, 33, 0, 0, C | O | Z | P},
    {"shl8 by 8", {0xC0, 0xE0, 0x08}, 0xAABBCC01, 0, 0, 0, 0xAABBCC00, C | O | Z | P},
    {"shl8 by 9", {0xC0, 0xE0, 0x09}, 0x000000FF, 0, 0, kAll, 0, Z | P},
    {"sal /6 alias", {0xD1, 0xF0}, 0x00000081, 0, 0, 0, 0x00000102, 0},
    {"shr1", {0xD1, 0xE8}, 0x80000001, 0, 0, 0, 0x40000000, C | O | P},
    {"shr4", {0xC1, 0xE8, 0x04}, 0x000000F8, 0, 0, 0, 0x0000000F, C | P},
    {"shr16 by 16", {0x66, 0xC1, 0xE8, 0x10}, 0x12348000, 0, 0, 0, 0x12340000, C | O | Z | P},
    {"shr by cl 31", {0xD3, 0xE8}, 0xFFFFFFFF, 0, 31, 0, 1, C | O},
    {"sar1", {0xD1, 0xF8}, 0x80000001, 0, 0, O, 0xC0000000, C | S | P},
    {"sar31", {0xC1, 0xF8, 0x1F}, 0x80000000, 0, 0, 0, 0xFFFFFFFF, S | P},
    {"sar8 by 8 fills with sign", {0xC0, 0xF8, 0x08}, 0x00000080, 0, 0, 0, 0x000000FF, C | S | P},
    {"sar8 by 3", {0xC0, 0xF8, 0x03}, 0x0000007C, 0, 0, 0, 0x0000000F, C | P},
    // Rotates: only CF and OF change.
    {"rol1", {0xD1, 0xC0}, 0x80000001, 0, 0, Z | S | A | P, 0x00000003, C | O | Z | S | A | P},
    {"rol8 by 4", {0xC0, 0xC0, 0x04}, 0x00000012, 0, 0, 0, 0x00000021, C | O},
    {"rol8 by 8 leaves value, sets CF", {0xC0, 0xC0, 0x08}, 0x00000081, 0, 0, O, 0x81, C},
    {"rol by 0 changes nothing", {0xD3, 0xC0}, 0x80000000, 0, 0, O, 0x80000000, O},
    {"ror1", {0xD1, 0xC8}, 0x00000001, 0, 0, 0, 0x80000000, C | O},
    {"ror16 by 4", {0x66, 0xC1, 0xC8, 0x04}, 0xFFFF1234, 0, 0, C, 0xFFFF4123, O},
    {"rcl1 through carry", {0xD1, 0xD0}, 0x80000000, 0, 0, C, 0x00000001, C | O},
    {"rcl8 by 9 is a full turn", {0xC0, 0xD0, 0x09}, 0x80, 0, 0, C | O, 0x80, C},
    {"rcl8 by 1", {0xD0, 0xD0}, 0x80, 0, 0, 0, 0x00, C | O},
    {"rcl by 31", {0xC1, 0xD0, 0x1F}, 0x00000002, 0, 0, 0, 0, C | O},
    {"rcr1 through carry", {0xD1, 0xD8}, 0x00000001, 0, 0, C, 0x80000000, C | O},
    {"rcr8 by 2", {0xC0, 0xD8, 0x02}, 0x03, 0, 0, 0, 0x80, C | O},
    {"rcr16 by 17 is a full turn", {0x66, 0xD3, 0xD8}, 0x00001234, 0, 17, 0, 0x1234, 0},
    // Double shifts: EAX is the destination, EDX supplies the bits shifted in.
    {"shld 4", {0x0F, 0xA4, 0xD0, 0x04}, 0x12345678, 0x9ABCDEF0, 0, 0, 0x23456789, C},
    {"shrd cl=8", {0x0F, 0xAD, 0xD0}, 0x12345678, 0x9ABCDEF0, 8, 0, 0xF0123456, O | S | P},
    {"shld cl=0", {0x0F, 0xA5, 0xD0}, 0x12345678, 0x9ABCDEF0, 0, kAll, 0x12345678, kAll},
    {"shld 16-bit 4", {0x66, 0x0F, 0xA4, 0xD0, 0x04}, 0x00001234, 0xABCD, 0, 0, 0x234A, C},
    {"shrd 16-bit 20", {0x66, 0x0F, 0xAC, 0xD0, 0x14}, 0x00001234, 0xABCD, 0, 0, 0x4ABC, C},
    {"shrd 31", {0x0F, 0xAC, 0xD0, 0x1F}, 0x80000000, 0x00000001, 0, 0, 0x00000003, O | P},
};

TEST_F(ShiftTest, RegisterForms) {
  for (const ShiftCase& c : kCases) {
    SCOPED_TRACE(c.name);
    reg(EAX) = c.eax;
    reg(EDX) = c.edx;
    reg(ECX) = c.cl;
    set_status(c.flags_in);
    ASSERT_EQ(run_bytes(c.code), RunEnd::kBudget);
    EXPECT_EQ(reg(EAX), c.eax_out);
    EXPECT_EQ(status(), c.flags_out);
    EXPECT_EQ(reg(EDX), c.edx);
  }
}

TEST_F(ShiftTest, MemoryOperands) {
  // SHL DWORD [kData], 1 (D1 25 disp32); SAR WORD [kData+4], CL (66 D3 3D disp32);
  // ROR BYTE [kData+8], 4 (C0 0D disp32 04).
  poke32(kData, 0xC0000000);
  poke32(kData + 4, 0x00008000);
  poke32(kData + 8, 0x000000A5);
  reg(ECX) = 15;
  run_bytes({0xD1, 0x25, 0x00, 0x00, 0x02, 0x00});
  EXPECT_EQ(peek32(kData), 0x80000000u);
  EXPECT_EQ(status(), C | S | P);
  run_bytes({0x66, 0xD3, 0x3D, 0x04, 0x00, 0x02, 0x00});
  EXPECT_EQ(peek32(kData + 4), 0x0000FFFFu);
  EXPECT_EQ(status(), S | P);
  run_bytes({0xC0, 0x0D, 0x08, 0x00, 0x02, 0x00, 0x04});
  EXPECT_EQ(peek32(kData + 8), 0x0000005Au);
  // SHLD [kData], EDX, 8 (0F A4 15 disp32 08).
  poke32(kData, 0x11223344);
  reg(EDX) = 0xAABBCCDD;
  run_bytes({0x0F, 0xA4, 0x15, 0x00, 0x00, 0x02, 0x00, 0x08});
  EXPECT_EQ(peek32(kData), 0x223344AAu);
  EXPECT_EQ(status(), C | P);
}

TEST_F(ShiftTest, RclRcrChainAcrossWords) {
  // A 64-bit left shift by one through carry: SHL EAX,1; RCL EDX,1.
  reg(EAX) = 0x80000001;
  reg(EDX) = 0x40000000;
  run_bytes({0xD1, 0xE0, 0xD1, 0xD2}, 2);
  EXPECT_EQ(reg(EAX), 0x00000002u);
  EXPECT_EQ(reg(EDX), 0x80000001u);
  EXPECT_EQ(status() & (C | O), O);
  // And back: SHR EDX,1; RCR EAX,1.
  run_bytes({0xD1, 0xEA, 0xD1, 0xD8}, 2);
  EXPECT_EQ(reg(EDX), 0x40000000u);
  EXPECT_EQ(reg(EAX), 0x80000001u);
  EXPECT_EQ(status() & (C | O), O);
}

}  // namespace
}  // namespace vmlab::cpu::testing
