#include "engine/vmm/kit/guest_insn.h"

#include <capstone/capstone.h>

#include <utility>

namespace vmlab::vmm {

namespace {

// Capstone's register to the processor's number and size.
bool map_register(x86_reg r, GuestOperand& op) {
  static constexpr x86_reg k32[] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                                    X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI};
  static constexpr x86_reg k16[] = {X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                                    X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI};
  static constexpr x86_reg k8[] = {X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
                                   X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH};
  static constexpr x86_reg kSeg[] = {X86_REG_ES, X86_REG_CS, X86_REG_SS,
                                     X86_REG_DS, X86_REG_FS, X86_REG_GS};
  for (uint8_t i = 0; i < 8; ++i) {
    if (r == k32[i] || r == k16[i] || r == k8[i]) {
      op.kind = GuestOperand::Kind::kGpr;
      op.reg = i;
      op.size = r == k32[i] ? 4 : r == k16[i] ? 2 : 1;
      return true;
    }
  }
  for (uint8_t i = 0; i < 6; ++i) {
    if (r == kSeg[i]) {
      op.kind = GuestOperand::Kind::kSreg;
      op.reg = i;
      op.size = 2;
      return true;
    }
  }
  if (r >= X86_REG_CR0 && r <= X86_REG_CR15) {
    op.kind = GuestOperand::Kind::kCr;
    op.reg = static_cast<uint8_t>(r - X86_REG_CR0);
    op.size = 4;
    return true;
  }
  if (r >= X86_REG_DR0 && r <= X86_REG_DR15) {
    op.kind = GuestOperand::Kind::kDr;
    op.reg = static_cast<uint8_t>(r - X86_REG_DR0);
    op.size = 4;
    return true;
  }
  return false;
}

int8_t gpr32(x86_reg r) {
  GuestOperand op;
  if (r == X86_REG_INVALID || !map_register(r, op) || op.kind != GuestOperand::Kind::kGpr) {
    return -1;
  }
  return static_cast<int8_t>(op.reg);
}

// Capstone 4.0.2 names a string instruction with the operand-size prefix before a REP or
// REPNE prefix (66 F3 6F, the order GCC emits `rep outsw` in) by its doubleword form (rep
// outsd) and gives its memory operand as a dword, though it reports the 66 prefix (66 after
// F3 decodes right). The operand-size attribute is the prefix's (SDM Vol. 2A, 2.1.1): the
// word form, its operands 16 bits wide.
void word_string_form(GuestInsn& g) {
  struct Form {
    uint8_t opcode;
    unsigned dword, word;
    const char* dword_name;
    const char* word_name;
  };
  static constexpr Form kForms[] = {
      {0x6D, X86_INS_INSD, X86_INS_INSW, "insd", "insw"},
      {0x6F, X86_INS_OUTSD, X86_INS_OUTSW, "outsd", "outsw"},
      {0xA5, X86_INS_MOVSD, X86_INS_MOVSW, "movsd", "movsw"},
      {0xA7, X86_INS_CMPSD, X86_INS_CMPSW, "cmpsd", "cmpsw"},
      {0xAB, X86_INS_STOSD, X86_INS_STOSW, "stosd", "stosw"},
      {0xAD, X86_INS_LODSD, X86_INS_LODSW, "lodsd", "lodsw"},
      {0xAF, X86_INS_SCASD, X86_INS_SCASW, "scasd", "scasw"},
  };
  if (!g.o16) return;
  for (const Form& f : kForms) {
    if (g.opcode != f.opcode || g.id != f.dword) continue;
    g.id = f.word;
    for (unsigned i = 0; i < g.op_count; ++i) {
      GuestOperand& op = g.ops[i];
      // The memory operands and the accumulator (EAX of STOS, LODS, SCAS); DX, the port of
      // INS and OUTS, is a word already.
      if (op.kind == GuestOperand::Kind::kMem ||
          (op.kind == GuestOperand::Kind::kGpr && op.reg == 0 && op.size == 4)) {
        op.size = 2;
      }
    }
    // The text as Capstone gives the word form.
    const auto swap = [&](const std::string& from, const std::string& to) {
      for (auto at = g.text.find(from); at != std::string::npos; at = g.text.find(from, at)) {
        g.text.replace(at, from.size(), to);
        at += to.size();
      }
    };
    swap(f.dword_name, f.word_name);
    swap("dword ptr", "word ptr");
    swap("eax", "ax");
    return;
  }
}

}  // namespace

