// MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE: both directions, 16-bit address
// size, segment overrides, a fault in the middle, interruptible long repeats and their
// modeled cycles (exec_string.cpp).
#include <cstring>
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using StringTest = ExecTest;
using namespace f;

constexpr uint32_t kSrc = 0x20000;
constexpr uint32_t kDst = 0x30000;

TEST_F(StringTest, RepMovsbForward) {
  for (uint32_t i = 0; i < 10; ++i) poke8(kSrc + i, static_cast<uint8_t>(i + 1));
  reg(ESI) = kSrc;
  reg(EDI) = kDst;
  reg(ECX) = 10;
  set_status(kAll);
  const uint64_t cycles = cpu_.cycles();
  run_bytes({0xF3, 0xA4});
  EXPECT_EQ(reg(ECX), 0u);
  EXPECT_EQ(reg(ESI), kSrc + 10);
  EXPECT_EQ(reg(EDI), kDst + 10);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(peek8(kDst + i), i + 1);
  EXPECT_EQ(peek8(kDst + 10), 0);
  EXPECT_EQ(status(), kAll);
  EXPECT_EQ(st().eip, kCodeBase + 2);
  EXPECT_EQ(cpu_.cycles() - cycles, 10u);  // one per iteration in all
}

TEST_F(StringTest, RepMovsdBackward) {
  for (uint32_t i = 0; i < 4; ++i) poke32(kSrc + 4 * i, 0x11111111u * (i + 1));
  st().eflags |= flags::DF;
  reg(ESI) = kSrc + 12;
  reg(EDI) = kDst + 12;
  reg(ECX) = 4;
  run_bytes({0xF3, 0xA5});
  EXPECT_EQ(reg(ESI), kSrc - 4);
  EXPECT_EQ(reg(EDI), kDst - 4);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(peek32(kDst + 4 * i), 0x11111111u * (i + 1));
  // MOVSW without REP: one element, 2 bytes back.
  reg(ESI) = kSrc;
  reg(EDI) = kDst + 0x40;
  reg(ECX) = 99;
  run_bytes({0x66, 0xA5});
  EXPECT_EQ(peek16(kDst + 0x40), 0x1111);
  EXPECT_EQ(reg(ESI), kSrc - 2);
  EXPECT_EQ(reg(EDI), kDst + 0x3E);
  EXPECT_EQ(reg(ECX), 99u);
}

TEST_F(StringTest, RepeCmpsbStopsAtMismatch) {
  std::memcpy(&ram_[kSrc], "abcdef", 6);
  std::memcpy(&ram_[kDst], "abcXef", 6);
  reg(ESI) = kSrc;
  reg(EDI) = kDst;
  reg(ECX) = 6;
  run_bytes({0xF3, 0xA6});
  EXPECT_EQ(reg(ECX), 2u);
  EXPECT_EQ(reg(ESI), kSrc + 4);
  EXPECT_EQ(reg(EDI), kDst + 4);
  EXPECT_EQ(status(), A | P);  // 'd' - 'X' = 0x0C
  EXPECT_EQ(st().eip, kCodeBase + 2);
  // Equal strings run out the count with ZF = 1.
  std::memcpy(&ram_[kDst], "abcdef", 6);
  reg(ESI) = kSrc;
  reg(EDI) = kDst;
  reg(ECX) = 6;
  run_bytes({0xF3, 0xA6});
  EXPECT_EQ(reg(ECX), 0u);
  EXPECT_EQ(status(), Z | P);
  // REPNE CMPSB stops at the first equal pair.
  std::memcpy(&ram_[kDst], "xyzdef", 6);
  reg(ESI) = kSrc;
  reg(EDI) = kDst;
  reg(ECX) = 6;
  run_bytes({0xF2, 0xA6});
  EXPECT_EQ(reg(ECX), 2u);
  EXPECT_EQ(status(), Z | P);
}

