// ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT: results and exact status flags at
// 8, 16 and 32 bits, register and memory forms (exec_alu.cpp).
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using AluTest = ExecTest;
using namespace f;

// One instruction on EAX and ECX.
struct RegCase {
  const char* name;
  std::vector<uint8_t> code;
  uint32_t eax, ecx, flags_in;
  uint32_t eax_out, flags_out;
};

const std::vector<RegCase> kRegCases = {
    // ADD: carry and overflow at each width; AF from the low nibble; PF of the low byte.
    {"add32 carry to zero", {0x01, 0xC8}, 0xFFFFFFFF, 1, 0, 0, C | Z | A | P},
    {"add32 signed overflow", {0x01, 0xC8}, 0x7FFFFFFF, 1, 0, 0x80000000, O | S | A | P},
    {"add32 plain", {0x01, 0xC8}, 0x12, 0x21, kAll, 0x33, P},
    {"add8 overflow keeps upper", {0x00, 0xC8}, 0x1234567F, 1, 0, 0x12345680, O | S | A},
    {"add8 carry", {0x00, 0xC8}, 0xAABBCCFF, 1, 0, 0xAABBCC00, C | Z | A | P},
    {"add16 carry", {0x66, 0x01, 0xC8}, 0x1234FFFF, 1, 0, 0x12340000, C | Z | A | P},
    {"add16 overflow", {0x66, 0x01, 0xC8}, 0x00007FFF, 1, 0, 0x00008000, O | S | A | P},
    {"add r,rm form", {0x03, 0xC1}, 0x80000000, 0x80000000, 0, 0, C | O | Z | P},
    // ADC uses the incoming carry.
    {"adc32 with carry wraps", {0x11, 0xC8}, 0xFFFFFFFF, 0, C, 0, C | Z | A | P},
    {"adc32 carry makes overflow", {0x11, 0xC8}, 0x7FFFFFFF, 0, C, 0x80000000, O | S | A | P},
    {"adc32 without carry", {0x11, 0xC8}, 0x7FFFFFFF, 0, 0, 0x7FFFFFFF, P},
    {"adc8 nibble carry", {0x10, 0xC8}, 0x0E, 1, C, 0x10, A},
    {"adc32 full carry both", {0x11, 0xC8}, 0xFFFFFFFF, 0xFFFFFFFF, C, 0xFFFFFFFF, C | S | A | P},
    // SUB/SBB/CMP: borrow is CF.
    {"sub32 borrow", {0x29, 0xC8}, 0, 1, 0, 0xFFFFFFFF, C | S | A | P},
    {"sub32 overflow", {0x29, 0xC8}, 0x80000000, 1, 0, 0x7FFFFFFF, O | A | P},
    {"sub8 overflow", {0x28, 0xC8}, 0x80, 1, 0, 0x7F, O | A},
    {"sub16 borrow", {0x66, 0x29, 0xC8}, 0xFFFF0000, 1, 0, 0xFFFFFFFF, C | S | A | P},
    {"sub equal", {0x29, 0xC8}, 5, 5, kAll, 0, Z | P},
    {"sbb32 with borrow", {0x19, 0xC8}, 5, 5, C, 0xFFFFFFFF, C | S | A | P},
    {"sbb32 with borrow to zero", {0x19, 0xC8}, 5, 4, C, 0, Z | P},
    {"sbb8 without borrow", {0x18, 0xC8}, 0x10, 1, 0, 0x0F, A | P},
    {"cmp32 below", {0x39, 0xC8}, 3, 5, 0, 3, C | S | A},
    {"cmp8 overflow", {0x38, 0xC8}, 0x80, 1, 0, 0x80, O | A},
    {"cmp r,rm reversed", {0x3B, 0xC1}, 5, 3, 0, 5, 0},
    // Logic: CF = OF = 0; AF = 0 by our documented choice.
    {"and32", {0x21, 0xC8}, 0xF0F0F0F0, 0x0FF00FF0, kAll, 0x00F000F0, P},
    {"or32 sign", {0x09, 0xC8}, 0x80000000, 1, C | O | A, 0x80000001, S},
    {"xor self", {0x31, 0xC0}, 0xDEADBEEF, 0, C | O | S, 0, Z | P},
    {"xor8", {0x30, 0xC8}, 0xFF, 0x0F, 0, 0xF0, S | P},
    {"test8 does not write", {0x84, 0xC8}, 0x80, 0x80, C | O, 0x80, S},
    {"test32 zero", {0x85, 0xC8}, 0xF0, 0x0F, 0, 0xF0, Z | P},
    // Accumulator-immediate forms.
    {"add eax,imm32", {0x05, 0x01, 0x00, 0x00, 0x00}, 0xFFFFFFFF, 0, 0, 0, C | Z | A | P},
    {"add al,imm8", {0x04, 0x01}, 0x1234567F, 0, 0, 0x12345680, O | S | A},
    {"add ax,imm16", {0x66, 0x05, 0x01, 0x00}, 0xAAAAFFFF, 0, 0, 0xAAAA0000, C | Z | A | P},
    {"cmp al,imm8", {0x3C, 0x10}, 0x10, 0, 0, 0x10, Z | P},
    {"sub eax,imm32", {0x2D, 0x00, 0x00, 0x00, 0x80}, 0, 0, 0, 0x80000000, C | O | S | P},
    {"test al,imm8", {0xA8, 0x01}, 0x03, 0, kAll, 0x03, 0},
    {"test eax,imm32", {0xA9, 0x00, 0x00, 0x00, 0x80}, 0x80000000, 0, 0, 0x80000000, S | P},
    // Immediate groups; 83 sign-extends its imm8, 80 and 82 do not.
    {"83 add eax,-1", {0x83, 0xC0, 0xFF}, 1, 0, 0, 0, C | Z | A | P},
    {"66 83 add ax,-1", {0x66, 0x83, 0xC0, 0xFF}, 0x55550001, 0, 0, 0x55550000, C | Z | A | P},
    {"83 cmp eax,-1", {0x83, 0xF8, 0xFF}, 0xFFFFFFFF, 0, 0, 0xFFFFFFFF, Z | P},
    {"83 and eax,0x7f", {0x83, 0xE0, 0x7F}, 0xFFFFFFFF, 0, 0, 0x7F, 0},
    {"80 sub al,1", {0x80, 0xE8, 0x01}, 0x100, 0, 0, 0x1FF, C | S | A | P},
    {"82 add al,0x80", {0x82, 0xC0, 0x80}, 0x80, 0, 0, 0x00, C | O | Z | P},
    {"81 cmp eax,imm32", {0x81, 0xF8, 0x78, 0x56, 0x34, 0x12}, 0x12345678, 0, 0, 0x12345678, Z | P},
    {"81 xor eax,imm32", {0x81, 0xF0, 0xFF, 0x00, 0x00, 0x00}, 0x0F, 0, 0, 0xF0, P},
    {"80 adc al,0 with carry", {0x80, 0xD0, 0x00}, 0xFF, 0, C, 0x00, C | Z | A | P},
    {"80 sbb al,0 with borrow", {0x80, 0xD8, 0x00}, 0x00, 0, C, 0xFF, C | S | A | P},
    {"80 or al", {0x80, 0xC8, 0x01}, 0x00, 0, 0, 0x01, 0},
    {"f6 test al,imm", {0xF6, 0xC0, 0x80}, 0x80, 0, 0, 0x80, S},
    {"f6 /1 test alias", {0xF6, 0xC8, 0x03}, 0x01, 0, 0, 0x01, 0},
    {"f7 test eax,imm", {0xF7, 0xC0, 0x00, 0x00, 0x01, 0x00}, 0x10000, 0, 0, 0x10000, P},
    // INC and DEC leave CF alone.
    {"inc32 overflow keeps CF", {0x40}, 0x7FFFFFFF, 0, C, 0x80000000, C | O | S | A | P},
    {"inc16 wraps, no CF", {0x66, 0x40}, 0x1234FFFF, 0, 0, 0x12340000, Z | A | P},
    {"dec32 wraps, no CF", {0x48}, 0, 0, 0, 0xFFFFFFFF, S | A | P},
    {"dec8 overflow", {0xFE, 0xC8}, 0x80, 0, C, 0x7F, C | O | A},
    {"inc8 via fe", {0xFE, 0xC0}, 0xFF, 0, 0, 0x00, Z | A | P},
    {"inc32 via ff", {0xFF, 0xC0}, 0x0F, 0, 0, 0x10, A},
    {"dec32 via ff to zero", {0xFF, 0xC8}, 1, 0, C, 0, C | Z | P},
    {"dec ecx leaves eax", {0x49}, 7, 0, 0, 7, S | A | P},  // ECX: 0 -> FFFFFFFF
    // NEG: CF unless zero; NOT: no flags.
    {"neg zero", {0xF7, 0xD8}, 0, 0, kAll, 0, Z | P},
    {"neg one", {0xF7, 0xD8}, 1, 0, 0, 0xFFFFFFFF, C | S | A | P},
    {"neg int_min", {0xF7, 0xD8}, 0x80000000, 0, 0, 0x80000000, C | O | S | P},
    {"neg8", {0xF6, 0xD8}, 0x01, 0, 0, 0xFF, C | S | A | P},
    {"neg16", {0x66, 0xF7, 0xD8}, 0xABCD8000, 0, 0, 0xABCD8000, C | O | S | P},
    {"not32 keeps flags", {0xF7, 0xD0}, 0x0F0F0F0F, 0, kAll, 0xF0F0F0F0, kAll},
    {"not8", {0xF6, 0xD0}, 0x12345600, 0, 0, 0x123456FF, 0},
};

