// The kit's decoder (engine/vmm/kit/guest_insn.h) on the string instructions whose operand
// size Capstone 4.0.2 takes from the wrong place: with the operand-size prefix before REP
// or REPNE (66 F3 6F, as GCC emits `rep outsw`) it names the doubleword form. The
// trap-and-emulate monitors performed such a `rep outsw` as OUTSD, four bytes a port write
// (tests/kernels/ata_hostile under trap --cpu classic and bt wrote the ATA data port 32 bits
// at a time), and the VT monitor's exit, whose qualification says 2 bytes, refused it.
#include <gtest/gtest.h>

#include <capstone/capstone.h>

#include <vector>

#include "engine/vmm/kit/guest_insn.h"

namespace vmlab::vmm {
namespace {

struct Case {
  std::vector<uint8_t> bytes;
  unsigned id;
  uint8_t mem_size;  // the memory operand's width
  const char* text;
};

GuestInsn decode(const std::vector<uint8_t>& bytes) {
  static const GuestInsnDecoder decoder;
  const auto insn = decoder.decode(bytes.data(), bytes.size(), 0x1000);
  EXPECT_TRUE(insn.has_value());
  return insn.value_or(GuestInsn{});
}

uint8_t mem_size(const GuestInsn& g) {
  for (unsigned i = 0; i < g.op_count; ++i) {
    if (g.ops[i].kind == GuestOperand::Kind::kMem) return g.ops[i].size;
  }
  return 0;
}

TEST(GuestInsnDecoder, TheOperandSizePrefixBeforeRepGivesTheWordStringForm) {
  const Case cases[] = {
      {{0x66, 0xF3, 0x6F}, X86_INS_OUTSW, 2, "rep outsw dx, word ptr [esi]"},
      {{0xF3, 0x66, 0x6F}, X86_INS_OUTSW, 2, "rep outsw dx, word ptr [esi]"},
      {{0x66, 0xF3, 0x6D}, X86_INS_INSW, 2, "rep insw word ptr es:[edi], dx"},
      {{0x66, 0xF2, 0x6D}, X86_INS_INSW, 2, "repne insw word ptr es:[edi], dx"},
      {{0x66, 0x67, 0xF3, 0x6F}, X86_INS_OUTSW, 2, "rep outsw dx, word ptr [si]"},
      {{0x2E, 0x66, 0xF3, 0x6F}, X86_INS_OUTSW, 2, "rep outsw dx, word ptr cs:[esi]"},
      {{0x66, 0xF3, 0xA5}, X86_INS_MOVSW, 2, "rep movsw word ptr es:[edi], word ptr [esi]"},
      {{0x66, 0xF3, 0xAB}, X86_INS_STOSW, 2, "rep stosw word ptr es:[edi], ax"},
      // Without the prefix, or with REP only: as Capstone gives them.
      {{0xF3, 0x6F}, X86_INS_OUTSD, 4, "rep outsd dx, dword ptr [esi]"},
      {{0x66, 0xF3, 0x6E}, X86_INS_OUTSB, 1, "rep outsb dx, byte ptr [esi]"},
      {{0x66, 0x6D}, X86_INS_INSW, 2, "insw word ptr es:[edi], dx"},
  };
  for (const Case& c : cases) {
    const GuestInsn g = decode(c.bytes);
    EXPECT_EQ(g.id, c.id) << c.text;
    EXPECT_EQ(mem_size(g), c.mem_size) << c.text;
    EXPECT_EQ(g.length, c.bytes.size()) << c.text;
    EXPECT_EQ(g.text, c.text);
  }
  // The accumulator of STOS is AX.
  const GuestInsn stos = decode({0x66, 0xF3, 0xAB});
  ASSERT_EQ(stos.op_count, 2);
  EXPECT_EQ(stos.ops[1].kind, GuestOperand::Kind::kGpr);
  EXPECT_EQ(stos.ops[1].size, 2);
}

// In a 16-bit code segment (CS.D = 0) the sizes are 16 bits without a prefix and 32 with
// one: the guest kernel's 16-bit code, which bt interprets with the kit and the classic CPU
// traps in (its OUT DX, AX is two bytes to the port, not four).
TEST(GuestInsnDecoder, ASixteenBitCodeSegmentInvertsThePrefixes) {
  static const GuestInsnDecoder decoder;
  const uint8_t out16[] = {0xEF};                    // out dx, ax
  const uint8_t out32[] = {0x66, 0xEF};              // out dx, eax
  const uint8_t mov16[] = {0x8B, 0x07};              // mov ax, [bx]
  const uint8_t mov32[] = {0x67, 0x66, 0x8B, 0x07};  // mov eax, [edi]
  const auto a = decoder.decode(out16, sizeof out16, 0x1000, false);
  const auto b = decoder.decode(out32, sizeof out32, 0x1000, false);
  const auto c = decoder.decode(mov16, sizeof mov16, 0x1000, false);
  const auto d = decoder.decode(mov32, sizeof mov32, 0x1000, false);
  ASSERT_TRUE(a && b && c && d);
  EXPECT_EQ(a->text, "out dx, ax");
  EXPECT_TRUE(a->o16);
  EXPECT_EQ(a->ops[1].size, 2);
  EXPECT_EQ(b->text, "out dx, eax");
  EXPECT_FALSE(b->o16);
  EXPECT_EQ(b->ops[1].size, 4);
  EXPECT_TRUE(c->a16);
  EXPECT_TRUE(c->o16);
  EXPECT_EQ(c->ops[1].base, 3);  // BX
  EXPECT_FALSE(d->a16);
  EXPECT_FALSE(d->o16);
  EXPECT_EQ(d->ops[1].base, 7);  // EDI
  // The same bytes in a 32-bit segment: the prefixes give the 16-bit forms.
  const auto e = decoder.decode(out32, sizeof out32, 0x1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->text, "out dx, ax");
  EXPECT_TRUE(e->o16);
}

}  // namespace
}  // namespace vmlab::vmm
