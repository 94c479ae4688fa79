// PUSH POP (registers, immediates, memory, ESP itself), PUSHA POPA, ENTER with nesting
// levels, LEAVE, 16-bit operand size and a 16-bit stack segment (exec_stack.cpp).
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using StackTest = ExecTest;
using namespace f;

#define DATA 0x00, 0x00, 0x02, 0x00

TEST_F(StackTest, PushPopRegistersAndImmediates) {
  reg(EAX) = 0xA1A2A3A4;
  run_bytes({0x50, 0x5B}, 2);  // PUSH EAX; POP EBX
  EXPECT_EQ(reg(EBX), 0xA1A2A3A4u);
  EXPECT_EQ(reg(ESP), kStackTop);
  EXPECT_EQ(peek32(kStackTop - 4), 0xA1A2A3A4u);

  run_bytes({0x54});  // PUSH ESP pushes the value before the push
  EXPECT_EQ(peek32(kStackTop - 4), kStackTop);
  EXPECT_EQ(reg(ESP), kStackTop - 4);
  poke32(kStackTop - 4, 0x12345678);
  run_bytes({0x5C});  // POP ESP: ESP gets the popped value
  EXPECT_EQ(reg(ESP), 0x12345678u);

  reg(ESP) = kStackTop;
  run_bytes({0x68, 0x44, 0x33, 0x22, 0x11, 0x6A, 0xFE}, 2);  // PUSH imm32; PUSH -2
  EXPECT_EQ(peek32(kStackTop - 4), 0x11223344u);
  EXPECT_EQ(peek32(kStackTop - 8), 0xFFFFFFFEu);
  EXPECT_EQ(reg(ESP), kStackTop - 8);

  reg(ESP) = kStackTop;
  poke32(kStackTop - 4, 0xFFFFFFFF);
  reg(ECX) = 0xCCCC1234;
  run_bytes({0x66, 0x51, 0x66, 0x6A, 0x80}, 2);  // PUSH CX; PUSH WORD -128
  EXPECT_EQ(reg(ESP), kStackTop - 4);
  EXPECT_EQ(peek32(kStackTop - 4), 0x1234FF80u);
  run_bytes({0x66, 0x5A});  // POP DX
  EXPECT_EQ(reg(EDX) & 0xFFFF, 0xFF80u);
  EXPECT_EQ(reg(ESP), kStackTop - 2);
}

TEST_F(StackTest, PushPopMemory) {
  reg(ESP) = kStackTop;
  poke32(kData, 0xDEADBEEF);
  run_bytes({0xFF, 0x35, DATA});  // PUSH [kData]
  EXPECT_EQ(peek32(kStackTop - 4), 0xDEADBEEFu);
  run_bytes({0xFF, 0x34, 0x24});  // PUSH [ESP]: addressed with ESP before the push
  EXPECT_EQ(peek32(kStackTop - 8), 0xDEADBEEFu);
  EXPECT_EQ(reg(ESP), kStackTop - 8);
  run_bytes({0x8F, 0x05, 0x10, 0x00, 0x02, 0x00});  // POP [kData+0x10]
  EXPECT_EQ(peek32(kData + 0x10), 0xDEADBEEFu);
  EXPECT_EQ(reg(ESP), kStackTop - 4);

  // POP [ESP]: the address is computed with ESP already incremented.
  reg(ESP) = kStackTop - 8;
  poke32(kStackTop - 8, 0xAAAAAAAA);
  poke32(kStackTop - 4, 0xBBBBBBBB);
  run_bytes({0x8F, 0x04, 0x24});
  EXPECT_EQ(reg(ESP), kStackTop - 4);
  EXPECT_EQ(peek32(kStackTop - 4), 0xAAAAAAAAu);
  // POP [ESP+4] with a 16-bit operand: ESP + 2 + 4.
  reg(ESP) = kStackTop - 8;
  poke32(kStackTop - 8, 0x00005555);
  run_bytes({0x66, 0x8F, 0x44, 0x24, 0x04});
  EXPECT_EQ(reg(ESP), kStackTop - 6);
  EXPECT_EQ(peek16(kStackTop - 2), 0x5555);
}

