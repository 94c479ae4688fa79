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

}  // namespace
}  // namespace vmlab::vmm
