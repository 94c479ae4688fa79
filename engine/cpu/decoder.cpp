// The instruction decoder (SDM Vol. 2A, chapter 2: instruction format; Vol. 2D,
// appendix A: opcode maps). The shape of every opcode comes from decoder_tables.cpp;
// this file walks the bytes: prefixes, opcode, ModRM, SIB, displacement, immediates.
#include "engine/cpu/decoder.h"

#include "engine/cpu/cost_class.h"

#include "engine/cpu/cpu_state.h"
#include "engine/cpu/decoder_tables.h"

namespace vmlab::cpu {
namespace {

using decoder_tables::Imm;
using decoder_tables::OpcodeForm;

// The architectural limit on instruction length (SDM Vol. 2A, 2.3.11).
constexpr size_t kMaxLength = 15;

// General-purpose register numbers as the ModRM and SIB fields encode them.
constexpr uint8_t kEbx = 3;
constexpr uint8_t kEsp = 4;
constexpr uint8_t kEbp = 5;
constexpr uint8_t kEsi = 6;
constexpr uint8_t kEdi = 7;

// A read position in the instruction bytes. Every read first checks the 15-byte limit,
// then the bytes the caller made available: an instruction that would run past 15
// bytes is too long however many bytes are at hand, while one that merely runs past
// `avail` may still fit once the caller fetches the next page.
class ByteReader {
 public:
  ByteReader(const uint8_t* bytes, size_t avail) : bytes_(bytes), avail_(avail) {}

  // Reads `n` (1, 2 or 4) bytes little-endian into `value`. Returns false and records
  // the reason when they are not all there.
  bool read(unsigned n, uint32_t& value) {
    const size_t end = pos_ + n;
    if (end > kMaxLength) return fail(DecodeStatus::kTooLong);
    if (end > avail_) return fail(DecodeStatus::kNeedMore);
    value = 0;
    for (unsigned i = 0; i < n; ++i) value |= uint32_t{bytes_[pos_ + i]} << (8 * i);
    pos_ = end;
    return true;
  }
  bool read8(uint8_t& value) {
    uint32_t v = 0;
    if (!read(1, v)) return false;
    value = static_cast<uint8_t>(v);
    return true;
  }

  size_t pos() const { return pos_; }
  DecodeStatus error() const { return error_; }

 private:
  bool fail(DecodeStatus s) {
    error_ = s;
    return false;
  }