TEST_F(AluTest, RegisterForms) {
  for (const RegCase& c : kRegCases) {
    SCOPED_TRACE(c.name);
    reg(EAX) = c.eax;
    reg(ECX) = c.ecx;
    set_status(c.flags_in);
    ASSERT_EQ(run_bytes(c.code), RunEnd::kBudget);
    EXPECT_EQ(reg(EAX), c.eax_out);
    EXPECT_EQ(status(), c.flags_out);
    EXPECT_EQ(st().eip, kCodeBase + c.code.size());
  }
}

TEST_F(AluTest, HighByteRegistersAndOtherOperands) {
  // ADD AH, CH (00 EC): the 8-bit register numbering reaches bits 8-15.
  reg(EAX) = 0x00001200;
  reg(ECX) = 0x0000F000;
  run_bytes({0x00, 0xEC});
  EXPECT_EQ(reg(EAX), 0x00000200u);
  EXPECT_EQ(status(), C);
  // SUB EBX, EDX (29 D3).
  reg(EBX) = 10;
  reg(EDX) = 3;
  run_bytes({0x29, 0xD3});
  EXPECT_EQ(reg(EBX), 7u);
  // DEC ECX (49) and INC EDI (47).
  reg(ECX) = 0;
  reg(EDI) = 41;
  run_bytes({0x49, 0x47}, 2);
  EXPECT_EQ(reg(ECX), 0xFFFFFFFFu);
  EXPECT_EQ(reg(EDI), 42u);
}

