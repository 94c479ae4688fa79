// MOV (all forms incl. moffs), MOVZX/MOVSX, XCHG, CMPXCHG, CMPXCHG8B, XADD, LEA, BSWAP,
// CMOVcc, CBW/CWDE/CWD/CDQ, XLAT (exec_move.cpp).
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using MoveTest = ExecTest;
using namespace f;

// kData = 0x20000; its little-endian disp32 bytes.
#define DATA 0x00, 0x00, 0x02, 0x00

TEST_F(MoveTest, MovForms) {
  reg(EAX) = 0x11223344;
  reg(ECX) = 0xAAAAAAAA;
  set_status(C | Z);
  run_bytes({0x89, 0xC1});  // MOV ECX, EAX
  EXPECT_EQ(reg(ECX), 0x11223344u);
  run_bytes({0x88, 0xE1});  // MOV CL, AH
  EXPECT_EQ(reg(ECX), 0x11223333u);
  run_bytes({0x66, 0x8B, 0xC8});  // MOV CX, AX
  EXPECT_EQ(reg(ECX), 0x11223344u);
  run_bytes({0xBA, 0x78, 0x56, 0x34, 0x12, 0xB7, 0x99}, 2);  // MOV EDX, imm32; MOV BH, imm8
  EXPECT_EQ(reg(EDX), 0x12345678u);
  EXPECT_EQ(reg(EBX) & 0xFF00, 0x9900u);
  run_bytes({0x66, 0xB9, 0xEF, 0xBE});  // MOV CX, imm16
  EXPECT_EQ(reg(ECX), 0x1122BEEFu);
  EXPECT_EQ(status(), C | Z);  // MOV changes no flags

  run_bytes({0x89, 0x05, DATA});  // MOV [kData], EAX
  EXPECT_EQ(peek32(kData), 0x11223344u);
  run_bytes({0x66, 0xC7, 0x05, DATA, 0xCD, 0xAB});  // MOV WORD [kData], imm16
  EXPECT_EQ(peek32(kData), 0x1122ABCDu);
  run_bytes({0xC6, 0x05, 0x03, 0x00, 0x02, 0x00, 0x77});  // MOV BYTE [kData+3], imm8
  EXPECT_EQ(peek32(kData), 0x7722ABCDu);
  run_bytes({0xC7, 0x05, 0x04, 0x00, 0x02, 0x00, 0x01, 0x02, 0x03, 0x04});  // MOV DWORD
  EXPECT_EQ(peek32(kData + 4), 0x04030201u);
  run_bytes({0x8A, 0x25, 0x04, 0x00, 0x02, 0x00});  // MOV AH, [kData+4]
  EXPECT_EQ(reg(EAX), 0x11220144u);
}

TEST_F(MoveTest, MoffsAndSegmentOverride) {
  poke32(kData, 0xCAFEF00D);
  run_bytes({0xA1, DATA});  // MOV EAX, [kData]
  EXPECT_EQ(reg(EAX), 0xCAFEF00Du);
  run_bytes({0xA0, 0x03, 0x00, 0x02, 0x00});  // MOV AL, [kData+3]
  EXPECT_EQ(reg(EAX), 0xCAFEF0CAu);
  run_bytes({0x66, 0xA3, 0x10, 0x00, 0x02, 0x00});  // MOV [kData+0x10], AX
  EXPECT_EQ(peek32(kData + 0x10), 0x0000F0CAu);
  run_bytes({0xA2, 0x13, 0x00, 0x02, 0x00});  // MOV [kData+0x13], AL
  EXPECT_EQ(peek32(kData + 0x10), 0xCA00F0CAu);
  // FS: MOV EAX, [0x1000] with FS.base = kData - 0x1000.
  st().seg[FS].base = kData - 0x1000;
  run_bytes({0x64, 0xA1, 0x00, 0x10, 0x00, 0x00});
  EXPECT_EQ(reg(EAX), 0xCAFEF00Du);
}

TEST_F(MoveTest, ZeroAndSignExtension) {
  reg(ECX) = 0x12348081;
  run_bytes({0x0F, 0xB6, 0xC1});  // MOVZX EAX, CL
  EXPECT_EQ(reg(EAX), 0x81u);
  run_bytes({0x0F, 0xBE, 0xC1});  // MOVSX EAX, CL
  EXPECT_EQ(reg(EAX), 0xFFFFFF81u);
  run_bytes({0x0F, 0xBF, 0xC1});  // MOVSX EAX, CX
  EXPECT_EQ(reg(EAX), 0xFFFF8081u);
  run_bytes({0x0F, 0xB7, 0xC1});  // MOVZX EAX, CX
  EXPECT_EQ(reg(EAX), 0x8081u);
  reg(EAX) = 0xAAAAAAAA;
  run_bytes({0x66, 0x0F, 0xBE, 0xC5});  // MOVSX AX, CH
  EXPECT_EQ(reg(EAX), 0xAAAAFF80u);
  poke32(kData, 0x0000007F);
  run_bytes({0x0F, 0xBE, 0x05, DATA});  // MOVSX EAX, BYTE [kData]
  EXPECT_EQ(reg(EAX), 0x7Fu);
}

