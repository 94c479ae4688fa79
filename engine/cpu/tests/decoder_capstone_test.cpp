// Cross-check of the decoder against Capstone 4 on random byte sequences: wherever
// Capstone decodes an instruction that this processor supports (the i686 integer and
// system instructions), the length, the memory operand and the immediates must agree.
// The generator is biased towards prefixes, the 0F map and every ModRM/SIB shape, so the
// interesting encodings are common rather than one in 256. For the x87, MMX and SSE
// opcodes, which decode only to raise #UD, the lengths must agree too.
//
// Capstone 4 conventions this test adapts to: it names a segment only for an override;
// it reports branch targets, not displacements; it sign-extends immediates to 64 bits
// (compared at the operand's width). Where it departs from the SDM the case is excluded
// or relaxed narrowly, with the reason beside the code (excluded(), other_length_expected()
// and the relative-branch comparison).
#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/cpu_state.h"
#include "engine/cpu/decoder.h"
#include "engine/cpu/decoder_tables.h"

namespace vmlab::cpu {
namespace {

constexpr uint64_t kAddress = 0x10000;  // where Capstone believes the bytes are
constexpr int kSequences = 1'000'000;
constexpr int kMaxReported = 10;

std::string hex(const uint8_t* b, size_t n) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x ", b[i]);
    s += buf;
  }
  return s;
}

// Capstone's register names to the numbers the ModRM and SIB fields use.
uint8_t gpr_number(x86_reg r) {
  switch (r) {
    case X86_REG_EAX: return 0;
    case X86_REG_ECX: return 1;
    case X86_REG_EDX: return 2;
    case X86_REG_EBX:
    case X86_REG_BX: return 3;
    case X86_REG_ESP: return 4;
    case X86_REG_EBP:
    case X86_REG_BP: return 5;
    case X86_REG_ESI:
    case X86_REG_SI: return 6;
    case X86_REG_EDI:
    case X86_REG_DI: return 7;
    default: return kNoReg;  // X86_REG_INVALID, and EIZ (Capstone's "no index")
  }
}

uint8_t segment_number(x86_reg r) {
  switch (r) {
    case X86_REG_ES: return ES;
    case X86_REG_CS: return CS;
    case X86_REG_SS: return SS;
    case X86_REG_DS: return DS;
    case X86_REG_FS: return FS;
    case X86_REG_GS: return GS;
    default: return kNoReg;
  }
}

// Random instruction bytes shaped like real code: up to four prefixes, a one-byte or
// two-byte opcode, and a ModRM byte whose mod and rm favour the forms with SIB and
// displacements. The tail is uniform, which covers SIB, displacements and immediates.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  void fill(uint8_t (&buf)[15]) {
    for (auto& b : buf) b = byte();
    if (pick(10) == 0) return;  // one in ten stays uniform
    size_t pos = 0;
    static constexpr uint8_t kPrefixes[] = {0x66, 0x66, 0x67, 0x67, 0xF0, 0xF2, 0xF3,
                                            0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65};
    const unsigned nprefix = pick(3) == 0 ? pick(5) : 0;
    for (unsigned i = 0; i < nprefix; ++i) buf[pos++] = kPrefixes[pick(sizeof kPrefixes)];
    if (pick(5) < 2) {
      buf[pos++] = 0x0F;
      if (pick(50) == 0) buf[pos++] = pick(2) ? 0x38 : 0x3A;
    }
    ++pos;  // the opcode stays uniform
    // ModRM: mod uniform; rm = 100 (SIB) and 101 (disp32 / EBP) twice as likely.
    const uint8_t mod = static_cast<uint8_t>(pick(4));
    const unsigned r = pick(12);
    const uint8_t rm = static_cast<uint8_t>(r < 8 ? r : (r < 10 ? 4 : 5));
    buf[pos] = static_cast<uint8_t>((mod << 6) | (buf[pos] & 0x38) | rm);
    ++pos;
    if (pick(4) == 0) buf[pos] = static_cast<uint8_t>((buf[pos] & 0xF8) | 5);  // SIB base=101
  }

 private:
  uint8_t byte() { return static_cast<uint8_t>(rng_() >> 24); }
  unsigned pick(size_t n) { return static_cast<unsigned>(rng_() % n); }

  std::mt19937 rng_;
};