TEST_F(StringTest, RepneScasbFindsTheTerminator) {
  // The strlen idiom: ECX = -1; REPNE SCASB; NOT ECX; DEC ECX.
  std::memcpy(&ram_[kSrc], "hello", 6);
  reg(EAX) = 0;
  reg(EDI) = kSrc;
  reg(ECX) = 0xFFFFFFFF;
  run_bytes({0xF2, 0xAE, 0xF7, 0xD1, 0x49}, 3);
  EXPECT_EQ(reg(ECX), 5u);
  EXPECT_EQ(reg(EDI), kSrc + 6);
  // SCASD without REP compares EAX with [EDI].
  poke32(kSrc, 5);
  reg(EAX) = 3;
  reg(EDI) = kSrc;
  run_bytes({0xAF});
  EXPECT_EQ(status(), C | S | A);  // 3 - 5
  EXPECT_EQ(reg(EDI), kSrc + 4);
}

TEST_F(StringTest, StosLodsAndZeroCount) {
  reg(EAX) = 0xDEADBEEF;
  reg(EDI) = kDst;
  reg(ECX) = 3;
  run_bytes({0xF3, 0xAB});  // REP STOSD
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(peek32(kDst + 4 * i), 0xDEADBEEFu);
  EXPECT_EQ(peek32(kDst + 12), 0u);
  EXPECT_EQ(reg(EDI), kDst + 12);
  // F2 before STOS repeats like F3.
  reg(EAX) = 0x41;
  reg(EDI) = kDst + 0x20;
  reg(ECX) = 2;
  run_bytes({0xF2, 0xAA});
  EXPECT_EQ(peek16(kDst + 0x20), 0x4141);
  EXPECT_EQ(reg(ECX), 0u);
  // ECX = 0: nothing at all.
  reg(EDI) = kDst + 0x30;
  reg(ECX) = 0;
  set_status(C);
  run_bytes({0xF3, 0xAE});  // REPE SCASB
  EXPECT_EQ(reg(EDI), kDst + 0x30);
  EXPECT_EQ(status(), C);
  // LODSB, LODSW.
  poke32(kSrc, 0x44332211);
  reg(ESI) = kSrc;
  reg(EAX) = 0xFFFFFFFF;
  run_bytes({0xAC, 0x66, 0xAD}, 2);
  EXPECT_EQ(reg(EAX), 0xFFFF3322u);
  EXPECT_EQ(reg(ESI), kSrc + 3);
}

TEST_F(StringTest, SixteenBitAddressSizeAndSegments) {
  poke32(0x8000, 0xA1B2C3D4);
  reg(ESI) = 0x11118000;
  reg(EDI) = 0x22229000;
  reg(ECX) = 0x33330004;
  run_bytes({0x67, 0xF3, 0xA4});  // REP MOVSB with SI, DI, CX
  EXPECT_EQ(peek32(0x9000), 0xA1B2C3D4u);
  EXPECT_EQ(reg(ESI), 0x11118004u);
  EXPECT_EQ(reg(EDI), 0x22229004u);
  EXPECT_EQ(reg(ECX), 0x33330000u);
  // SI wraps at 64 KiB.
  reg(ESI) = 0x0000FFFF;
  run_bytes({0x67, 0xAC});  // LODSB
  EXPECT_EQ(reg(ESI), 0u);

  // The source segment can be overridden (FS), the destination is always ES.
  poke32(kSrc + 0x1000, 0x5A5A5A5A);
  st().seg[FS].base = 0x1000;
  st().seg[DS].base = 0x5000;
  reg(ESI) = kSrc;
  reg(EDI) = kDst;
  run_bytes({0x64, 0xA5});  // MOVSD FS:[ESI] -> ES:[EDI]
  EXPECT_EQ(peek32(kDst), 0x5A5A5A5Au);
  reg(EDI) = kDst + 8;
  reg(EAX) = 0x77;
  run_bytes({0x3E, 0xAA});  // DS: STOSB still writes ES:[EDI]
  EXPECT_EQ(peek8(kDst + 8), 0x77);
  EXPECT_EQ(peek8(kDst + 8 + 0x5000), 0);
}