  const uint8_t* bytes_;
  size_t avail_;
  size_t pos_ = 0;
  DecodeStatus error_ = DecodeStatus::kOk;
};

uint32_t sign_extend8(uint32_t v) {
  return static_cast<uint32_t>(int32_t{static_cast<int8_t>(v)});
}
uint32_t sign_extend16(uint32_t v) {
  return static_cast<uint32_t>(int32_t{static_cast<int16_t>(v)});
}

// The default segment of a memory operand addressed through `base`: SS for the stack
// and frame pointers, DS for everything else, including no base at all (SDM Vol. 1,
// 3.7.4, table 3-5). The index register plays no part.
uint8_t default_segment(uint8_t base) {
  return base == kEsp || base == kEbp ? SS : DS;
}

// ModRM with 16-bit addressing (SDM Vol. 2A, table 2-1). BP-based forms default to SS.
bool decode_modrm16(ByteReader& r, Insn& out) {
  static constexpr uint8_t kBase[8] = {kEbx, kEbx, kEbp, kEbp, kEsi, kEdi, kEbp, kEbx};
  static constexpr uint8_t kIndex[8] = {kEsi, kEdi, kEsi, kEdi, kNoReg, kNoReg, kNoReg, kNoReg};
  uint32_t disp = 0;
  if (out.mod == 0 && out.rm == 6) {
    // mod=00 rm=110 is a bare disp16: no base, and DS rather than SS.
    if (!r.read(2, disp)) return false;
    out.disp = sign_extend16(disp);
    return true;
  }
  out.base = kBase[out.rm];
  out.index = kIndex[out.rm];
  if (out.mod == 1) {
    if (!r.read(1, disp)) return false;
    out.disp = sign_extend8(disp);
  } else if (out.mod == 2) {
    if (!r.read(2, disp)) return false;
    out.disp = sign_extend16(disp);
  }
  return true;
}

// ModRM and SIB with 32-bit addressing (SDM Vol. 2A, tables 2-2 and 2-3).
bool decode_modrm32(ByteReader& r, Insn& out) {
  uint32_t disp = 0;
  bool disp32 = out.mod == 2;
  if (out.rm == 4) {
    uint8_t sib = 0;
    if (!r.read8(sib)) return false;
    out.scale = static_cast<uint8_t>(sib >> 6);
    const uint8_t index = (sib >> 3) & 7;
    const uint8_t base = sib & 7;
    // An index field of 100 means no index (ESP cannot be scaled).
    out.index = index == kEsp ? kNoReg : index;
    if (base == kEbp && out.mod == 0) {
      disp32 = true;  // [index*scale + disp32], no base
    } else {
      out.base = base;
    }
  } else if (out.rm == 5 && out.mod == 0) {
    disp32 = true;  // [disp32]
  } else {
    out.base = out.rm;
  }
  if (out.mod == 1) {
    if (!r.read(1, disp)) return false;
    out.disp = sign_extend8(disp);
  } else if (disp32) {
    if (!r.read(4, disp)) return false;
    out.disp = disp;
  }
  return true;
}

// Reads the immediate bytes of `form` into imm/imm2 (or disp for moffs).
bool decode_immediates(ByteReader& r, const OpcodeForm& form, Insn& out) {
  const unsigned z = out.o16() ? 2 : 4;  // width of Iz and of rel16/32 and far offsets
  uint32_t v = 0;
  switch (form.imm) {
    case Imm::kNone: return true;
    case Imm::kIb:
      if (!r.read(1, v)) return false;
      out.imm = v;
      return true;
    case Imm::kIbs:
    case Imm::kRel8:
      if (!r.read(1, v)) return false;
      out.imm = sign_extend8(v);
      return true;
    case Imm::kIw:
      if (!r.read(2, v)) return false;
      out.imm = v;
      return true;
    case Imm::kIz:
      if (!r.read(z, v)) return false;
      out.imm = v;
      return true;
    case Imm::kRelz:
      if (!r.read(z, v)) return false;
      out.imm = z == 2 ? sign_extend16(v) : v;
      return true;
    case Imm::kFarPtr:
      if (!r.read(z, v)) return false;
      out.imm = v;
      if (!r.read(2, v)) return false;
      out.imm2 = v;
      return true;
    case Imm::kMoffs:
      if (!r.read(out.a16() ? 2 : 4, v)) return false;
      out.disp = v;
      return true;
    case Imm::kEnter:
      if (!r.read(2, v)) return false;
      out.imm = v;
      if (!r.read(1, v)) return false;
      out.imm2 = v;
      return true;
    case Imm::kGroup3:
      // Only TEST (/0 and its alias /1) has an immediate: Ib for F6, Iz for F7.
      if (out.reg > 1) return true;
      if (!r.read((out.op & 1) ? z : 1, v)) return false;
      out.imm = v;
      return true;
  }
  return true;
}

}  // namespace

// The x87 escapes (D8-DF): the forms the SDM documents (Vol. 2D, tables ); the
// reserved ones, the undocumented aliases and the SSE3 FISTTP raise #UD on this processor.
static bool x87_encoding_defined(const Insn& insn) {
  const unsigned reg = insn.reg, rm = insn.rm;
  if (insn.mod != 3) {
    switch (insn.op) {
      case 0xD9: return reg != 1;
      case 0xDB: return reg != 1 && reg != 4 && reg != 6;
      case 0xDD: return reg != 1 && reg != 5;
      case 0xDF: return reg != 1;
      default: return true;
    }
  }
  switch (insn.op) {
    case 0xD8: return true;
    case 0xD9:
      switch (reg) {
        case 2: return rm == 0;                                   // FNOP
        case 3: return false;                                     // FSTP1 alias
        case 4: return rm == 0 || rm == 1 || rm == 4 || rm == 5;  // FCHS FABS FTST FXAM
        case 5: return rm != 7;                                   // the constants
        default: return true;
      }
    case 0xDA: return reg < 4 || (reg == 5 && rm == 1);  // FCMOVcc, FUCOMPP
    case 0xDB: return reg != 7 && (reg != 4 || rm < 5);  // FCMOVNcc, FNCLEX FNINIT, FCOMI
    case 0xDC: return reg != 2 && reg != 3;              // not the FCOM2/FCOMP3 aliases
    case 0xDD: return reg == 0 || (reg >= 2 && reg <= 5);
    case 0xDE: return reg != 2 && (reg != 3 || rm == 1);  // FCOMPP only in its row
    case 0xDF: return reg == 0 || (reg == 4 && rm == 0) || reg == 5 || reg == 6;
    default: return true;
  }
}

bool encoding_defined(const Insn& insn) {
  const OpcodeForm& form = decoder_tables::opcode_form(insn.op);
  if (!form.supported) return false;
  if (insn.op >= 0xD8 && insn.op <= 0xDF && !x87_encoding_defined(insn)) return false;
  const unsigned slot = 1u << insn.reg;
  if (!(form.defined_regs & slot)) return false;
  if (insn.has_modrm() && insn.mod == 3 && (form.memory_only_regs & slot)) return false;
  // LOCK is legal only on the read-modify-write forms that the SDM lists, and only with
  // a memory destination; anything else is #UD (SDM Vol. 2A, 2.1.1 and LOCK).
  return !insn.lock() || ((form.lockable_regs & slot) && insn.mem());
}

DecodeStatus decode(const uint8_t* bytes, size_t avail, bool default32, Insn& out) {
  out = Insn{};
  ByteReader r(bytes, avail);

  // Prefixes, in any order and repeated (SDM Vol. 2A, 2.1.1). Repeating 66 or 67 does not
  // toggle back: each states "the other size", and the last segment override wins.
  bool opsize_prefix = false;
  bool addrsize_prefix = false;
  uint8_t seg_override = kNoReg;
  uint8_t b = 0;
  for (;;) {
    if (!r.read8(b)) return r.error();
    switch (b) {
      case 0x66: opsize_prefix = true; continue;
      case 0x67: addrsize_prefix = true; continue;
      case 0xF0: out.flags |= insn_flags::kLock; continue;
      case 0xF2: out.flags |= insn_flags::kRepne; continue;
      case 0xF3: out.flags |= insn_flags::kRep; continue;
      case 0x26: seg_override = ES; continue;
      case 0x2E: seg_override = CS; continue;
      case 0x36: seg_override = SS; continue;
      case 0x3E: seg_override = DS; continue;
      case 0x64: seg_override = FS; continue;
      case 0x65: seg_override = GS; continue;
      default: break;
    }
    break;
  }
  if (opsize_prefix == default32) out.flags |= insn_flags::kOpsize16;
  if (addrsize_prefix == default32) out.flags |= insn_flags::kAddr16;
  if (seg_override != kNoReg) out.flags |= insn_flags::kSegOverride;
  out.seg = seg_override != kNoReg ? seg_override : static_cast<uint8_t>(DS);

  // Opcode: one byte, 0F and one byte, or one of the three-byte escapes 0F 38 / 0F 3A.
  out.op = b;
  if (b == 0x0F) {
    if (!r.read8(b)) return r.error();
    out.op = kTwoByte | b;
    // The escapes keep op = 0x138 / 0x13A; the third byte only selects an instruction
    // this processor does not have.
    if (b == 0x38 || b == 0x3A) {
      if (!r.read8(b)) return r.error();
    }
  }
  const OpcodeForm& form = decoder_tables::opcode_form(out.op);

  if (form.modrm) {
    uint8_t modrm = 0;
    if (!r.read8(modrm)) return r.error();
    out.flags |= insn_flags::kModrm;
    out.mod = static_cast<uint8_t>(modrm >> 6);
    out.reg = (modrm >> 3) & 7;
    out.rm = modrm & 7;
    if (form.register_form) out.mod = 3;
    if (out.mod != 3) {
      if (!(out.a16() ? decode_modrm16(r, out) : decode_modrm32(r, out))) return r.error();
      if (seg_override == kNoReg) out.seg = default_segment(out.base);
    }
  }
  if (!decode_immediates(r, form, out)) return r.error();

  out.len = static_cast<uint8_t>(r.pos());
  // The semantic routine: the handler table's, unless the SDM makes this encoding
  // undefined whatever the table holds.
  out.exec = encoding_defined(out) ? handler_table().get(out.op, out.reg) : &handler_undefined;
  out.cost_class = cost_class_of(out.op, out.reg);
  return DecodeStatus::kOk;
}

bool opcode_has_modrm(uint16_t op) {
  return decoder_tables::opcode_form(op).modrm;
}

}  // namespace vmlab::cpu
