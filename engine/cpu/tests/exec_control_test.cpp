// JMP Jcc CALL RET LOOP LOOPE LOOPNE JECXZ: targets, the return-address push, 16-bit
// truncation, address-size selection of CX/ECX, and #GP(0) beyond the CS limit
// (exec_control.cpp).
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using ControlTest = ExecTest;
using namespace f;

#define DATA 0x00, 0x00, 0x02, 0x00

TEST_F(ControlTest, Jumps) {
  run_bytes({0xEB, 0x10});  // JMP +0x10
  EXPECT_EQ(st().eip, kCodeBase + 2 + 0x10);
  run_bytes({0xEB, 0xFE});  // JMP $ (rel8 -2)
  EXPECT_EQ(st().eip, kCodeBase);
  run_bytes({0xE9, 0x00, 0x01, 0x00, 0x00});  // JMP rel32 +0x100
  EXPECT_EQ(st().eip, kCodeBase + 5 + 0x100);
  run_bytes({0xE9, 0xFB, 0xEF, 0xFF, 0xFF});  // JMP rel32 -0x1005
  EXPECT_EQ(st().eip, 0u);
  reg(EAX) = 0x00345678;
  run_bytes({0xFF, 0xE0});  // JMP EAX
  EXPECT_EQ(st().eip, 0x00345678u);
  run_bytes({0x66, 0xFF, 0xE0});  // JMP AX: 16-bit operand size truncates EIP
  EXPECT_EQ(st().eip, 0x5678u);
  poke32(kData, 0x4000);
  run_bytes({0xFF, 0x25, DATA});  // JMP [kData]
  EXPECT_EQ(st().eip, 0x4000u);
}

TEST_F(ControlTest, ConditionalJumps) {
  // JZ +5 taken / not taken; 0F 8C (JL rel32) taken with SF != OF.
  set_status(Z);
  run_bytes({0x74, 0x05});
  EXPECT_EQ(st().eip, kCodeBase + 7);
  set_status(0);
  run_bytes({0x74, 0x05});
  EXPECT_EQ(st().eip, kCodeBase + 2);
  set_status(O);
  run_bytes({0x0F, 0x8C, 0x00, 0x02, 0x00, 0x00});
  EXPECT_EQ(st().eip, kCodeBase + 6 + 0x200);
  set_status(O | S);
  run_bytes({0x0F, 0x8C, 0x00, 0x02, 0x00, 0x00});
  EXPECT_EQ(st().eip, kCodeBase + 6);
  // JA (77) taken only with CF = ZF = 0; JBE (76) the reverse; backward rel8.
  set_status(0);
  run_bytes({0x77, 0xF0});
  EXPECT_EQ(st().eip, kCodeBase + 2 - 0x10);
  set_status(C);
  run_bytes({0x76, 0xF0});
  EXPECT_EQ(st().eip, kCodeBase + 2 - 0x10);
  // A compare-and-branch loop: count EAX up to 10 (INC EAX; CMP EAX,10; JNE -6).
  reg(EAX) = 0;
  run_bytes({0x40, 0x83, 0xF8, 0x0A, 0x75, 0xFA}, 30);
  EXPECT_EQ(reg(EAX), 10u);
  EXPECT_EQ(st().eip, kCodeBase + 6);
}

TEST_F(ControlTest, CallAndReturn) {
  reg(ESP) = kStackTop;
  run_bytes({0xE8, 0x00, 0x01, 0x00, 0x00});  // CALL +0x100
  EXPECT_EQ(st().eip, kCodeBase + 5 + 0x100);
  EXPECT_EQ(reg(ESP), kStackTop - 4);
  EXPECT_EQ(peek32(kStackTop - 4), kCodeBase + 5);
  poke(kCodeBase + 0x105, {0xC3});  // RET
  set_status(kAll);
  cpu_.run(1);
  EXPECT_EQ(st().eip, kCodeBase + 5);
  EXPECT_EQ(reg(ESP), kStackTop);
  EXPECT_EQ(status(), kAll);

  // CALL EAX; CALL [kData]; RET 8 releases the arguments.
  reg(EAX) = 0x3000;
  run_bytes({0xFF, 0xD0});
  EXPECT_EQ(st().eip, 0x3000u);
  EXPECT_EQ(peek32(kStackTop - 4), kCodeBase + 2);
  poke32(kData, 0x3100);
  run_bytes({0xFF, 0x15, DATA});
  EXPECT_EQ(st().eip, 0x3100u);
  EXPECT_EQ(reg(ESP), kStackTop - 8);
  poke(0x3100, {0xC2, 0x08, 0x00});  // RET 8
  cpu_.run(1);
  EXPECT_EQ(st().eip, kCodeBase + 6);
  EXPECT_EQ(reg(ESP), kStackTop - 8 + 4 + 8);

  // 16-bit CALL/RET: a word return address.
  reg(ESP) = kStackTop;
  run_bytes({0x66, 0xE8, 0x10, 0x00});  // CALL rel16
  EXPECT_EQ(st().eip, kCodeBase + 4 + 0x10);
  EXPECT_EQ(reg(ESP), kStackTop - 2);
  EXPECT_EQ(peek16(kStackTop - 2), kCodeBase + 4);
  poke(kCodeBase + 0x14, {0x66, 0xC3});
  cpu_.run(1);
  EXPECT_EQ(st().eip, kCodeBase + 4);
  EXPECT_EQ(reg(ESP), kStackTop);
}

