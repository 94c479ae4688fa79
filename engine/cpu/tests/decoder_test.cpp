// Hand-written decoder cases: every prefix, every ModRM/SIB shape in 32- and 16-bit
// addressing, every immediate kind, truncation and the 15-byte limit. The expected
// values come from the SDM's encoding tables (Vol. 2A, tables 2-1 to 2-3).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "engine/cpu/cpu_state.h"
#include "engine/cpu/decoder.h"

namespace vmlab::cpu {
namespace {

using namespace insn_flags;

constexpr uint8_t kEax = 0, kEcx = 1, kEbx = 3, kEsp = 4, kEbp = 5, kEsi = 6, kEdi = 7;

// Decodes `bytes` (which must hold exactly one instruction) and checks that the whole
// sequence was consumed.
Insn decode_all(const std::vector<uint8_t>& bytes, bool default32 = true) {
  Insn insn;
  EXPECT_EQ(decode(bytes.data(), bytes.size(), default32, insn), DecodeStatus::kOk);
  EXPECT_EQ(insn.len, bytes.size());
  return insn;
}

void expect_mem(const Insn& i, uint8_t base, uint8_t index, uint8_t scale, uint32_t disp,
                uint8_t seg) {
  EXPECT_TRUE(i.mem());
  EXPECT_EQ(i.base, base);
  EXPECT_EQ(i.index, index);
  EXPECT_EQ(i.scale, scale);
  EXPECT_EQ(i.disp, disp);
  EXPECT_EQ(i.seg, seg);
}

// --- Prefixes ----------------------------------------------------------------------------

TEST(DecoderPrefixes, NoPrefix) {
  const Insn i = decode_all({0x90});
  EXPECT_EQ(i.op, 0x90);
  EXPECT_EQ(i.flags, 0);
  EXPECT_EQ(i.seg, DS);
}

TEST(DecoderPrefixes, EachPrefixSetsItsFlag) {
  EXPECT_EQ(decode_all({0x66, 0x90}).flags, kOpsize16);
  EXPECT_EQ(decode_all({0x67, 0x90}).flags, kAddr16);
  EXPECT_EQ(decode_all({0xF0, 0x01, 0x00}).flags, kLock | kModrm);
  EXPECT_EQ(decode_all({0xF2, 0xAE}).flags, kRepne);
  EXPECT_EQ(decode_all({0xF3, 0xA4}).flags, kRep);
}

TEST(DecoderPrefixes, SegmentOverrides) {
  const std::pair<uint8_t, uint8_t> overrides[] = {{0x26, ES}, {0x2E, CS}, {0x36, SS},
                                                   {0x3E, DS}, {0x64, FS}, {0x65, GS}};
  for (const auto& [prefix, seg] : overrides) {
    // With a memory operand whose default would be DS, and one whose default is SS.
    Insn i = decode_all({prefix, 0x8B, 0x03});
    EXPECT_EQ(i.seg, seg);
    EXPECT_TRUE(i.flags & kSegOverride);
    i = decode_all({prefix, 0x8B, 0x45, 0x08});
    EXPECT_EQ(i.seg, seg);
    // Without a ModRM memory operand (MOVSB): the override still names the segment.
    i = decode_all({prefix, 0xA4});
    EXPECT_EQ(i.seg, seg);
    EXPECT_EQ(i.len, 2);
  }
}

TEST(DecoderPrefixes, LastSegmentOverrideWins) {
  EXPECT_EQ(decode_all({0x26, 0x64, 0x8B, 0x00}).seg, FS);
  EXPECT_EQ(decode_all({0x64, 0x26, 0x8B, 0x00}).seg, ES);
  EXPECT_EQ(decode_all({0x65, 0x36, 0x2E, 0xA4}).seg, CS);
}

TEST(DecoderPrefixes, AnyOrderAndRepeats) {
  // Repeating 66 does not toggle back to 32 bits.
  Insn i = decode_all({0x66, 0x66, 0x66, 0xB8, 0x34, 0x12});
  EXPECT_TRUE(i.o16());
  EXPECT_EQ(i.imm, 0x1234u);
  i = decode_all({0xF3, 0x67, 0x2E, 0x66, 0xF0, 0x67, 0x01, 0x00});
  EXPECT_EQ(i.flags, kRep | kAddr16 | kSegOverride | kOpsize16 | kLock | kModrm);
  EXPECT_EQ(i.seg, CS);
  EXPECT_EQ(i.op, 0x01);
}

TEST(DecoderPrefixes, SixteenBitCodeSegment) {
  // D=0: 16-bit by default, and the prefixes select 32 bits.
  Insn i = decode_all({0xB8, 0x34, 0x12}, false);
  EXPECT_EQ(i.flags, kOpsize16 | kAddr16);
  EXPECT_EQ(i.imm, 0x1234u);
  i = decode_all({0x66, 0xB8, 0x78, 0x56, 0x34, 0x12}, false);
  EXPECT_EQ(i.flags, kAddr16);
  EXPECT_EQ(i.imm, 0x12345678u);
  i = decode_all({0x67, 0x8B, 0x04, 0x24}, false);  // 32-bit addressing with SIB
  EXPECT_EQ(i.flags, kOpsize16 | kModrm);
  expect_mem(i, kEsp, kNoReg, 0, 0, SS);
}

// --- ModRM and SIB, 32-bit addressing -----------------------------------------------------

TEST(DecoderModrm32, RegisterForm) {
  const Insn i = decode_all({0x89, 0xC8});  // mov eax, ecx
  EXPECT_TRUE(i.has_modrm());
  EXPECT_FALSE(i.mem());
  EXPECT_EQ(i.mod, 3);
  EXPECT_EQ(i.reg, kEcx);
  EXPECT_EQ(i.rm, kEax);
  EXPECT_EQ(i.base, kNoReg);
  EXPECT_EQ(i.index, kNoReg);
  EXPECT_EQ(i.seg, DS);
}

TEST(DecoderModrm32, BaseOnly) {
  Insn i = decode_all({0x8B, 0x03});  // [ebx]
  EXPECT_EQ(i.mod, 0);
  EXPECT_EQ(i.reg, 0);
  EXPECT_EQ(i.rm, 3);
  expect_mem(i, kEbx, kNoReg, 0, 0, DS);
  // Every base but ESP (SIB) and EBP (disp32) with mod=00.
  for (uint8_t rm : {0, 1, 2, 3, 6, 7}) {
    i = decode_all({0x8B, rm});
    expect_mem(i, rm, kNoReg, 0, 0, DS);
  }
}

TEST(DecoderModrm32, Disp8IsSignExtended) {
  expect_mem(decode_all({0x8B, 0x45, 0xF8}), kEbp, kNoReg, 0, 0xFFFFFFF8u, SS);
  expect_mem(decode_all({0x8B, 0x46, 0x7F}), kEsi, kNoReg, 0, 0x7Fu, DS);
}

TEST(DecoderModrm32, Disp32) {
  expect_mem(decode_all({0x8B, 0x87, 0x78, 0x56, 0x34, 0x12}), kEdi, kNoReg, 0, 0x12345678u, DS);
  expect_mem(decode_all({0x8B, 0x85, 0x00, 0x00, 0x00, 0x80}), kEbp, kNoReg, 0, 0x80000000u, SS);
}

TEST(DecoderModrm32, Disp32WithoutBase) {
  // mod=00 rm=101: [disp32], DS.
  expect_mem(decode_all({0x8B, 0x05, 0x78, 0x56, 0x34, 0x12}), kNoReg, kNoReg, 0, 0x12345678u, DS);
}

TEST(DecoderModrm32, SibBaseIndexScale) {
  // [eax + ecx*4]: SIB ss=10 index=001 base=000.
  expect_mem(decode_all({0x8B, 0x04, 0x88}), kEax, kEcx, 2, 0, DS);
  // [esi + ebx*1 + 0x100]
  expect_mem(decode_all({0x8B, 0x84, 0x1E, 0x00, 0x01, 0x00, 0x00}), kEsi, kEbx, 0, 0x100, DS);
  // [ebp + ecx*8 + 0x10]: EBP base, so SS.
  expect_mem(decode_all({0x8B, 0x44, 0xCD, 0x10}), kEbp, kEcx, 3, 0x10, SS);
  // [esp - 0x80]: index 100 means none; ESP base, so SS.
  expect_mem(decode_all({0x8B, 0x64, 0x24, 0x80}), kEsp, kNoReg, 0, 0xFFFFFF80u, SS);
  expect_mem(decode_all({0x8B, 0x04, 0x24}), kEsp, kNoReg, 0, 0, SS);
  // [esp + ebp]: the segment follows the base, not the index.
  expect_mem(decode_all({0x8B, 0x04, 0x2C}), kEsp, kEbp, 0, 0, SS);
  // [eax + ebp*2]: EBP as index leaves DS.
  expect_mem(decode_all({0x8B, 0x04, 0x68}), kEax, kEbp, 1, 0, DS);
}

TEST(DecoderModrm32, SibWithoutBase) {
  // mod=00, SIB base=101: [index*scale + disp32], DS even with EBP as index.
  expect_mem(decode_all({0x8B, 0x04, 0x8D, 0x78, 0x56, 0x34, 0x12}), kNoReg, kEcx, 2, 0x12345678u,
             DS);
  expect_mem(decode_all({0x8B, 0x0C, 0x6D, 0x00, 0x00, 0x00, 0x00}), kNoReg, kEbp, 1, 0, DS);
  // Neither base nor index: [disp32] through SIB.
  expect_mem(decode_all({0x8B, 0x04, 0x25, 0xEF, 0xBE, 0xAD, 0xDE}), kNoReg, kNoReg, 0, 0xDEADBEEFu,
             DS);
  // With mod=01 and mod=10, SIB base=101 is EBP again.
  expect_mem(decode_all({0x8B, 0x44, 0x25, 0x04}), kEbp, kNoReg, 0, 4, SS);
  expect_mem(decode_all({0x8B, 0x84, 0x95, 0x00, 0x10, 0x00, 0x00}), kEbp, 2, 2, 0x1000, SS);
}

TEST(DecoderModrm32, OverrideReplacesTheStackDefault) {
  const Insn i = decode_all({0x3E, 0x8B, 0x45, 0x00});
  expect_mem(i, kEbp, kNoReg, 0, 0, DS);
  EXPECT_TRUE(i.flags & kSegOverride);
}

// --- ModRM, 16-bit addressing -------------------------------------------------------------

TEST(DecoderModrm16, TheEightForms) {
  struct Form {
    uint8_t base, index, seg;
  };
  // SDM Vol. 2A, table 2-1: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX.
  const Form forms[8] = {{kEbx, kEsi, DS},   {kEbx, kEdi, DS},   {kEbp, kEsi, SS},
                         {kEbp, kEdi, SS},   {kEsi, kNoReg, DS}, {kEdi, kNoReg, DS},
                         {kEbp, kNoReg, SS}, {kEbx, kNoReg, DS}};
  for (uint8_t rm = 0; rm < 8; ++rm) {
    const Form& f = forms[rm];
    if (rm != 6) {
      const Insn i = decode_all({0x67, 0x8B, rm});
      EXPECT_TRUE(i.a16());
      expect_mem(i, f.base, f.index, 0, 0, f.seg);
    }
    expect_mem(decode_all({0x67, 0x8B, static_cast<uint8_t>(0x40 | rm), 0xFE}), f.base, f.index, 0,
               0xFFFFFFFEu, f.seg);
    expect_mem(decode_all({0x67, 0x8B, static_cast<uint8_t>(0x80 | rm), 0x00, 0x80}), f.base,
               f.index, 0, 0xFFFF8000u, f.seg);
    // The same forms in a 16-bit code segment, without a prefix.
    expect_mem(decode_all({0x8B, static_cast<uint8_t>(0x80 | rm), 0x34, 0x12}, false), f.base,
               f.index, 0, 0x1234, f.seg);
  }
}

TEST(DecoderModrm16, Disp16Alone) {
  // mod=00 rm=110 is [disp16], DS, not [bp].
  expect_mem(decode_all({0x67, 0x8B, 0x06, 0x34, 0x12}), kNoReg, kNoReg, 0, 0x1234, DS);
  expect_mem(decode_all({0x8B, 0x1E, 0xFE, 0xFF}, false), kNoReg, kNoReg, 0, 0xFFFFFFFEu, DS);
  // [bp+0] needs mod=01.
  expect_mem(decode_all({0x67, 0x8B, 0x46, 0x00}), kEbp, kNoReg, 0, 0, SS);
}

TEST(DecoderModrm16, NoSibIn16BitAddressing) {
  // rm=100 is [si]: no SIB byte follows.
  expect_mem(decode_all({0x67, 0x8B, 0x04}), kEsi, kNoReg, 0, 0, DS);
}

// --- Immediates and displacements ---------------------------------------------------------

TEST(DecoderImmediates, ZeroExtendedIb) {
  EXPECT_EQ(decode_all({0xB0, 0xFF}).imm, 0xFFu);              // mov al, imm8
  EXPECT_EQ(decode_all({0x80, 0xC0, 0xFF}).imm, 0xFFu);        // add al, imm8
  EXPECT_EQ(decode_all({0x82, 0xC0, 0xFF}).imm, 0xFFu);        // 82: alias of 80
  EXPECT_EQ(decode_all({0x04, 0x80}).imm, 0x80u);              // add al, imm8
  EXPECT_EQ(decode_all({0xCD, 0x80}).imm, 0x80u);              // int 0x80
  EXPECT_EQ(decode_all({0xE4, 0xF0}).imm, 0xF0u);              // in al, 0xf0
  EXPECT_EQ(decode_all({0xE6, 0x80}).imm, 0x80u);              // out 0x80, al
  EXPECT_EQ(decode_all({0xC1, 0xE0, 0xFF}).imm, 0xFFu);        // shl eax, 0xff
  EXPECT_EQ(decode_all({0xC0, 0x00, 0x81}).imm, 0x81u);        // rol byte [eax], 0x81
  EXPECT_EQ(decode_all({0xD4, 0x0A}).imm, 0x0Au);              // aam
  EXPECT_EQ(decode_all({0x0F, 0xBA, 0xE0, 0xFF}).imm, 0xFFu);  // bt eax, 0xff
  EXPECT_EQ(decode_all({0x0F, 0xA4, 0xC8, 0xF0}).imm, 0xF0u);  // shld eax, ecx, 0xf0
  EXPECT_EQ(decode_all({0x0F, 0xAC, 0x08, 0x81}).imm, 0x81u);  // shrd [eax], ecx, 0x81
}

TEST(DecoderImmediates, SignExtendedIb) {
  EXPECT_EQ(decode_all({0x83, 0xC0, 0xFF}).imm, 0xFFFFFFFFu);        // add eax, -1
  EXPECT_EQ(decode_all({0x66, 0x83, 0xC0, 0x80}).imm, 0xFFFFFF80u);  // add ax, -0x80
  EXPECT_EQ(decode_all({0x83, 0xC0, 0x7F}).imm, 0x7Fu);
  EXPECT_EQ(decode_all({0x6A, 0x80}).imm, 0xFFFFFF80u);        // push -0x80
  EXPECT_EQ(decode_all({0x6B, 0xC0, 0xFE}).imm, 0xFFFFFFFEu);  // imul eax, eax, -2
}

TEST(DecoderImmediates, Iw) {
  EXPECT_EQ(decode_all({0xC2, 0xF0, 0xFF}).imm, 0xFFF0u);  // ret 0xfff0
  EXPECT_EQ(decode_all({0xCA, 0x08, 0x00}).imm, 0x8u);     // retf 8
}

TEST(DecoderImmediates, IzFollowsOperandSize) {
  EXPECT_EQ(decode_all({0x05, 0x78, 0x56, 0x34, 0x12}).imm, 0x12345678u);
  EXPECT_EQ(decode_all({0x66, 0x05, 0x34, 0x82}).imm, 0x8234u);
  EXPECT_EQ(decode_all({0x68, 0x00, 0x00, 0x00, 0x80}).imm, 0x80000000u);
  EXPECT_EQ(decode_all({0x66, 0x68, 0xFF, 0xFF}).imm, 0xFFFFu);
  EXPECT_EQ(decode_all({0x81, 0xC1, 0x78, 0x56, 0x34, 0x12}).imm, 0x12345678u);
  EXPECT_EQ(decode_all({0x66, 0x81, 0xC1, 0x34, 0x12}).imm, 0x1234u);
  EXPECT_EQ(decode_all({0x69, 0xC0, 0x10, 0x00, 0x00, 0x00}).imm, 0x10u);
  EXPECT_EQ(decode_all({0xA9, 0x01, 0x00, 0x00, 0x00}).imm, 1u);
  EXPECT_EQ(decode_all({0xBF, 0xEF, 0xBE, 0xAD, 0xDE}).imm, 0xDEADBEEFu);
  // In a 16-bit code segment Iz is 16 bits unless 66 says otherwise.
  EXPECT_EQ(decode_all({0x05, 0x34, 0x12}, false).imm, 0x1234u);
}

TEST(DecoderImmediates, DisplacementThenImmediate) {
  // mov dword [0x12345678], 0xdeadbeef: disp32 before imm32.
  Insn i = decode_all({0xC7, 0x05, 0x78, 0x56, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE});
  expect_mem(i, kNoReg, kNoReg, 0, 0x12345678u, DS);
  EXPECT_EQ(i.imm, 0xDEADBEEFu);
  // add dword [ebp+ecx*4-4], -1 (83 /0 ib after SIB and disp8).
  i = decode_all({0x83, 0x44, 0x8D, 0xFC, 0xFF});
  expect_mem(i, kEbp, kEcx, 2, 0xFFFFFFFCu, SS);
  EXPECT_EQ(i.imm, 0xFFFFFFFFu);
  // mov byte [bx+si+0x1234], 0x56 with 16-bit addressing.
  i = decode_all({0x67, 0xC6, 0x80, 0x34, 0x12, 0x56});
  expect_mem(i, kEbx, kEsi, 0, 0x1234, DS);
  EXPECT_EQ(i.imm, 0x56u);
}

TEST(DecoderImmediates, Group3OnlyTestHasAnImmediate) {
  Insn i = decode_all({0xF6, 0xC0, 0x7F});  // test al, 0x7f
  EXPECT_EQ(i.reg, 0);
  EXPECT_EQ(i.imm, 0x7Fu);
  i = decode_all({0xF6, 0xC8, 0x80});  // /1, the TEST alias
  EXPECT_EQ(i.reg, 1);
  EXPECT_EQ(i.imm, 0x80u);
  EXPECT_EQ(decode_all({0xF7, 0xC0, 0x78, 0x56, 0x34, 0x12}).imm, 0x12345678u);
  EXPECT_EQ(decode_all({0x66, 0xF7, 0x05, 0x00, 0x10, 0x00, 0x00, 0x34, 0x12}).imm, 0x1234u);
  for (uint8_t reg = 2; reg < 8; ++reg) {
    const uint8_t modrm = static_cast<uint8_t>(0xC0 | (reg << 3));
    EXPECT_EQ(decode_all({0xF6, modrm}).imm, 0u);
    EXPECT_EQ(decode_all({0xF7, modrm}).reg, reg);
  }
}

TEST(DecoderImmediates, RelativeBranchesAreSignExtended) {
  EXPECT_EQ(decode_all({0xEB, 0xFE}).imm, 0xFFFFFFFEu);  // jmp $
  EXPECT_EQ(decode_all({0x74, 0x7F}).imm, 0x7Fu);
  EXPECT_EQ(decode_all({0xE2, 0x80}).imm, 0xFFFFFF80u);  // loop
  EXPECT_EQ(decode_all({0xE3, 0x10}).imm, 0x10u);        // jecxz
  EXPECT_EQ(decode_all({0xE8, 0xFB, 0xFF, 0xFF, 0xFF}).imm, 0xFFFFFFFBu);
  EXPECT_EQ(decode_all({0xE9, 0x00, 0x00, 0x00, 0x80}).imm, 0x80000000u);
  EXPECT_EQ(decode_all({0x0F, 0x85, 0x00, 0x01, 0x00, 0x00}).imm, 0x100u);
  EXPECT_EQ(decode_all({0x0F, 0x8C, 0xF0, 0xFF, 0xFF, 0xFF}).imm, 0xFFFFFFF0u);
}

TEST(DecoderImmediates, Rel16WithSixteenBitOperandSize) {
  EXPECT_EQ(decode_all({0x66, 0xE9, 0xFD, 0xFF}).imm, 0xFFFFFFFDu);
  EXPECT_EQ(decode_all({0x66, 0xE8, 0x00, 0x10}).imm, 0x1000u);
  EXPECT_EQ(decode_all({0x66, 0x0F, 0x84, 0x00, 0x80}).imm, 0xFFFF8000u);
  EXPECT_EQ(decode_all({0xE9, 0x00, 0x80}, false).imm, 0xFFFF8000u);
  // The address size does not change a displacement's width.
  EXPECT_EQ(decode_all({0x67, 0xE9, 0x00, 0x00, 0x01, 0x00}).imm, 0x10000u);
}

TEST(DecoderImmediates, Moffs) {
  Insn i = decode_all({0xA1, 0x78, 0x56, 0x34, 0x12});  // mov eax, [0x12345678]
  EXPECT_FALSE(i.has_modrm());
  EXPECT_EQ(i.base, kNoReg);
  EXPECT_EQ(i.index, kNoReg);
  EXPECT_EQ(i.disp, 0x12345678u);
  EXPECT_EQ(i.imm, 0u);
  EXPECT_EQ(i.seg, DS);
  // The offset follows the address size, not the operand size.
  i = decode_all({0x67, 0xA0, 0x34, 0x12});
  EXPECT_EQ(i.disp, 0x1234u);
  i = decode_all({0x66, 0xA3, 0x78, 0x56, 0x34, 0x12});
  EXPECT_EQ(i.disp, 0x12345678u);
  EXPECT_TRUE(i.o16());
  i = decode_all({0x64, 0xA2, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(i.seg, FS);
  i = decode_all({0xA1, 0xFE, 0xFF}, false);
  EXPECT_EQ(i.disp, 0xFFFEu);  // not sign-extended: an offset, not a displacement
}

TEST(DecoderImmediates, Enter) {
  Insn i = decode_all({0xC8, 0x10, 0x00, 0x01});  // enter 0x10, 1
  EXPECT_EQ(i.imm, 0x10u);
  EXPECT_EQ(i.imm2, 1u);
  i = decode_all({0xC8, 0xFF, 0xFF, 0xFF});
  EXPECT_EQ(i.imm, 0xFFFFu);
  EXPECT_EQ(i.imm2, 0xFFu);
}

TEST(DecoderImmediates, FarPointer) {
  Insn i = decode_all({0x9A, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00});  // call 0x8:0x12345678
  EXPECT_EQ(i.op, 0x9A);
  EXPECT_EQ(i.imm, 0x12345678u);
  EXPECT_EQ(i.imm2, 0x8u);
  i = decode_all({0x66, 0xEA, 0x34, 0x12, 0x10, 0x00});  // jmp 0x10:0x1234
  EXPECT_EQ(i.imm, 0x1234u);
  EXPECT_EQ(i.imm2, 0x10u);
  i = decode_all({0xEA, 0x00, 0x80, 0x18, 0x00}, false);
  EXPECT_EQ(i.imm, 0x8000u);
  EXPECT_EQ(i.imm2, 0x18u);
}

// --- The two-byte map and the unsupported maps --------------------------------------------

TEST(DecoderTwoByte, OpcodeNumbering) {
  Insn i = decode_all({0x0F, 0xA2});  // cpuid
  EXPECT_EQ(i.op, 0x1A2);
  EXPECT_FALSE(i.has_modrm());
  i = decode_all({0x0F, 0xB6, 0xC1});  // movzx eax, cl
  EXPECT_EQ(i.op, 0x1B6);
  EXPECT_EQ(i.reg, kEax);
  EXPECT_EQ(i.rm, kEcx);
  i = decode_all({0x0F, 0xC9});  // bswap ecx
  EXPECT_EQ(i.op, 0x1C9);
  i = decode_all({0x0F, 0x0B});  // ud2
  EXPECT_EQ(i.op, 0x10B);
}

TEST(DecoderTwoByte, SystemGroups) {
  Insn i = decode_all({0x0F, 0x01, 0x15, 0x00, 0x10, 0x00, 0x00});  // lgdt [0x1000]
  EXPECT_EQ(i.op, 0x101);
  EXPECT_EQ(i.reg, 2);
  expect_mem(i, kNoReg, kNoReg, 0, 0x1000, DS);
  i = decode_all({0x0F, 0x01, 0x38});  // invlpg [eax]
  EXPECT_EQ(i.reg, 7);
  i = decode_all({0x0F, 0x00, 0xD8});  // ltr ax
  EXPECT_EQ(i.op, 0x100);
  EXPECT_EQ(i.reg, 3);
  EXPECT_FALSE(i.mem());
  i = decode_all({0x0F, 0xC7, 0x0E});  // cmpxchg8b [esi]
  EXPECT_EQ(i.reg, 1);
  expect_mem(i, kEsi, kNoReg, 0, 0, DS);
}

TEST(DecoderTwoByte, MovCrDrIsAlwaysTheRegisterForm) {
  // 0F 22 18 is mov cr3, eax although mod=00 (SDM Vol. 2B, MOV to/from CR: mod ignored).
  Insn i = decode_all({0x0F, 0x22, 0x18});
  EXPECT_EQ(i.op, 0x122);
  EXPECT_EQ(i.mod, 3);
  EXPECT_EQ(i.reg, 3);
  EXPECT_EQ(i.rm, kEax);
  EXPECT_FALSE(i.mem());
  // mod=00 rm=101 would otherwise read a disp32, rm=100 a SIB.
  EXPECT_EQ(decode_all({0x0F, 0x20, 0x05}).rm, kEbp);
  EXPECT_EQ(decode_all({0x0F, 0x21, 0x44}).rm, kEsp);
  EXPECT_EQ(decode_all({0x0F, 0x23, 0xB9}).reg, 7);
}

TEST(DecoderTwoByte, MultiByteNops) {
  // The forms the SDM recommends (Vol. 2B, NOP, table 4-12).
  decode_all({0x0F, 0x1F, 0x00});
  decode_all({0x0F, 0x1F, 0x40, 0x00});
  decode_all({0x0F, 0x1F, 0x44, 0x00, 0x00});
  decode_all({0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00});
  decode_all({0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00});
  decode_all({0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00});
  decode_all({0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00});
  decode_all({0x0F, 0x18, 0x06});  // prefetchnta [esi]
  decode_all({0x0F, 0x0D, 0x08});  // prefetchw / hint NOP [eax]
}

TEST(DecoderUnsupported, DecodedForLengthAndBoundToUndefined) {
  const std::vector<std::vector<uint8_t>> cases = {
      {0x0F, 0x28, 0xC1},                    // movaps
      {0x66, 0x0F, 0x70, 0xC1, 0x1B},        // pshufd xmm0, xmm1, 0x1b
      {0x0F, 0x77},                          // emms
      {0x0F, 0xAE, 0xF0},                    // mfence
      {0x0F, 0x38, 0x00, 0xC1},              // pshufb mm0, mm1
      {0x66, 0x0F, 0x3A, 0x0F, 0xC1, 0x08},  // palignr xmm0, xmm1, 8
      {0x0F, 0x38, 0xF0, 0x44, 0x24, 0x04},  // movbe eax, [esp+4]
      {0x0F, 0xC2, 0xC1, 0x00},              // cmpeqps
      {0x0F, 0x0F, 0xC1, 0x9E},              // 3DNow! pfadd
      {0xD6},                                // salc
      {0x0F, 0x05},                          // syscall
  };
  for (const auto& bytes : cases) {
    const Insn i = decode_all(bytes);
    EXPECT_EQ(i.exec, &handler_undefined) << "opcode " << std::hex << i.op;
    EXPECT_FALSE(encoding_defined(i));
  }
  EXPECT_EQ(decode_all({0x0F, 0x38, 0x00, 0xC1}).op, 0x138);
  EXPECT_EQ(decode_all({0x0F, 0x3A, 0x0F, 0xC1, 0x08}).op, 0x13A);
}

// --- Binding the semantic routine ---------------------------------------------------------

TEST(DecoderBinding, TakesTheHandlerTableSlot) {
  const HandlerTable& t = handler_table();
  EXPECT_EQ(decode_all({0x90}).exec, t.get(0x90, 0));
  EXPECT_EQ(decode_all({0x01, 0xC8}).exec, t.get(0x01, 1));
  EXPECT_EQ(decode_all({0xFF, 0x30}).exec, t.get(0xFF, 6));         // push dword [eax]
  EXPECT_EQ(decode_all({0x0F, 0x01, 0xE0}).exec, t.get(0x101, 4));  // smsw eax
  EXPECT_EQ(decode_all({0x0F, 0xA2}).exec, t.get(0x1A2, 0));
  EXPECT_EQ(decode_all({0xF0, 0x01, 0x00}).exec, t.get(0x01, 0));         // lock add [eax], eax
  EXPECT_EQ(decode_all({0xF0, 0x0F, 0xC7, 0x0F}).exec, t.get(0x1C7, 1));  // lock cmpxchg8b
  EXPECT_EQ(decode_all({0xF0, 0x0F, 0xBA, 0x28, 0x01}).exec, t.get(0x1BA, 5));  // lock bts
}

TEST(DecoderBinding, UndefinedEncodingsRaiseUd) {
  const std::vector<std::vector<uint8_t>> cases = {
      {0xF0, 0x01, 0xC0},        // LOCK with a register destination
      {0xF0, 0x90},              // LOCK on an instruction that takes none
      {0xF0, 0x39, 0x00},        // LOCK CMP
      {0xF0, 0x8B, 0x00},        // LOCK MOV
      {0xF0, 0x0F, 0xA3, 0x00},  // LOCK BT
      {0x8D, 0xC0},              // LEA of a register
      {0xC4, 0xC0},              // LES of a register (VEX on later processors)
      {0xC5, 0xC0},              // LDS of a register
      {0x62, 0xC0},              // BOUND of a register
      {0x0F, 0xB2, 0xC0},        // LSS of a register
      {0xFF, 0xD8},              // far CALL through a register
      {0xFF, 0xE8},              // far JMP through a register
      {0xFF, 0x38},              // FF /7
      {0xFE, 0x10},              // FE /2
      {0x8F, 0xC8},              // 8F /1
      {0xC6, 0xF8, 0x00},        // C6 /7 (XABORT on later processors)
      {0xC7, 0x08, 0, 0, 0, 0},  // C7 /1
      {0x8E, 0xC8},              // MOV CS, eax
      {0x8C, 0xF0},              // MOV eax, Sreg 6
      {0x0F, 0x00, 0x38},        // 0F 00 /7
      {0x0F, 0x01, 0x28},        // 0F 01 /5
      {0x0F, 0x01, 0xC8},        // 0F 01 /1 mod=11 (MONITOR on later processors)
      {0x0F, 0x01, 0xF8},        // 0F 01 /7 mod=11 (SWAPGS)
      {0x0F, 0xBA, 0xC0, 0x01},  // 0F BA /0
      {0x0F, 0xC7, 0xC8},        // CMPXCHG8B of a register
      {0x0F, 0xC7, 0x30},        // 0F C7 /6
      {0x0F, 0xFF, 0xC0},        // UD0
      {0x0F, 0xB9, 0xC0},        // UD1
      {0x0F, 0x24, 0xC0},        // MOV from a test register (386/486 only)
  };
  for (const auto& bytes : cases) {
    const Insn i = decode_all(bytes);
    EXPECT_EQ(i.exec, &handler_undefined) << "opcode " << std::hex << i.op;
    EXPECT_FALSE(encoding_defined(i)) << "opcode " << std::hex << i.op;
  }
}

TEST(DecoderBinding, OpcodeHasModrm) {
  EXPECT_TRUE(opcode_has_modrm(0x01));
  EXPECT_TRUE(opcode_has_modrm(0x8D));
  EXPECT_TRUE(opcode_has_modrm(0xD8));
  EXPECT_TRUE(opcode_has_modrm(0xF7));
  EXPECT_FALSE(opcode_has_modrm(0x90));
  EXPECT_FALSE(opcode_has_modrm(0xA1));
  EXPECT_FALSE(opcode_has_modrm(0xE8));
  EXPECT_TRUE(opcode_has_modrm(0x1B6));
  EXPECT_TRUE(opcode_has_modrm(0x122));
  EXPECT_FALSE(opcode_has_modrm(0x1A2));
  EXPECT_FALSE(opcode_has_modrm(0x184));
}

// --- Truncation and the 15-byte limit -----------------------------------------------------

// Every prefix of a complete instruction must ask for more bytes, and the whole must
// decode to the same length.
void expect_need_more_at_every_cut(const std::vector<uint8_t>& bytes, bool default32 = true) {
  Insn i;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(decode(bytes.data(), cut, default32, i), DecodeStatus::kNeedMore) << "cut " << cut;
  }
  EXPECT_EQ(decode(bytes.data(), bytes.size(), default32, i), DecodeStatus::kOk);
  EXPECT_EQ(i.len, bytes.size());
}

TEST(DecoderTruncation, NeedMoreAtEveryCut) {
  // lock add dword fs:[ebp+ecx*4+0x12345678], 0xdeadbeef: 13 bytes.
  expect_need_more_at_every_cut(
      {0xF0, 0x64, 0x81, 0x84, 0x8D, 0x78, 0x56, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE});
  // 16-bit addressing with disp16 and Iw.
  expect_need_more_at_every_cut({0x66, 0x67, 0xC7, 0x87, 0x34, 0x12, 0x78, 0x56});
  expect_need_more_at_every_cut({0xC8, 0x10, 0x00, 0x01});
  expect_need_more_at_every_cut({0x9A, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00});
  expect_need_more_at_every_cut({0xA1, 0x78, 0x56, 0x34, 0x12});
  expect_need_more_at_every_cut({0x0F, 0x85, 0x00, 0x01, 0x00, 0x00});
  expect_need_more_at_every_cut({0x0F, 0xBA, 0x2C, 0x24, 0x05});
  expect_need_more_at_every_cut({0x0F, 0x3A, 0x0F, 0x04, 0x24, 0x08});
  expect_need_more_at_every_cut({0xF6, 0x05, 0x00, 0x10, 0x00, 0x00, 0x01});
  expect_need_more_at_every_cut({0x8B, 0x06, 0x34, 0x12}, false);
}

TEST(DecoderTruncation, FifteenBytesIsTheLimit) {
  // 10 prefixes + add eax, imm32 = 15 bytes: fine.
  std::vector<uint8_t> bytes(10, 0x3E);
  for (uint8_t b : {0x05, 0x01, 0x02, 0x03, 0x04}) bytes.push_back(b);
  EXPECT_EQ(decode_all(bytes).len, 15);
  // One more prefix makes 16.
  bytes.insert(bytes.begin(), 0x26);
  Insn i;
  EXPECT_EQ(decode(bytes.data(), 15, true, i), DecodeStatus::kTooLong);
  EXPECT_EQ(decode(bytes.data(), bytes.size(), true, i), DecodeStatus::kTooLong);
}

TEST(DecoderTruncation, SixteenPrefixesAreTooLong) {
  const std::vector<uint8_t> prefixes(16, 0x66);
  Insn i;
  EXPECT_EQ(decode(prefixes.data(), prefixes.size(), true, i), DecodeStatus::kTooLong);
  EXPECT_EQ(decode(prefixes.data(), 15, true, i), DecodeStatus::kTooLong);
  // Fewer bytes at hand than the limit: the caller is asked for more first.
  EXPECT_EQ(decode(prefixes.data(), 8, true, i), DecodeStatus::kNeedMore);
  // 14 prefixes and a one-byte opcode fit.
  std::vector<uint8_t> fits(14, 0x66);
  fits.push_back(0x90);
  EXPECT_EQ(decode_all(fits).len, 15);
}

// Decoding must depend only on the instruction's own bytes: with exactly `len` bytes the
// result is the same, with one fewer it asks for more. Checked on random bytes.
TEST(DecoderTruncation, LengthIsSelfConsistentOnRandomBytes) {
  std::mt19937 rng(7);
  uint8_t buf[15];
  for (int n = 0; n < 100000; ++n) {
    for (auto& b : buf) b = static_cast<uint8_t>(rng() >> 24);
    const bool default32 = (n & 1) == 0;
    Insn full;
    if (decode(buf, sizeof buf, default32, full) != DecodeStatus::kOk) continue;
    ASSERT_GE(full.len, 1);
    ASSERT_LE(full.len, 15);
    Insn exact;
    ASSERT_EQ(decode(buf, full.len, default32, exact), DecodeStatus::kOk);
    EXPECT_EQ(exact.len, full.len);
    EXPECT_EQ(exact.imm, full.imm);
    EXPECT_EQ(exact.disp, full.disp);
    Insn cut;
    ASSERT_EQ(decode(buf, full.len - 1u, default32, cut), DecodeStatus::kNeedMore);
  }
}

TEST(DecoderTruncation, EveryOpcodeDecodes) {
  // Every opcode of both maps decodes from 15 zero-padded bytes, whatever its form.
  for (unsigned op = 0; op < 0x200; ++op) {
    uint8_t buf[15] = {};
    size_t n = 0;
    if (op >= 0x100) buf[n++] = 0x0F;
    buf[n] = static_cast<uint8_t>(op);
    Insn i;
    const DecodeStatus s = decode(buf, sizeof buf, true, i);
    const bool prefix = op == 0x26 || op == 0x2E || op == 0x36 || op == 0x3E ||
                        (op >= 0x64 && op <= 0x67) || op == 0xF0 || op == 0xF2 || op == 0xF3;
    ASSERT_EQ(s, DecodeStatus::kOk) << std::hex << op;
    if (!prefix && op != 0x0F) {
      EXPECT_EQ(i.op, op) << std::hex << op;
    }
    EXPECT_EQ(i.has_modrm(), opcode_has_modrm(i.op));
  }
}

}  // namespace
}  // namespace vmlab::cpu
