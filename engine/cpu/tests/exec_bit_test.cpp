// BT BTS BTR BTC (register and immediate offsets, bit strings in memory reaching far
// outside the addressed dword), BSF BSR (including a zero source) and SETcc for all
// sixteen conditions (exec_bit.cpp).
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using BitTest = ExecTest;
using namespace f;

struct BitCase {
  const char* name;
  std::vector<uint8_t> code;
  uint32_t eax, ecx, flags_in;
  uint32_t eax_out, flags_out;
};

// BT* r/m=EAX, offset=ECX (ModRM C8) or an immediate (0F BA /4-/7, ModRM E0 E8 F0 F8).
// OF SF AF PF and ZF are left as they were.
const std::vector<BitCase> kCases = {
    {"bt set bit", {0x0F, 0xA3, 0xC8}, 0x10, 4, Z | S, 0x10, C | Z | S},
    {"bt offset modulo 32", {0x0F, 0xA3, 0xC8}, 0x10, 36, O | A | P, 0x10, C | O | A | P},
    {"bt clear bit", {0x0F, 0xA3, 0xC8}, 0x10, 3, C, 0x10, 0},
    {"bts", {0x0F, 0xAB, 0xC8}, 0, 31, 0, 0x80000000, 0},
    {"btr", {0x0F, 0xB3, 0xC8}, 0xFFFFFFFF, 0, 0, 0xFFFFFFFE, C},
    {"btc", {0x0F, 0xBB, 0xC8}, 1, 0, 0, 0, C},
    {"bt16 offset modulo 16", {0x66, 0x0F, 0xA3, 0xC8}, 0x00010010, 20, 0, 0x00010010, C},
    {"btc16", {0x66, 0x0F, 0xBB, 0xC8}, 0xFFFF0000, 31, 0, 0xFFFF8000, 0},
    {"bt imm", {0x0F, 0xBA, 0xE0, 0x1F}, 0x80000000, 0, 0, 0x80000000, C},
    {"bts imm modulo 32", {0x0F, 0xBA, 0xE8, 0x21}, 0, 0, 0, 2, 0},
    {"btr imm", {0x0F, 0xBA, 0xF0, 0x00}, 3, 0, 0, 2, C},
    {"btc imm", {0x0F, 0xBA, 0xF8, 0x04}, 0, 0, C, 0x10, 0},
    // BSF/BSR EAX, ECX (ModRM C1): ZF and the destination.
    {"bsf", {0x0F, 0xBC, 0xC1}, 0, 0x00010100, Z, 8, 0},
    {"bsr", {0x0F, 0xBD, 0xC1}, 0, 0x00010100, C | S, 16, C | S},
    {"bsf bit 31", {0x0F, 0xBC, 0xC1}, 0, 0x80000000, 0, 31, 0},
    {"bsf zero keeps destination", {0x0F, 0xBC, 0xC1}, 0x12345678, 0, C, 0x12345678, C | Z},
    {"bsr zero keeps destination", {0x0F, 0xBD, 0xC1}, 0x12345678, 0, 0, 0x12345678, Z},
    {"bsr16", {0x66, 0x0F, 0xBD, 0xC1}, 0xAAAA0000, 0xFFFF8001, 0, 0xAAAA000F, 0},
    {"bsf16 ignores upper half",
     {0x66, 0x0F, 0xBC, 0xC1},
     0xAAAA5555,
     0x00010000,
     0,
     0xAAAA5555,
     Z},
};

TEST_F(BitTest, RegisterForms) {
  for (const BitCase& c : kCases) {
    SCOPED_TRACE(c.name);
    reg(EAX) = c.eax;
    reg(ECX) = c.ecx;
    set_status(c.flags_in);
    ASSERT_EQ(run_bytes(c.code), RunEnd::kBudget);
    EXPECT_EQ(reg(EAX), c.eax_out);
    EXPECT_EQ(status(), c.flags_out);
  }
}

TEST_F(BitTest, BitStringsInMemory) {
  // BT [kData], ECX (0F A3 0D disp32) with offset 100: dword kData+12, bit 4.
  poke32(kData + 12, 0x10);
  reg(ECX) = 100;
  run_bytes({0x0F, 0xA3, 0x0D, 0x00, 0x00, 0x02, 0x00});
  EXPECT_EQ(status(), C);

  // BTS [kData], ECX with offset -1: bit 31 of the dword at kData-4.
  reg(ECX) = 0xFFFFFFFF;
  run_bytes({0x0F, 0xAB, 0x0D, 0x00, 0x00, 0x02, 0x00});
  EXPECT_EQ(peek32(kData - 4), 0x80000000u);
  EXPECT_EQ(status(), 0u);

  // BTC [kData], ECX with offset 0x1000: bit 0 of the dword at kData+0x200.
  reg(ECX) = 0x1000;
  run_bytes({0x0F, 0xBB, 0x0D, 0x00, 0x00, 0x02, 0x00});
  EXPECT_EQ(peek32(kData + 0x200), 1u);
  EXPECT_EQ(peek32(kData), 0u);

  // BTR WORD [kData], CX with CX = -17: word at kData-4, bit 15.
  poke32(kData - 4, 0xFFFFFFFF);
  reg(ECX) = 0x1234FFEF;
  run_bytes({0x66, 0x0F, 0xB3, 0x0D, 0x00, 0x00, 0x02, 0x00});
  EXPECT_EQ(peek32(kData - 4), 0xFFFF7FFFu);
  EXPECT_EQ(status(), C);

  // BT [kData+12], 35 (0F BA 25 disp32 23): the immediate offset stays in the dword (bit 3).
  poke32(kData + 12, 0x08);
  run_bytes({0x0F, 0xBA, 0x25, 0x0C, 0x00, 0x02, 0x00, 0x23});
  EXPECT_EQ(status(), C);

  // BSF EAX, [kData+12].
  run_bytes({0x0F, 0xBC, 0x05, 0x0C, 0x00, 0x02, 0x00});
  EXPECT_EQ(reg(EAX), 3u);
}

TEST_F(BitTest, SetccAllConditions) {
  // Expected SETcc results for cc = 0..15 (O NO B AE E NE BE A S NS P NP L GE LE G).
  const struct {
    uint32_t flags;
    uint8_t expect[16];
  } states[] = {
      {C | Z, {0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0}},
      {S, {0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0}},
      {S | O | P, {1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1}},
      {0, {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}},
      {O, {1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0}},
  };
  for (const auto& s : states) {
    for (uint8_t cc = 0; cc < 16; ++cc) {
      SCOPED_TRACE(::testing::Message() << "flags " << s.flags << " cc " << int{cc});
      reg(EAX) = 0xFFFFFFFF;
      set_status(s.flags);
      run_bytes({0x0F, static_cast<uint8_t>(0x90 + cc), 0xC0});  // SETcc AL
      EXPECT_EQ(reg(EAX), 0xFFFFFF00u | s.expect[cc]);
      EXPECT_EQ(status(), s.flags);
    }
  }
  // SETNE BYTE [kData] (0F 95 05 disp32) and SETA BH (0F 97 C7).
  poke32(kData, 0xFFFFFFFF);
  reg(EBX) = 0;
  set_status(0);
  run_bytes({0x0F, 0x95, 0x05, 0x00, 0x00, 0x02, 0x00, 0x0F, 0x97, 0xC7}, 2);
  EXPECT_EQ(peek32(kData), 0xFFFFFF01u);
  EXPECT_EQ(reg(EBX), 0x0100u);
}

}  // namespace
}  // namespace vmlab::cpu::testing