TEST_F(StackTest, PushaPopa) {
  for (unsigned r = 0; r < 8; ++r) {
    if (r != ESP) reg(r) = 0x10101010u * (r + 1);
  }
  reg(ESP) = kStackTop;
  run_bytes({0x60});  // PUSHA
  EXPECT_EQ(reg(ESP), kStackTop - 32);
  const uint32_t order[8] = {EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI};
  for (unsigned i = 0; i < 8; ++i) {
    const uint32_t expect = order[i] == ESP ? kStackTop : 0x10101010u * (order[i] + 1);
    EXPECT_EQ(peek32(kStackTop - 4 * (i + 1)), expect) << i;
  }
  for (unsigned r = 0; r < 8; ++r) {
    if (r != ESP) reg(r) = 0;
  }
  poke32(kStackTop - 20, 0x99999999);  // the saved ESP slot is ignored by POPA
  run_bytes({0x61});                   // POPA
  EXPECT_EQ(reg(ESP), kStackTop);
  for (unsigned r = 0; r < 8; ++r) {
    if (r != ESP) {
      EXPECT_EQ(reg(r), 0x10101010u * (r + 1)) << r;
    }
  }
  // 16-bit: PUSHA/POPA of the low words.
  reg(EAX) = 0xFFFF0001;
  run_bytes({0x66, 0x60});
  EXPECT_EQ(reg(ESP), kStackTop - 16);
  EXPECT_EQ(peek16(kStackTop - 2), 0x0001);
  EXPECT_EQ(peek16(kStackTop - 10), kStackTop & 0xFFFF);
  reg(EAX) = 0xFFFFFFFF;
  run_bytes({0x66, 0x61});
  EXPECT_EQ(reg(EAX), 0xFFFF0001u);
  EXPECT_EQ(reg(ESP), kStackTop);
}

TEST_F(StackTest, EnterLeave) {
  // ENTER 16, 0; LEAVE: the usual frame.
  reg(ESP) = kStackTop;
  reg(EBP) = 0x12345678;
  run_bytes({0xC8, 0x10, 0x00, 0x00});
  EXPECT_EQ(peek32(kStackTop - 4), 0x12345678u);
  EXPECT_EQ(reg(EBP), kStackTop - 4);
  EXPECT_EQ(reg(ESP), kStackTop - 4 - 16);
  run_bytes({0xC9});
  EXPECT_EQ(reg(EBP), 0x12345678u);
  EXPECT_EQ(reg(ESP), kStackTop);

  // ENTER 8, 3: two frame pointers copied from the enclosing frame, then the new one.
  const uint32_t outer = kStackTop + 0x100;
  poke32(outer - 4, 0x0111);
  poke32(outer - 8, 0x0222);
  reg(EBP) = outer;
  run_bytes({0xC8, 0x08, 0x00, 0x03});
  EXPECT_EQ(peek32(kStackTop - 4), outer);
  EXPECT_EQ(peek32(kStackTop - 8), 0x0111u);
  EXPECT_EQ(peek32(kStackTop - 12), 0x0222u);
  EXPECT_EQ(peek32(kStackTop - 16), kStackTop - 4);
  EXPECT_EQ(reg(EBP), kStackTop - 4);
  EXPECT_EQ(reg(ESP), kStackTop - 24);
  run_bytes({0xC9});
  EXPECT_EQ(reg(EBP), outer);
  EXPECT_EQ(reg(ESP), kStackTop);

  // ENTER 0, 1: only the new frame pointer is pushed after EBP.
  run_bytes({0xC8, 0x00, 0x00, 0x01});
  EXPECT_EQ(peek32(kStackTop - 8), kStackTop - 4);
  EXPECT_EQ(reg(ESP), kStackTop - 8);

  // 16-bit ENTER 4, 0 / LEAVE: word slots.
  reg(ESP) = kStackTop;
  reg(EBP) = 0xAAAA1234;
  run_bytes({0x66, 0xC8, 0x04, 0x00, 0x00});
  EXPECT_EQ(peek16(kStackTop - 2), 0x1234);
  EXPECT_EQ(reg(EBP), kStackTop - 2);
  EXPECT_EQ(reg(ESP), kStackTop - 6);
  run_bytes({0x66, 0xC9});
  EXPECT_EQ(reg(EBP) & 0xFFFF, 0x1234u);
  EXPECT_EQ(reg(ESP), kStackTop);
}

TEST_F(StackTest, SixteenBitStackSegmentWrapsSp) {
  // SS.B = 0: PUSH uses SP, wrapping within the 64 KiB segment; the upper half of ESP stays.
  st().seg[SS].db = false;
  reg(ESP) = 0xABCD0002;
  reg(EAX) = 0x11223344;
  run_bytes({0x50});
  EXPECT_EQ(reg(ESP), 0xABCDFFFEu);
  EXPECT_EQ(peek32(0xFFFE), 0x11223344u);
  run_bytes({0x5B});  // POP EBX
  EXPECT_EQ(reg(EBX), 0x11223344u);
  EXPECT_EQ(reg(ESP), 0xABCD0002u);
}

}  // namespace
}  // namespace vmlab::cpu::testing