TEST_F(MoveTest, Exchanges) {
  reg(EAX) = 1;
  reg(ECX) = 2;
  run_bytes({0x91});  // XCHG EAX, ECX
  EXPECT_EQ(reg(EAX), 2u);
  EXPECT_EQ(reg(ECX), 1u);
  reg(EAX) = 0x1234;
  run_bytes({0x86, 0xE0});  // XCHG AL, AH
  EXPECT_EQ(reg(EAX), 0x3412u);
  reg(EBX) = 0xBBBBBBBB;
  poke32(kData, 0xDDDDDDDD);
  run_bytes({0x87, 0x1D, DATA});  // XCHG [kData], EBX
  EXPECT_EQ(reg(EBX), 0xDDDDDDDDu);
  EXPECT_EQ(peek32(kData), 0xBBBBBBBBu);
  reg(EDI) = 0x0000FFFF;
  reg(EAX) = 0x11110001;
  run_bytes({0x66, 0x97});  // XCHG AX, DI
  EXPECT_EQ(reg(EAX), 0x1111FFFFu);
  EXPECT_EQ(reg(EDI), 0x00000001u);
}

TEST_F(MoveTest, CmpxchgSucceedsAndFails) {
  // Success: EAX == [kData]: [kData] <- ECX, ZF = 1, flags of CMP.
  poke32(kData, 5);
  reg(EAX) = 5;
  reg(ECX) = 9;
  run_bytes({0xF0, 0x0F, 0xB1, 0x0D, DATA});  // LOCK CMPXCHG [kData], ECX
  EXPECT_EQ(peek32(kData), 9u);
  EXPECT_EQ(reg(EAX), 5u);
  EXPECT_EQ(status(), Z | P);
  // Failure: EAX <- [kData], memory unchanged, flags of CMP 5 - 9.
  run_bytes({0x0F, 0xB1, 0x0D, DATA});
  EXPECT_EQ(peek32(kData), 9u);
  EXPECT_EQ(reg(EAX), 9u);
  EXPECT_EQ(status(), C | S | A | P);  // 5 - 9 = FFFFFFFC
  // Byte form on registers: CMPXCHG BL, CL (0F B0 CB), AL = 0x10 != BL.
  reg(EAX) = 0x10;
  reg(EBX) = 0x20;
  reg(ECX) = 0x30;
  run_bytes({0x0F, 0xB0, 0xCB});
  EXPECT_EQ(reg(EAX), 0x20u);
  EXPECT_EQ(reg(EBX), 0x20u);
  EXPECT_EQ(status(), C | S | P);  // 0x10 - 0x20 = 0xF0
  run_bytes({0x0F, 0xB0, 0xCB});   // now AL == BL: BL <- CL
  EXPECT_EQ(reg(EBX), 0x30u);
  EXPECT_EQ(status(), Z | P);
}

TEST_F(MoveTest, Cmpxchg8b) {
  poke32(kData, 0x11111111);
  poke32(kData + 4, 0x22222222);
  reg(EAX) = 0x11111111;
  reg(EDX) = 0x22222222;
  reg(EBX) = 0x33333333;
  reg(ECX) = 0x44444444;
  set_status(C | S);
  run_bytes({0x0F, 0xC7, 0x0D, DATA});  // CMPXCHG8B [kData]
  EXPECT_EQ(peek32(kData), 0x33333333u);
  EXPECT_EQ(peek32(kData + 4), 0x44444444u);
  EXPECT_EQ(status(), C | S | Z);       // only ZF changes
  run_bytes({0x0F, 0xC7, 0x0D, DATA});  // mismatch: EDX:EAX <- m64
  EXPECT_EQ(reg(EAX), 0x33333333u);
  EXPECT_EQ(reg(EDX), 0x44444444u);
  EXPECT_EQ(peek32(kData), 0x33333333u);
  EXPECT_EQ(status(), C | S);
  // A register operand is #UD.
  expect_fault({0x0F, 0xC7, 0xC9}, vec::UD);
}

