// The system instructions: MOV to and from CRn and DRn, LGDT, LIDT, LLDT, LTR, INVLPG,
// CLTS, LMSW, INVD, WBINVD, RDMSR, WRMSR, CPUID, SYSENTER, SYSEXIT (callouts); SGDT, SIDT, SMSW,
// STR, SLDT (in-TC sequences).
//
// The interpreter's twin is engine/cpu/exec_system.cpp. The privileged ones call out, and
// the monitor runs the same PrivilegedEmulator trap-and-emulate uses (engine/vmm). The
// sensitive stores are the Popek-Goldberg holes of ring compression (Robin & Irvine 2000):
// natively in ring 1 they show the monitor's GDTR, IDTR, TR and CR0; translated they copy
// the guest's own values from the %gs data, which the monitor keeps current.
#include <capstone/capstone.h>

#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

namespace x86 = asmjit::x86;
using FE = FragmentEmitter;

namespace {

bool is_cr_or_dr(const InsnOperand& op) {
  return op.kind == InsnOperand::Kind::kReg && ((op.reg >= X86_REG_CR0 && op.reg <= X86_REG_CR15) ||
                                                (op.reg >= X86_REG_DR0 && op.reg <= X86_REG_DR15));
}

bool uses_reg(const InsnOperand& op, unsigned id) {
  auto same = [&](unsigned r) { return r != 0 && gp32(r).id() == id; };
  return op.kind == InsnOperand::Kind::kMem && (same(op.base) || same(op.index));
}

struct Scratch {
  x86::Gp reg;
  uint32_t slot;
  uint8_t restore;
};

// A scratch register the memory operand does not use, with its save slot.
Scratch pick_scratch(const InsnOperand& op) {
  if (!uses_reg(op, 0)) return {x86::eax, gsdata::kSaveEax, kRestoreEax};
  if (!uses_reg(op, 1)) return {x86::ecx, gsdata::kSaveEcx, kRestoreEcx};
  return {x86::edx, gsdata::kSaveEdx, kRestoreEdx};
}

}  // namespace

bool classify_system(ClassifiedInsn& insn) {
  switch (insn.id) {
    case X86_INS_MOV:
      if (insn.op_count == 2 && (is_cr_or_dr(insn.ops[0]) || is_cr_or_dr(insn.ops[1]))) break;
      return false;
    case X86_INS_LGDT:
    case X86_INS_LIDT:
    case X86_INS_LLDT:
    case X86_INS_LTR:
    case X86_INS_INVLPG:
    case X86_INS_CLTS:
    case X86_INS_LMSW:
    case X86_INS_INVD:
    case X86_INS_WBINVD:
    case X86_INS_RDMSR:
    case X86_INS_WRMSR:
    case X86_INS_CPUID:  // the virtual CPU's answer (PrivilegedEmulator::cpuid)
    case X86_INS_SYSENTER:
    case X86_INS_SYSEXIT: break;
    case X86_INS_SGDT:
    case X86_INS_SIDT:
    case X86_INS_SMSW:
    case X86_INS_STR:
    case X86_INS_SLDT:
      insn.how = Translation::kInTc;  // (a %gs-relative operand stored with the guest's %gs)
      insn.terminates = false;
      return true;
    default: return false;
  }
  insn.how = Translation::kCallout;
  insn.terminates = true;
  return true;
}