TEST_F(AluTest, MemoryReadModifyWrite) {
  // ADD [kData], EAX (01 05 disp32).
  poke32(kData, 0xFFFFFFFF);
  reg(EAX) = 1;
  set_status(0);
  run_bytes({0x01, 0x05, 0x00, 0x00, 0x02, 0x00});
  EXPECT_EQ(peek32(kData), 0u);
  EXPECT_EQ(status(), C | Z | A | P);

  // ADD ECX, [kData + EAX*4] (03 0C 85 disp32), EAX = 1.
  poke32(kData + 4, 0x11111111);
  reg(ECX) = 0x22222222;
  run_bytes({0x03, 0x0C, 0x85, 0x00, 0x00, 0x02, 0x00});
  EXPECT_EQ(reg(ECX), 0x33333333u);
  EXPECT_EQ(status(), P);

  // LOCK INC DWORD [kData] (F0 FF 05 disp32) and DEC BYTE [kData+8] (FE 0D disp32).
  poke32(kData, 0x7FFFFFFF);
  poke8(kData + 8, 0);
  set_status(C);
  run_bytes({0xF0, 0xFF, 0x05, 0x00, 0x00, 0x02, 0x00, 0xFE, 0x0D, 0x08, 0x00, 0x02, 0x00}, 2);
  EXPECT_EQ(peek32(kData), 0x80000000u);
  EXPECT_EQ(peek8(kData + 8), 0xFF);
  EXPECT_EQ(status(), C | S | A | P);

  // CMP WORD [kData], 0x1234 (66 81 3D disp32 imm16) leaves memory alone.
  poke32(kData, 0xAAAA1234);
  run_bytes({0x66, 0x81, 0x3D, 0x00, 0x00, 0x02, 0x00, 0x34, 0x12});
  EXPECT_EQ(peek32(kData), 0xAAAA1234u);
  EXPECT_EQ(status(), Z | P);

  // NEG BYTE [kData] and NOT WORD [kData+2].
  poke32(kData, 0x00000001);
  run_bytes({0xF6, 0x1D, 0x00, 0x00, 0x02, 0x00, 0x66, 0xF7, 0x15, 0x02, 0x00, 0x02, 0x00}, 2);
  EXPECT_EQ(peek32(kData), 0xFFFF00FFu);
  EXPECT_EQ(status(), C | S | A | P);

  // SUB [EBP-4], imm8 sign-extended (83 6D FC 01): EBP-based operands use SS.
  reg(EBP) = kData + 0x14;
  poke32(kData + 0x10, 0);
  run_bytes({0x83, 0x6D, 0xFC, 0x01});
  EXPECT_EQ(peek32(kData + 0x10), 0xFFFFFFFFu);
  EXPECT_EQ(status(), C | S | A | P);
}

