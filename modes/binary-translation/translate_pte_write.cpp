// Adaptive BT's traced store (onto a guest page table, or the page of the guest's GDT or
// LDT), performed in the translation cache.
//
// Adams & Agesen's software VMM, after adaptive retranslation, emulates a guilty store to a
// traced guest page table inside the TC: the store and the shadow update without a
// callout (2006, Sec. 3.2 and Fig. 4: ptemod "unchanged" 391 cycles under BT against 1254
// for any callout). vmlab's shadow MMU is host code, so the translated store reaches it
// through the device doorbell, as the in-TC POST port read does (translate_io.cpp): the
// sequence computes the store's offset with LEA from the guest's own registers, leaves the
// offset and the value in the %gs data, and rings the doorbell with the store's segment.
// The monitor (in_tc_pte_write.cpp) checks, during that store, that the guest could make
// the store and that it lands on one entry of a traced guest page table or on a traced
// frame of its GDT or LDT; then it performs it with the shadow update, as the SIMULATE
// callout's emulator would, and leaves 0 in kPteFallback. Anything else (a store the
// segment or the guest's tables refuse, one that is misaligned or crosses entries, one to
// an untraced page) leaves 1, and the sequence makes the SIMULATE callout instead, which emulates
// the instruction exactly and keeps adaptive BT's innocence count.
//
// The form: MOV r/m32, r32 (89), MOV r/m32, imm32 (C7 /0) and MOV moffs32, EAX (A3), with
// 32-bit addressing and no prefix but a segment override (the %gs-relative ones belong to
// translate_segment.cpp). Other stores keep the SIMULATE callout. The sequence borrows ECX
// (saved, and restored from the slot if anything faulted in it) and changes no flag:
//
//     mov gs:[kSaveEcx], ecx
//     lea ecx, [the store's operand]      ; its offset, from the guest's registers
//     mov gs:[kPteOffset], ecx
//     mov ecx, gs:[kSaveEcx]
//     mov gs:[kPteValue], <reg or imm>    ; the value, the guest's register
//     mov dword gs:[kDoorbell], kPteRequest | segment
//     mov ecx, gs:[kPteFallback]          ; 0: the monitor performed the store
//     jecxz done
//     mov ecx, gs:[kSaveEcx]
//     int 0xBD                            ; SIMULATE: the emulator performs the instruction
// done:
//     mov ecx, gs:[kSaveEcx]
#include <capstone/capstone.h>

#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

namespace x86 = asmjit::x86;

namespace {

bool is_gp32(const InsnOperand& op) {
  if (op.kind != InsnOperand::Kind::kReg || op.size != 4) return false;
  switch (op.reg) {
    case X86_REG_EAX:
    case X86_REG_ECX:
    case X86_REG_EDX:
    case X86_REG_EBX:
    case X86_REG_ESP:
    case X86_REG_EBP:
    case X86_REG_ESI:
    case X86_REG_EDI: return true;
    default: return false;
  }
}

bool is_gp32_reg(uint16_t reg) {
  InsnOperand op;
  op.kind = InsnOperand::Kind::kReg;
  op.size = 4;
  op.reg = reg;
  return is_gp32(op);
}

// The segment register the store goes through: its override, else SS for an ESP- or
// EBP-based operand and DS otherwise (SDM Vol. 1, 3.7.4).
cpu::SegReg store_segment(const InsnOperand& m) {
  switch (m.segment) {
    case X86_REG_ES: return cpu::ES;
    case X86_REG_CS: return cpu::CS;
    case X86_REG_SS: return cpu::SS;
    case X86_REG_DS: return cpu::DS;
    case X86_REG_FS: return cpu::FS;
    case X86_REG_GS: return cpu::GS;
    default: break;
  }
  return m.base == X86_REG_ESP || m.base == X86_REG_EBP ? cpu::SS : cpu::DS;
}

}  // namespace

bool is_in_tc_pte_write(const ClassifiedInsn& insn) {
  if (insn.id != X86_INS_MOV || insn.op_count != 2 || insn.o16 || insn.a16 || insn.rep ||
      insn.uses_gs) {
    return false;
  }
  // Only a segment override may precede the opcode.
  unsigned at = 0;
  while (at < insn.length &&
         (insn.bytes[at] == 0x26 || insn.bytes[at] == 0x2E || insn.bytes[at] == 0x36 ||
          insn.bytes[at] == 0x3E || insn.bytes[at] == 0x64)) {
    ++at;
  }
  if (at >= insn.length) return false;
  const uint8_t opcode = insn.bytes[at];
  const InsnOperand& dst = insn.ops[0];
  const InsnOperand& src = insn.ops[1];
  if (dst.kind != InsnOperand::Kind::kMem || dst.size != 4) return false;
  if ((dst.base != 0 && !is_gp32_reg(dst.base)) || (dst.index != 0 && !is_gp32_reg(dst.index))) {
    return false;
  }
  switch (opcode) {
    case 0x89: return is_gp32(src);
    case 0xA3: return is_gp32(src) && src.reg == X86_REG_EAX;
    case 0xC7: return src.kind == InsnOperand::Kind::kImm;
    default: return false;
  }
}

void emit_pte_write(FragmentEmitter& e, const ClassifiedInsn& insn) {
  auto& a = e.a();
  const InsnOperand& dst = insn.ops[0];
  const InsnOperand& src = insn.ops[1];
  e.begin(insn, Translation::kInTc, kRestoreEcx);
  asmjit::Label done = a.newLabel();
  a.mov(FragmentEmitter::gs(gsdata::kSaveEcx), x86::ecx);
  x86::Mem offset = to_mem(dst);
  offset.resetSegment();  // LEA: the offset alone; the monitor adds the segment's base
  a.lea(x86::ecx, offset);
  a.mov(FragmentEmitter::gs(gsdata::kPteOffset), x86::ecx);
  a.mov(x86::ecx, FragmentEmitter::gs(gsdata::kSaveEcx));
  if (src.kind == InsnOperand::Kind::kImm) {
    a.mov(FragmentEmitter::gs(gsdata::kPteValue), asmjit::Imm(src.imm));
  } else {
    a.mov(FragmentEmitter::gs(gsdata::kPteValue), gp32(src.reg));
  }
  a.mov(FragmentEmitter::gs(gsdata::kDoorbell),
        asmjit::Imm(gsdata::kPteRequest | static_cast<uint32_t>(store_segment(dst))));
  a.mov(x86::ecx, FragmentEmitter::gs(gsdata::kPteFallback));
  a.jecxz(x86::ecx, done);
  a.mov(x86::ecx, FragmentEmitter::gs(gsdata::kSaveEcx));
  e.callout(CalloutKind::kSimulateWrite, insn, insn.bytes[0]);
  a.bind(done);
  a.mov(x86::ecx, FragmentEmitter::gs(gsdata::kSaveEcx));
  e.end();
}

}  // namespace vmlab::modes::bt
