// Control flow: JMP, Jcc, LOOPcc, JECXZ, CALL, RET, far JMP/CALL/RET.
//
// The interpreter's twin is engine/cpu/exec_control.cpp. Direct branches are remapped to
// TC addresses through exits that are chained on first use; CALL pushes the guest's
// return address (never a TC address, so the guest sees its own stack); indirect JMP and
// CALL and every RET go through the in-TC hash lookup (Translator::emit_permanent).
// Adams & Agesen 2006, section 3.2; references/papers.md 1e.
#include <capstone/capstone.h>

#include <optional>

#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

namespace x86 = asmjit::x86;
using FE = FragmentEmitter;

namespace {

std::optional<x86::CondCode> condition(unsigned id) {
  switch (id) {
    case X86_INS_JA: return x86::CondCode::kA;
    case X86_INS_JAE: return x86::CondCode::kAE;
    case X86_INS_JB: return x86::CondCode::kB;
    case X86_INS_JBE: return x86::CondCode::kBE;
    case X86_INS_JE: return x86::CondCode::kE;
    case X86_INS_JG: return x86::CondCode::kG;
    case X86_INS_JGE: return x86::CondCode::kGE;
    case X86_INS_JL: return x86::CondCode::kL;
    case X86_INS_JLE: return x86::CondCode::kLE;
    case X86_INS_JNE: return x86::CondCode::kNE;
    case X86_INS_JNO: return x86::CondCode::kNO;
    case X86_INS_JNP: return x86::CondCode::kNP;
    case X86_INS_JNS: return x86::CondCode::kNS;
    case X86_INS_JO: return x86::CondCode::kO;
    case X86_INS_JP: return x86::CondCode::kP;
    case X86_INS_JS: return x86::CondCode::kS;
    default: return std::nullopt;
  }
}

bool is_loop(unsigned id) {
  return id == X86_INS_LOOP || id == X86_INS_LOOPE || id == X86_INS_LOOPNE || id == X86_INS_JECXZ ||
         id == X86_INS_JCXZ;
}

// ECX <- the guest's target operand (the guest's ECX saved first); a 16-bit operand is
// zero-extended, as the processor truncates EIP to IP.
void load_target(FE& e, const ClassifiedInsn& insn) {
  auto& a = e.a();
  a.mov(FE::gs(gsdata::kSaveEcx), x86::ecx);
  const InsnOperand& op = insn.ops[0];
  if (op.kind == InsnOperand::Kind::kReg) {
    if (insn.o16) {
      a.movzx(x86::ecx, x86::gpw(gp32(op.reg).id()));
    } else {
      a.mov(x86::ecx, gp32(op.reg));
    }
    return;
  }
  x86::Mem m = to_mem(op);
  m.setSize(insn.o16 ? 2 : 4);
  // jmp/call *%gs:...: the target is read with the guest's own %gs.
  const bool gs = op.segment == X86_REG_GS;
  if (gs) {
    m.setSegment(x86::gs);
    e.guest_gs_begin();
  }
  if (insn.o16) {
    a.movzx(x86::ecx, m);
  } else {
    a.mov(x86::ecx, m);
  }
  if (gs) e.guest_gs_end();
}

}  // namespace

bool classify_control(ClassifiedInsn& insn) {
  const unsigned id = insn.id;
  const bool branch = id == X86_INS_JMP || id == X86_INS_CALL || id == X86_INS_RET ||
                      condition(id).has_value() || is_loop(id);
  if (branch) {
    insn.terminates = true;
    // 16-bit operand sizes truncate the target to IP (and CALL and RET push and pop IP);
    // a %gs-relative target is read with the guest's %gs (load_target).
    insn.how = Translation::kRemapped;
    return true;
  }
  if (id == X86_INS_LJMP || id == X86_INS_LCALL || id == X86_INS_RETF) {
    insn.terminates = true;
    insn.how = Translation::kCallout;
    return true;
  }
  return false;
}

void emit_control(FE& e, const ClassifiedInsn& insn) {
  auto& a = e.a();
  const unsigned id = insn.id;
  const uint32_t next = insn.eip + insn.length;
  if (insn.how == Translation::kCallout) {
    e.begin(insn, Translation::kCallout);
    const bool far = id == X86_INS_LJMP || id == X86_INS_LCALL || id == X86_INS_RETF;
    e.callout(far ? CalloutKind::kEmulate : CalloutKind::kUnsupported, insn, guest_opcode(insn));
    e.end();
    return;
  }
  const bool direct = insn.op_count > 0 && insn.ops[0].kind == InsnOperand::Kind::kImm;
  // A direct target; with a 16-bit operand size the processor keeps IP only (SDM Vol. 2A,
  // JMP and Jcc: "EIP <- EIP AND 0000FFFFH").
  const uint32_t target =
      direct ? static_cast<uint32_t>(insn.ops[0].imm) & (insn.o16 ? 0xFFFFu : ~0u) : 0;
  if (id == X86_INS_JMP && direct) {
    e.begin(insn, Translation::kRemapped);
    e.exit_jump(target);
    e.end();
  } else if (const auto cc = condition(id)) {
    e.begin(insn, Translation::kRemapped);
    e.exit_jump_if(*cc, target);
    e.exit_jump(next);
    e.end();
  } else if (is_loop(id)) {
    // The rel8 forms keep their own semantics (the count register and ZF); only the
    // targets change. With an address-size prefix they count CX.
    e.begin(insn, Translation::kRemapped);
    asmjit::Label taken = a.newLabel();
    const x86::Gp count = insn.a16 || id == X86_INS_JCXZ ? x86::Gp(x86::cx) : x86::Gp(x86::ecx);
    switch (id) {
      case X86_INS_LOOP: a.loop(count, taken); break;
      case X86_INS_LOOPE: a.loope(count, taken); break;
      case X86_INS_LOOPNE: a.loopne(count, taken); break;
      default: a.jecxz(count, taken); break;
    }
    e.exit_jump(next);
    a.bind(taken);
    e.exit_jump(target);
    e.end();
  } else if (id == X86_INS_CALL && direct) {
    e.begin(insn, Translation::kRemapped);
    e.push_return(next, insn.o16);  // the guest's return address
    e.exit_jump(target);
    e.end();
  } else if (id == X86_INS_CALL) {
    e.begin(insn, Translation::kRemapped, kRestoreEcx);
    load_target(e, insn);
    e.indirect(0, next, insn.o16);
    e.end();
  } else if (id == X86_INS_JMP) {
    e.begin(insn, Translation::kRemapped, kRestoreEcx);
    load_target(e, insn);
    e.indirect(0, std::nullopt);
    e.end();
  } else {  // RET, RET imm16 (a 16-bit RET pops IP)
    const uint32_t release = insn.op_count > 0 ? (insn.ops[0].imm & 0xFFFFu) : 0;
    e.begin(insn, Translation::kRemapped, kRestoreEcx);
    a.mov(FE::gs(gsdata::kSaveEcx), x86::ecx);
    if (insn.o16) {
      a.movzx(x86::ecx, x86::word_ptr(x86::esp));
    } else {
      a.mov(x86::ecx, x86::dword_ptr(x86::esp));
    }
    e.indirect((insn.o16 ? 2 : 4) + release, std::nullopt);
    e.end();
  }
}

}  // namespace vmlab::modes::bt