struct Counts {
  int decoded_by_capstone = 0;
  int compared = 0;         // supported here: length, memory operand and immediates checked
  int memory_operands = 0;  // of those, with a memory operand compared
  int immediates = 0;       // of those, with immediates compared
  int excluded = 0;         // supported opcode, skipped by excluded() below
  int unsupported = 0;      // x87, MMX, SSE, ...: length compared only
  int unsupported_other_length = 0;  // of those, Capstone reads another length
  int failures = 0;
  // Bytes Capstone rejects although this decoder defines the encoding, by opcode. A note
  // for the reader, not a failure. Seen with Capstone 4.0.2: the hint NOPs 0F 0D and
  // 0F 18-1F with most ModRM values (reserved hint NOPs, SDM Vol. 2D, table A-3),
  // and MOV A0-A3 carrying both 66 and F2/F3 (F2/F3 mean nothing to MOV).
  std::map<uint16_t, int> rejected_by_capstone;
  std::map<uint16_t, std::string> rejected_example;
};

class CapstoneCrossCheck {
 public:
  explicit CapstoneCrossCheck(bool default32) : default32_(default32) {
    ok_ = cs_open(CS_ARCH_X86, default32 ? CS_MODE_32 : CS_MODE_16, &handle_) == CS_ERR_OK;
    if (ok_) {
      cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON);
      insn_ = cs_malloc(handle_);
    }
  }
  ~CapstoneCrossCheck() {
    if (insn_ != nullptr) cs_free(insn_, 1);
    if (ok_) cs_close(&handle_);
  }
  CapstoneCrossCheck(const CapstoneCrossCheck&) = delete;
  CapstoneCrossCheck& operator=(const CapstoneCrossCheck&) = delete;
  bool ok() const { return ok_; }

  // Checks one buffer; returns an empty string when it agrees (or is not compared),
  // else a description of the disagreement.
  std::string check(const uint8_t (&buf)[15], Counts& counts) {
    Insn ours;
    const DecodeStatus status = decode(buf, sizeof buf, default32_, ours);

    const uint8_t* code = buf;
    size_t size = sizeof buf;
    uint64_t address = kAddress;
    const bool cs_ok = cs_disasm_iter(handle_, &code, &size, &address, insn_);

    if (status != DecodeStatus::kOk) {
      // 15 bytes are always enough unless the instruction is too long, which Capstone
      // must then refuse as well.
      return cs_ok ? "ours: too long; Capstone" + where() : "";
    }
    const bool supported = decoder_tables::opcode_form(ours.op).supported;
    if (!cs_ok) {
      if (supported && encoding_defined(ours)) {
        if (counts.rejected_by_capstone[ours.op]++ == 0) {
          counts.rejected_example[ours.op] = hex(buf, sizeof buf);
        }
      }
      return "";
    }
    ++counts.decoded_by_capstone;
    if (!supported) {
      // The decoder promises lengths, not operands, for what it does not execute.
      ++counts.unsupported;
      if (insn_->size == ours.len) return "";
      ++counts.unsupported_other_length;
      if (other_length_expected(ours)) return "";
      return "length of an unsupported instruction: ours " + std::to_string(ours.len) +
             ", Capstone " + std::to_string(insn_->size) + where();
    }
    if (excluded(ours)) {
      ++counts.excluded;
      return "";
    }
    ++counts.compared;
    return compare(ours, counts);
  }

 private:
  // Unsupported opcodes whose length Capstone 4 reads otherwise, each for a reason.
  static bool other_length_expected(const Insn& ours) {
    switch (ours.op) {
      // UD1 (0F B9) and UD0 (0F FF) take a ModRM byte (SDM Vol. 2B, UD); Capstone 4
      // decodes them as two bytes.
      case 0x1B9:
      case 0x1FF:
      // 0F A6 and 0F A7 are VIA PadLock instructions to Capstone, blank in table A-3.
      case 0x1A6:
      case 0x1A7:
      // 0F 78 and 0F 79 with 66 or F2 are AMD's SSE4a EXTRQ/INSERTQ, with immediates
      // Intel's VMREAD/VMWRITE do not have.
      case 0x178:
      case 0x179: return true;
      default: return false;
    }
  }

  // Encodings whose comparison is skipped, each for a stated reason.
  bool excluded(const Insn& ours) const {
    const decoder_tables::OpcodeForm& form = decoder_tables::opcode_form(ours.op);
    // C4, C5 and 62 with mod=11 are LES, LDS and BOUND of a register on an i686, which
    // raise #UD; processors with AVX and AVX-512 read them as VEX and EVEX prefixes in
    // 32-bit mode (SDM Vol. 2A, 2.3.5 and 2.6.1), and so does Capstone.
    if ((ours.op == 0xC4 || ours.op == 0xC5 || ours.op == 0x62) && ours.mod == 3) return true;
    // Group slots that table A-6 leaves reserved (#UD here) but that later processors
    // use, e.g. XABORT (C6 F8) and XBEGIN (C7 F8) of TSX.
    if (ours.has_modrm() && !(form.defined_regs & (1u << ours.reg))) return true;
    // Capstone 4 drops the 66 prefix of a relative CALL or JMP that also carries F2 or F3
    // (its MPX "BND" handling) and reads a rel32. The SDM makes the displacement size
    // follow the operand size alone (Vol. 2A, CALL and JMP), and F2/F3 mean nothing to
    // a branch on an i686, so a 66 prefix selects rel16 whatever else is present.
    if (ours.o16() && (ours.rep() || ours.repne()) && (form.imm == decoder_tables::Imm::kRelz)) {
      return true;
    }
    return false;
  }

  std::string compare(const Insn& ours, Counts& counts) const {
    const cs_x86& x = insn_->detail->x86;
    char buf[160];
    if (insn_->size != ours.len) {
      std::snprintf(buf, sizeof buf, "length: ours %u, Capstone %u", ours.len, insn_->size);
      return buf + where();
    }
    const cs_x86_op* mem = nullptr;
    std::vector<const cs_x86_op*> imms;
    for (unsigned i = 0; i < x.op_count; ++i) {
      if (x.operands[i].type == X86_OP_MEM && mem == nullptr) mem = &x.operands[i];
      if (x.operands[i].type == X86_OP_IMM) imms.push_back(&x.operands[i]);
    }
    const bool moffs = ours.op >= 0xA0 && ours.op <= 0xA3;
    if (ours.mem() || moffs) {
      ++counts.memory_operands;
      if (mem == nullptr) return "Capstone has no memory operand";
      const x86_op_mem& m = mem->mem;
      const uint8_t cs_index = gpr_number(m.index);
      const uint32_t mask = ours.a16() ? 0xFFFF : 0xFFFFFFFF;
      const uint32_t cs_seg = segment_number(m.segment);
      const uint32_t our_seg = (ours.flags & insn_flags::kSegOverride) ? ours.seg : kNoReg;
      const bool same = gpr_number(m.base) == ours.base && cs_index == ours.index &&
                        (cs_index == kNoReg || m.scale == (1 << ours.scale)) &&
                        (static_cast<uint32_t>(m.disp) & mask) == (ours.disp & mask) &&
                        cs_seg == our_seg;
      if (!same) {
        std::snprintf(buf, sizeof buf,
                      "memory operand: ours base %u index %u scale %u disp %x seg %u; "
                      "Capstone base %u index %u scale %d disp %llx seg %u",
                      ours.base, ours.index, 1u << ours.scale, ours.disp, our_seg,
                      gpr_number(m.base), cs_index, m.scale,
                      static_cast<unsigned long long>(m.disp), cs_seg);
        return buf + where();
      }
    }
    return compare_immediates(ours, imms, counts);
  }

  std::string compare_immediates(const Insn& ours, const std::vector<const cs_x86_op*>& imms,
                                 Counts& counts) const {
    using decoder_tables::Imm;
    const Imm kind = decoder_tables::opcode_form(ours.op).imm;
    if (kind == Imm::kNone || kind == Imm::kMoffs) return "";
    if (kind == Imm::kGroup3 && ours.reg > 1) return "";
    ++counts.immediates;
    char buf[160];
    auto mismatch = [&](uint32_t expected, int64_t got) {
      std::snprintf(buf, sizeof buf, "immediate: ours %x, Capstone %llx", expected,
                    static_cast<unsigned long long>(got));
      return buf + where();
    };
    // AAM and AAD with the usual base 10 print with no operand in Capstone.
    if (imms.empty() && (ours.op == 0xD4 || ours.op == 0xD5) && ours.imm == 10) return "";
    if (imms.empty()) return mismatch(ours.imm, -1);
    const auto width_mask = [](const cs_x86_op* op) {
      return op->size >= 4 ? 0xFFFFFFFFu : (1u << (8 * op->size)) - 1;
    };
    switch (kind) {
      case Imm::kRel8:
      case Imm::kRelz: {
        // Capstone reports the branch target, not the displacement. With a 16-bit operand
        // size the processor clears the upper half of EIP (SDM Vol. 2A, Jcc and JMP), so
        // only the low 16 bits of such a target are architectural; Capstone 4 computes it
        // with rel16 zero-extended. Capstone also truncates every target to 16 bits in
        // 16-bit code and under a 67 prefix in 32-bit code, even with a 32-bit operand
        // size, which the SDM does not do (the address size plays no part in a relative
        // branch). In those cases the low 16 bits are what both can agree on; the length
        // still checks the width of the displacement.
        const uint32_t target = static_cast<uint32_t>(kAddress + ours.len + ours.imm);
        const uint32_t got = static_cast<uint32_t>(imms[0]->imm);
        const bool prefix67 = ours.a16() == default32_;
        const uint32_t mask = ours.o16() || prefix67 || !default32_ ? 0xFFFF : 0xFFFFFFFF;
        if ((got & mask) == (target & mask)) return "";
        return mismatch(target, imms[0]->imm);
      }
      case Imm::kFarPtr:
      case Imm::kEnter: {
        if (imms.size() < 2) return mismatch(ours.imm2, -1);
        // Capstone lists the far pointer as selector:offset, ENTER as size, level, and
        // sign-extends both; the encodings are Iw:Iz and Iw, Ib.
        const bool far = kind == Imm::kFarPtr;
        const uint32_t first = far ? ours.imm2 : ours.imm;
        const uint32_t second = far ? ours.imm : ours.imm2;
        const uint32_t second_mask = far ? (ours.o16() ? 0xFFFF : 0xFFFFFFFF) : 0xFF;
        if ((static_cast<uint32_t>(imms[0]->imm) & 0xFFFF) != first) {
          return mismatch(first, imms[0]->imm);
        }
        if ((static_cast<uint32_t>(imms[1]->imm) & second_mask) != second) {
          return mismatch(second, imms[1]->imm);
        }
        return "";
      }
      default: {
        const uint32_t mask = width_mask(imms[0]);
        if ((static_cast<uint32_t>(imms[0]->imm) & mask) != (ours.imm & mask)) {
          return mismatch(ours.imm, imms[0]->imm);
        }
        return "";
      }
    }
  }

  std::string where() const {
    return std::string(" (") + insn_->mnemonic + " " + insn_->op_str + ")";
  }

  bool default32_;
  csh handle_ = 0;
  cs_insn* insn_ = nullptr;
  bool ok_ = false;
};