TEST_F(MoveTest, Xadd) {
  poke32(kData, 0xFFFFFFFF);
  reg(ECX) = 1;
  run_bytes({0xF0, 0x0F, 0xC1, 0x0D, DATA});  // LOCK XADD [kData], ECX
  EXPECT_EQ(peek32(kData), 0u);
  EXPECT_EQ(reg(ECX), 0xFFFFFFFFu);
  EXPECT_EQ(status(), C | Z | A | P);
  reg(EAX) = 0x40;
  run_bytes({0x0F, 0xC1, 0xC0});  // XADD EAX, EAX: the destination's sum wins
  EXPECT_EQ(reg(EAX), 0x80u);
  reg(EAX) = 0x7F;
  reg(EBX) = 0x01;
  run_bytes({0x0F, 0xC0, 0xD8});  // XADD AL, BL
  EXPECT_EQ(reg(EAX), 0x80u);
  EXPECT_EQ(reg(EBX), 0x7Fu);
  EXPECT_EQ(status(), O | S | A);
}

TEST_F(MoveTest, Lea) {
  reg(EBX) = 0x1000;
  reg(ECX) = 0x20;
  set_status(kAll);
  run_bytes({0x8D, 0x44, 0x8B, 0x10});  // LEA EAX, [EBX+ECX*4+0x10]
  EXPECT_EQ(reg(EAX), 0x1090u);
  EXPECT_EQ(status(), kAll);
  run_bytes({0x66, 0x8D, 0x05, 0x78, 0x56, 0x34, 0x12});  // LEA AX, [0x12345678]
  EXPECT_EQ(reg(EAX), 0x5678u);
  reg(EBX) = 0x0001FFFF;
  reg(ESI) = 2;
  run_bytes({0x67, 0x8D, 0x00});  // LEA EAX, [BX+SI]: wraps at 64 KiB
  EXPECT_EQ(reg(EAX), 1u);
  expect_fault({0x8D, 0xC0}, vec::UD);  // LEA EAX, EAX
}

TEST_F(MoveTest, BswapCmovAndConversions) {
  reg(EAX) = 0x11223344;
  run_bytes({0x0F, 0xC8});  // BSWAP EAX
  EXPECT_EQ(reg(EAX), 0x44332211u);
  reg(EDI) = 0x01020304;
  run_bytes({0x0F, 0xCF});  // BSWAP EDI
  EXPECT_EQ(reg(EDI), 0x04030201u);

  reg(EAX) = 1;
  reg(ECX) = 2;
  set_status(0);
  run_bytes({0x0F, 0x44, 0xC1});  // CMOVE EAX, ECX: not taken
  EXPECT_EQ(reg(EAX), 1u);
  run_bytes({0x0F, 0x45, 0xC1});  // CMOVNE: taken
  EXPECT_EQ(reg(EAX), 2u);
  set_status(S);
  poke32(kData, 77);
  run_bytes({0x0F, 0x4C, 0x05, DATA});  // CMOVL EAX, [kData]: SF != OF
  EXPECT_EQ(reg(EAX), 77u);
  reg(EAX) = 0xFFFF0000;
  run_bytes({0x66, 0x0F, 0x48, 0xC1});  // CMOVS AX, CX
  EXPECT_EQ(reg(EAX), 0xFFFF0002u);

  reg(EAX) = 0x12345680;
  run_bytes({0x66, 0x98});  // CBW
  EXPECT_EQ(reg(EAX), 0x1234FF80u);
  run_bytes({0x98});  // CWDE
  EXPECT_EQ(reg(EAX), 0xFFFFFF80u);
  reg(EDX) = 0x55555555;
  run_bytes({0x99});  // CDQ
  EXPECT_EQ(reg(EDX), 0xFFFFFFFFu);
  reg(EAX) = 0x00007FFF;
  run_bytes({0x66, 0x99});  // CWD
  EXPECT_EQ(reg(EDX), 0xFFFF0000u);

  for (uint8_t i = 0; i < 8; ++i) poke8(kData + i, static_cast<uint8_t>(0xA0 + i));
  reg(EBX) = kData;
  reg(EAX) = 0xFFFFFF05;
  run_bytes({0xD7});  // XLAT
  EXPECT_EQ(reg(EAX), 0xFFFFFFA5u);
}

TEST_F(MoveTest, CmovReadsItsSourceEvenWhenNotTaken) {
  // With DS limited to 64 KiB, [kData] is beyond the limit: #GP(0) although ZF = 0
  // makes CMOVE not move.
  st().seg[DS].limit = 0xFFFF;
  reg(EAX) = 1;
  set_status(0);
  expect_fault_with_code({0x0F, 0x44, 0x05, DATA}, vec::GP, 0);
  EXPECT_EQ(reg(EAX), 1u);
}

}  // namespace
}  // namespace vmlab::cpu::testing