TEST_F(AluTest, MultiwordAdditionChainsThroughCarry) {
  // 64-bit add of EDX:EAX + EBX:ECX, as gcc emits for uint64_t: ADD EAX,ECX; ADC EDX,EBX.
  reg(EAX) = 0xFFFFFFFF;
  reg(EDX) = 0x00000001;
  reg(ECX) = 0x00000001;
  reg(EBX) = 0x00000002;
  run_bytes({0x01, 0xC8, 0x11, 0xDA}, 2);
  EXPECT_EQ(reg(EAX), 0u);
  EXPECT_EQ(reg(EDX), 4u);
  EXPECT_EQ(status(), 0u);
  // 64-bit subtract 0x1'00000000 - 1: SUB EAX,ECX; SBB EDX,EBX.
  reg(EAX) = 0;
  reg(EDX) = 1;
  reg(ECX) = 1;
  reg(EBX) = 0;
  run_bytes({0x29, 0xC8, 0x19, 0xDA}, 2);
  EXPECT_EQ(reg(EAX), 0xFFFFFFFFu);
  EXPECT_EQ(reg(EDX), 0u);
  EXPECT_EQ(status(), Z | P);
}

TEST_F(AluTest, ParityLooksAtTheLowByteOnly) {
  // OR EAX, ECX with results whose low byte has 0..8 bits set.
  const struct {
    uint32_t v;
    bool pf;
  } cases[] = {{0x00000100, true}, {0x00000001, false}, {0x00000003, true}, {0x00000007, false},
               {0x000000FF, true}, {0xFF0000FE, false}, {0x80000081, true}};
  for (const auto& c : cases) {
    reg(EAX) = c.v;
    reg(ECX) = 0;
    run_bytes({0x09, 0xC8});
    EXPECT_EQ((status() & P) != 0, c.pf) << std::hex << c.v;
  }
}

}  // namespace
}  // namespace vmlab::cpu::testing