TEST_F(StringTest, FaultInTheMiddleLeavesRegistersAtTheFaultingIteration) {
  // DS allows [0, kSrc+2]: iterations 0-2 copy, iteration 3 raises #GP(0).
  for (uint32_t i = 0; i < 10; ++i) poke8(kSrc + i, static_cast<uint8_t>(0x80 + i));
  st().seg[DS].limit = kSrc + 2;
  reg(ESI) = kSrc;
  reg(EDI) = kDst;
  reg(ECX) = 10;
  expect_fault_with_code({0xF3, 0xA4}, vec::GP, 0);
  EXPECT_EQ(reg(ECX), 7u);
  EXPECT_EQ(reg(ESI), kSrc + 3);
  EXPECT_EQ(reg(EDI), kDst + 3);
  EXPECT_EQ(peek8(kDst + 2), 0x82);
  EXPECT_EQ(peek8(kDst + 3), 0);
}

TEST_F(StringTest, LongRepRunsAcrossDispatches) {
  // REP STOSB with ECX = 100000: at most 4096 iterations per dispatch, 25 dispatches.
  reg(EAX) = 0xAB;
  reg(EDI) = 0x100000;
  reg(ECX) = 100000;
  const uint64_t cycles = cpu_.cycles();
  run_bytes({0xF3, 0xAA, 0x90}, 24);
  EXPECT_EQ(reg(ECX), 100000u - 24 * 4096);
  EXPECT_EQ(st().eip, kCodeBase);  // not finished: the REP is dispatched again
  cpu_.run(1);
  EXPECT_EQ(reg(ECX), 0u);
  EXPECT_EQ(reg(EDI), 0x100000u + 100000);
  EXPECT_EQ(st().eip, kCodeBase + 2);
  EXPECT_EQ(cpu_.cycles() - cycles, 100000u);
  EXPECT_EQ(ram_[0x100000], 0xAB);
  EXPECT_EQ(ram_[0x100000 + 99999], 0xAB);
  EXPECT_EQ(ram_[0x100000 + 100000], 0);
}

TEST_F(StringTest, InterruptIsTakenBetweenChunks) {
  install_idt();
  st().eflags |= flags::IF;
  reg(EDI) = 0x100000;
  reg(ECX) = 10000;
  run_bytes({0xF3, 0xAA}, 1);
  EXPECT_EQ(reg(ECX), 10000u - 4096);
  bus_.pending_vector = 0x21;
  cpu_.notify_interrupt_line();
  cpu_.run(1);  // delivers IRQ vector 0x21, then runs the handler's JMP $
  EXPECT_EQ(st().eip, handler(0x21));
  EXPECT_EQ(peek32(reg(ESP)), kCodeBase);  // returns to the REP, which resumes
  EXPECT_EQ(reg(ECX), 10000u - 4096);
}

TEST_F(StringTest, InsAndOuts) {
  std::memcpy(&ram_[kSrc], "abc", 3);
  reg(ESI) = kSrc;
  reg(EDX) = 0x3F8;
  reg(ECX) = 3;
  run_bytes({0xF3, 0x6E});  // REP OUTSB
  ASSERT_EQ(bus_.writes.size(), 3u);
  EXPECT_EQ(bus_.writes[0].port, 0x3F8);
  EXPECT_EQ(bus_.writes[0].value, uint32_t{'a'});
  EXPECT_EQ(bus_.writes[2].value, uint32_t{'c'});
  EXPECT_EQ(bus_.writes[2].size, 1u);
  EXPECT_EQ(reg(ESI), kSrc + 3);

  bus_.port_values[0x1F0] = 0xBEEF;
  reg(EDX) = 0x1F0;
  reg(EDI) = kDst;
  reg(ECX) = 2;
  run_bytes({0x66, 0xF3, 0x6D});  // REP INSW
  EXPECT_EQ(peek32(kDst), 0xBEEFBEEFu);
  EXPECT_EQ(reg(EDI), kDst + 4);
  run_bytes({0x6D});  // INSD
  EXPECT_EQ(peek32(kDst + 4), 0x0000BEEFu);
}

}  // namespace
}  // namespace vmlab::cpu::testing