TEST_F(ControlTest, Loops) {
  // MOV ECX,5; INC EAX; LOOP -3.
  reg(EAX) = 0;
  run_bytes({0xB9, 0x05, 0x00, 0x00, 0x00, 0x40, 0xE2, 0xFD}, 11);
  EXPECT_EQ(reg(EAX), 5u);
  EXPECT_EQ(reg(ECX), 0u);
  EXPECT_EQ(st().eip, kCodeBase + 8);

  // LOOP with a 16-bit address size counts in CX only.
  reg(ECX) = 0x00010001;
  set_status(kAll);
  run_bytes({0x67, 0xE2, 0x10});
  EXPECT_EQ(reg(ECX), 0x00010000u);
  EXPECT_EQ(st().eip, kCodeBase + 3);
  EXPECT_EQ(status(), kAll);  // LOOP changes no flags
  reg(ECX) = 0x00010000;
  run_bytes({0x67, 0xE2, 0x10});  // CX 0 -> FFFF: taken
  EXPECT_EQ(reg(ECX), 0x0001FFFFu);
  EXPECT_EQ(st().eip, kCodeBase + 3 + 0x10);

  // LOOPE continues while ZF = 1, LOOPNE while ZF = 0.
  reg(ECX) = 3;
  set_status(Z);
  run_bytes({0xE1, 0x10});
  EXPECT_EQ(st().eip, kCodeBase + 0x12);
  set_status(0);
  run_bytes({0xE1, 0x10});
  EXPECT_EQ(st().eip, kCodeBase + 2);
  EXPECT_EQ(reg(ECX), 1u);
  run_bytes({0xE0, 0x10});  // LOOPNE: ECX becomes 0: not taken
  EXPECT_EQ(st().eip, kCodeBase + 2);
  EXPECT_EQ(reg(ECX), 0u);

  // JECXZ / JCXZ.
  reg(ECX) = 0;
  run_bytes({0xE3, 0x20});
  EXPECT_EQ(st().eip, kCodeBase + 0x22);
  reg(ECX) = 0x00010000;
  run_bytes({0xE3, 0x20});
  EXPECT_EQ(st().eip, kCodeBase + 2);
  run_bytes({0x67, 0xE3, 0x20});  // JCXZ: CX is 0
  EXPECT_EQ(st().eip, kCodeBase + 0x23);
}

TEST_F(ControlTest, TargetBeyondCsLimitFaultsAtTheBranch) {
  st().seg[CS].limit = 0x1FFF;
  reg(ESP) = kStackTop;
  expect_fault_with_code({0xE9, 0x00, 0x20, 0x00, 0x00}, vec::GP, 0);  // JMP +0x2000
  // CALL beyond the limit pushes nothing: only the exception frame is on the stack.
  st().seg[CS].limit = 0x1FFF;
  reg(ESP) = kStackTop;
  expect_fault_with_code({0xE8, 0x00, 0x20, 0x00, 0x00}, vec::GP, 0);
  EXPECT_EQ(reg(ESP), kStackTop - 16);
  // A not-taken Jcc does not check its target.
  st().seg[CS].limit = 0x1FFF;
  set_status(0);
  run_bytes({0x0F, 0x84, 0x00, 0x20, 0x00, 0x00});  // JZ +0x2000, not taken
  EXPECT_EQ(st().eip, kCodeBase + 6);
}

}  // namespace
}  // namespace vmlab::cpu::testing