void emit_system(FE& e, const ClassifiedInsn& insn) {
  auto& a = e.a();
  if (insn.how == Translation::kCallout) {
    e.begin(insn, Translation::kCallout);
    // (A %gs-relative operand is the guest's own %gs there: the callout puts it back in
    // the real %gs before the PrivilegedEmulator reads the operand.)
    e.callout(CalloutKind::kEmulate, insn, guest_opcode(insn));
    e.end();
    return;
  }
  const InsnOperand& dst = insn.ops[0];
  InTcKind kind = InTcKind::kSgdt;
  uint32_t field = gsdata::kGdtr;
  switch (insn.id) {
    case X86_INS_SIDT:
      kind = InTcKind::kSidt;
      field = gsdata::kIdtr;
      break;
    case X86_INS_SMSW:
      kind = InTcKind::kSmsw;
      field = gsdata::kCr0;
      break;
    case X86_INS_STR:
      kind = InTcKind::kStr;
      field = gsdata::kTr;
      break;
    case X86_INS_SLDT:
      kind = InTcKind::kSldt;
      field = gsdata::kLdtr;
      break;
    default: break;
  }
  if (dst.kind == InsnOperand::Kind::kReg) {
    // SMSW/STR/SLDT r16 or r32: the guest's value, zero-extended.
    const x86::Gp r = gp32(dst.reg);
    e.begin(insn, Translation::kInTc);
    if (dst.size == 2) {
      a.mov(x86::gpw(r.id()), FE::gs(field, 2));
    } else {
      a.movzx(r, FE::gs(field, 2));
    }
    // The counter needs a scratch register other than the destination.
    const x86::Gp s = r.id() == 0 ? x86::ecx : x86::eax;
    const uint32_t slot = r.id() == 0 ? gsdata::kSaveEcx : gsdata::kSaveEax;
    a.mov(FE::gs(slot), s);
    e.count(kind, s);
    a.mov(s, FE::gs(slot));
    e.end();
    return;
  }
  // The value goes through a scratch register the operand does not use; with a 16-bit
  // address size the address is in ECX (a16_address, at each part's offset) and the value
  // in EAX, which 16-bit addressing cannot name.
  const Scratch s = insn.a16 ? Scratch{x86::eax, gsdata::kSaveEax, kRestoreEax} : pick_scratch(dst);
  // A %gs-relative operand: each access made with the guest's own %gs, loaded around it
  // (the values come from the %gs data, which the guest's %gs does not reach).
  const bool gs_operand = dst.segment == X86_REG_GS;
  // The operand `add` bytes on (the processor's offset: wrapped at 64 KiB under a16),
  // `size` bytes wide.
  auto operand = [&](uint32_t add, uint32_t size) {
    x86::Mem m;
    if (insn.a16) {
      a16_address(e, insn, add);
      m = a16_operand(dst);
    } else {
      m = to_mem(dst);
      m.addOffset(add);
    }
    if (gs_operand) m.setSegment(x86::gs);
    m.setSize(size);
    return m;
  };
  auto access = [&](auto&& emit) {
    if (gs_operand) e.guest_gs_begin();
    emit();
    if (gs_operand) e.guest_gs_end();
  };
  uint8_t restore = s.restore;
  if (insn.a16) restore |= kRestoreEcx;
  const bool pseudo_descriptor = kind == InTcKind::kSgdt || kind == InTcKind::kSidt;
  if (pseudo_descriptor) restore |= kEmulateOnFault;
  e.begin(insn, Translation::kInTc, restore);
  a.mov(FE::gs(s.slot), s.reg);
  if (insn.a16) a.mov(FE::gs(gsdata::kSaveEcx), x86::ecx);
  if (pseudo_descriptor) {
    // The 6-byte pseudo-descriptor: the limit at m, the base at m+2 (SDM Vol. 2B, SGDT;
    // with a 16-bit operand size its fourth byte is zero). The processor checks both
    // parts (the segment limit, each page for a write) before it writes either, and its
    // fault is the first check that fails. The base's bytes are first stored as they are
    // (read, and written back: nothing changes), then the limit, then the base: whatever
    // faults does so before the sequence has changed a byte, and the record's
    // kEmulateOnFault has the monitor settle the fault by executing the guest's SGDT on
    // the scratch processor (BtMonitor::page_fault, exception): native's fault, its CR2
    // and error code (a read of a not-present page here says "read", the processor's
    // check "write"), nothing written. The stores after the probe cannot fault: their
    // pages were written just before.
    const x86::Mem base = operand(2, 4);
    access([&] {
      a.mov(s.reg, base);
      a.mov(base, s.reg);
    });
    const x86::Mem limit = operand(0, 2);
    a.mov(s.reg, FE::gs(field));
    access([&] { a.mov(limit, x86::gpw(s.reg.id())); });
    const x86::Mem base_again = insn.a16 ? operand(2, 4) : base;
    a.mov(s.reg, FE::gs(field + 2));
    access([&] {
      a.mov(base_again, s.reg);
      if (insn.o16) {
        x86::Mem top = base_again;
        top.addOffset(3);
        top.setSize(1);
        a.mov(top, 0);
      }
    });
  } else {
    const x86::Mem m = operand(0, 2);
    a.mov(s.reg, FE::gs(field));
    access([&] { a.mov(m, x86::gpw(s.reg.id())); });
  }
  e.count(kind, s.reg);
  a.mov(s.reg, FE::gs(s.slot));
  if (insn.a16) a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
  e.end();
}

}  // namespace vmlab::modes::bt