void run_cross_check(bool default32, int sequences, uint32_t seed) {
  CapstoneCrossCheck checker(default32);
  ASSERT_TRUE(checker.ok()) << "cs_open failed";
  Generator gen(seed);
  Counts counts;
  uint8_t buf[15];
  for (int i = 0; i < sequences; ++i) {
    gen.fill(buf);
    const std::string problem = checker.check(buf, counts);
    if (!problem.empty()) {
      ++counts.failures;
      if (counts.failures <= kMaxReported) {
        ADD_FAILURE() << hex(buf, sizeof buf) << ": " << problem;
      }
    }
  }
  std::printf(
      "%d-bit code: %d sequences, Capstone decoded %d; compared %d (memory operand %d, "
      "immediates %d), excluded %d, not supported here %d (other length in Capstone %d); "
      "disagreements %d\n",
      default32 ? 32 : 16, sequences, counts.decoded_by_capstone, counts.compared,
      counts.memory_operands, counts.immediates, counts.excluded, counts.unsupported,
      counts.unsupported_other_length, counts.failures);
  std::printf("  valid encodings Capstone rejects, by opcode:");
  for (const auto& [op, n] : counts.rejected_by_capstone) std::printf(" %03x:%d", op, n);
  std::printf("\n");
  for (const auto& [op, example] : counts.rejected_example) {
    std::printf("    %03x e.g. %s\n", op, example.c_str());
  }
  EXPECT_EQ(counts.failures, 0);
  EXPECT_GT(counts.compared, sequences / 2);
  EXPECT_GT(counts.memory_operands, sequences / 8);
  EXPECT_GT(counts.immediates, sequences / 10);
}

TEST(DecoderCapstone, RandomSequencesAgreeIn32BitCode) {
  run_cross_check(true, kSequences, 20261121);
}

// A smaller run for 16-bit code segments, where 66 and 67 select the 32-bit forms.
TEST(DecoderCapstone, RandomSequencesAgreeIn16BitCode) {
  run_cross_check(false, kSequences / 4, 4242);
}

}  // namespace
}  // namespace vmlab::cpu