GuestInsnDecoder::GuestInsnDecoder() {
  for (const auto& [mode, handle] : {std::pair{CS_MODE_32, &handle_}, {CS_MODE_16, &handle16_}}) {
    csh h = 0;
    if (cs_open(CS_ARCH_X86, mode, &h) == CS_ERR_OK) {
      cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
      *handle = h;
    }
  }
}

GuestInsnDecoder::~GuestInsnDecoder() {
  for (const size_t handle : {handle_, handle16_}) {
    if (handle != 0) {
      csh h = handle;
      cs_close(&h);
    }
  }
}

std::optional<GuestInsn> GuestInsnDecoder::decode(const uint8_t* bytes, size_t size,
                                                  uint32_t address, bool code32) const {
  const size_t handle = code32 ? handle_ : handle16_;
  if (handle == 0 || size == 0) return std::nullopt;
  cs_insn* ci = nullptr;
  const size_t n = cs_disasm(handle, bytes, size, address, 1, &ci);
  if (n == 0) return std::nullopt;
  GuestInsn g;
  const cs_x86& x = ci->detail->x86;
  g.id = ci->id;
  g.length = static_cast<uint8_t>(ci->size);
  g.text = std::string(ci->mnemonic) + (ci->op_str[0] ? " " : "") + ci->op_str;
  g.rep = x.prefix[0] == X86_PREFIX_REP;
  g.repne = x.prefix[0] == X86_PREFIX_REPNE;
  g.lock = x.prefix[0] == X86_PREFIX_LOCK;
  g.o16 = (x.prefix[2] == X86_PREFIX_OPSIZE) == code32;
  g.a16 = (x.prefix[3] == X86_PREFIX_ADDRSIZE) == code32;
  g.opcode = x.opcode[0] == 0x0F ? static_cast<uint16_t>(0x100 | x.opcode[1]) : x.opcode[0];
  if (x.encoding.modrm_offset != 0) g.modrm_reg = (x.modrm >> 3) & 7;
  g.op_count = static_cast<uint8_t>(std::min<unsigned>(x.op_count, 4));
  for (unsigned i = 0; i < g.op_count; ++i) {
    const cs_x86_op& o = x.operands[i];
    GuestOperand& op = g.ops[i];
    switch (o.type) {
      case X86_OP_REG:
        if (!map_register(o.reg, op)) op.kind = GuestOperand::Kind::kOther;
        break;
      case X86_OP_IMM:
        op.kind = GuestOperand::Kind::kImm;
        op.imm = static_cast<uint32_t>(o.imm);
        op.size = o.size;
        break;
      case X86_OP_MEM: {
        op.kind = GuestOperand::Kind::kMem;
        op.size = o.size;
        op.base = gpr32(o.mem.base);
        op.index = gpr32(o.mem.index);
        op.scale = static_cast<uint8_t>(o.mem.scale);
        op.disp = static_cast<uint32_t>(o.mem.disp);
        GuestOperand s;
        if (o.mem.segment != X86_REG_INVALID && map_register(o.mem.segment, s)) {
          op.seg = s.reg;
        } else {
          // The default segment: SS for EBP- and ESP-based addresses, DS otherwise
          // (SDM Vol. 1, 3.7.4).
          op.seg = (op.base == 4 || op.base == 5) ? 2 : 3;
        }
        break;
      }
      default: op.kind = GuestOperand::Kind::kOther; break;
    }
  }
  cs_free(ci, n);
  word_string_form(g);
  return g;
}

}  // namespace vmlab::vmm
