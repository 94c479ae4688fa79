// Segment registers: the %gs escape, MOV from CS and PUSH CS, and the SS loads.
//
// The interpreter's twin is engine/cpu/exec_segment.cpp. While the guest kernel runs from
// the TC, the real %gs holds the translator's data segment (the paper's "%gs escape",
// references/papers.md 1e), so the guest's own %gs is virtual: MOV/POP to GS store the
// selector in the %gs data and MOV/PUSH from GS read it back (the processor loads it
// first, at the instruction: below). The real CS is the TC's code
// segment, so MOV from CS and PUSH CS show the guest's CS with RPL 0 from the %gs data;
// MOV from SS and PUSH SS likewise show the guest's SS with RPL 0 (SS changes only in the
// monitor: an event, an IRET, a MOV/POP SS or LSS callout, which update the %gs data).
// MOV SS, POP SS and LSS with the guest's RPL-0 selectors fault in ring 1 and are
// callouts to the PrivilegedEmulator.
//
// The monitor's own selectors (docs/isolation.md): the TC code and %gs data descriptors
// are DPL 1, so a guest kernel's MOV, POP, LDS, LES, LFS of DS, ES or FS run as they are
// in ring 1 would load them, where natively the selector lies past the guest's GDT limit.
// (LAR, LSL, VERR and VERW are callouts: the kit examines the guest's own descriptors,
// PrivilegedEmulator::descriptor_probe.) Each such load of the guest kernel (and
// each load of its virtual %gs) first looks its selector up in the selector table of the
// %gs data, without changing a flag:
//     mov gs:[kSaveEcx], ecx
//     movzx ecx, word <the selector>          ; the operand, [SS:(E)SP] for POP, m+2/4
//                                             ; for LxS, after a read of the offset at m
//     movzx ecx, word gs:[kSelectorTable + ecx*2]
//     jecxz ok                                ; 0: a selector the guest may name
//     mov gs:[kSelectorFault], ecx            ; else its #GP error code
//     mov ecx, gs:[kSaveEcx]
//     int 0xBD                                ; kMonitorSelector: #GP(selector), or ZF clear
// ok: mov ecx, gs:[kSaveEcx]
//     (the instruction, as before)
// The table marks every GDT selector the guest's table does not hold (past its limit, and
// the monitor's slots above it; BtMonitor::sync_selector_table), so that a load of the
// virtual %gs gets native's #GP(selector) too. A selector the table passes is a guest slot
// or an LDT one, which the processor checks itself.
//
// MOV GS, POP GS and LGS have the processor make the load itself, at the instruction, as
// natively (SDM Vol. 2, POP, LGS, MOV; Vol. 3A, 3.4.3, 3.4.5.1): after the check, the
// guest's own instruction runs as it is (its stack pop, its far pointer's read, every check
// of the descriptor, its accessed bit, its destination register), and the monitor's %gs is
// put back from the TC's first bytes:
//     (the check, which also leaves the selector it passed at kGsChecked)
//     pop gs | lgs r, m | mov gs, m16         ; the guest's bytes (with %gs-relative operands
//                                             ; between a load of its own %gs and ...)
//     mov gs, cs:[0xfc100000]                 ; ... the monitor's back
//     mov ecx, gs:[kGsChecked]                ; the checked selector into kVgs and kVgsLoad
// A fault of the load leaves ESP, the destination and %gs as they were, as natively. What
// reaches kVgs is the selector the check read and passed, never a second read: the
// processor's write of the accessed bit faults into the monitor, which sets it in the
// guest's descriptor, and that write may change the very bytes the load reads (a stack slot
// or far pointer inside the guest's GDT); the load then restarts at the check
// (BtMonitor::page_fault), so that a selector the table refuses never loads.
#include <capstone/capstone.h>

#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

namespace x86 = asmjit::x86;
using FE = FragmentEmitter;

x86::Gp gp32(unsigned r) {
  static constexpr unsigned k32[] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                                     X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI};
  static constexpr unsigned k16[] = {X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                                     X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI};
  static constexpr unsigned k8[] = {X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL};
  for (unsigned i = 0; i < 8; ++i) {
    if (r == k32[i] || r == k16[i] || (i < 4 && r == k8[i])) return x86::gpd(i);
  }
  return x86::gpd(0);
}

x86::Mem to_mem(const InsnOperand& op) {
  x86::Mem m;
  const bool base = op.base != 0;
  const bool index = op.index != 0;
  const uint32_t shift = op.scale == 8 ? 3 : op.scale == 4 ? 2 : op.scale == 2 ? 1 : 0;
  if (base && index) {
    m = x86::ptr(gp32(op.base), gp32(op.index), shift, op.disp);
  } else if (base) {
    m = x86::ptr(gp32(op.base), op.disp);
  } else if (index) {
    m = x86::ptr(static_cast<uint64_t>(static_cast<uint32_t>(op.disp)), gp32(op.index), shift);
  } else {
    m = x86::ptr_abs(static_cast<uint32_t>(op.disp));
  }
  switch (op.segment) {
    case X86_REG_ES: m.setSegment(x86::es); break;
    case X86_REG_CS: m.setSegment(x86::cs); break;
    case X86_REG_SS: m.setSegment(x86::ss); break;
    case X86_REG_DS: m.setSegment(x86::ds); break;
    case X86_REG_FS: m.setSegment(x86::fs); break;
    default: break;
  }
  m.setSize(op.size);
  return m;
}

namespace {

bool is_sreg(const InsnOperand& op, unsigned reg) {
  return op.kind == InsnOperand::Kind::kReg && op.reg == reg;
}

// A scratch register among EAX, ECX, EDX that the operand does not use.
struct Scratch {
  x86::Gp reg;
  uint32_t slot;
  uint8_t restore;
};
Scratch scratch_for(const InsnOperand& op) {
  auto uses = [&](unsigned id) {
    if (op.kind == InsnOperand::Kind::kReg) return gp32(op.reg).id() == id;
    if (op.kind != InsnOperand::Kind::kMem) return false;
    return (op.base != 0 && gp32(op.base).id() == id) ||
           (op.index != 0 && gp32(op.index).id() == id);
  };
  if (!uses(0)) return {x86::eax, gsdata::kSaveEax, kRestoreEax};
  if (!uses(1)) return {x86::ecx, gsdata::kSaveEcx, kRestoreEcx};
  return {x86::edx, gsdata::kSaveEdx, kRestoreEdx};
}

// The scratch register of a load of the virtual %gs: ECX (which the check saves first),
// or EAX when it is LGS's destination.
Scratch gs_load_scratch(const ClassifiedInsn& insn) {
  if (insn.id == X86_INS_LGS && gp32(insn.ops[0].reg).id() == x86::ecx.id()) {
    return {x86::eax, gsdata::kSaveEax, kRestoreEax};
  }
  return {x86::ecx, gsdata::kSaveEcx, kRestoreEcx};
}

enum class Form : uint8_t {
  kNone,
  kLoadGs,
  kLgs,
  kPopGs,
  kStoreGs,
  kPushGs,
  kStoreCs,
  kPushCs,
  kStoreSs,
  kPushSs,
  kSs,
  kLoadData,  // MOV, POP, LDS, LES, LFS of DS, ES or FS: as it is, after the selector check
  kReadDesc   // LAR, LSL, VERR, VERW: a callout, emulated on the guest's own descriptors
};

bool is_data_sreg(const InsnOperand& op) {
  return is_sreg(op, X86_REG_DS) || is_sreg(op, X86_REG_ES) || is_sreg(op, X86_REG_FS);
}

Form form_of(const ClassifiedInsn& insn) {
  const InsnOperand& a = insn.ops[0];
  const InsnOperand& b = insn.ops[1];
  switch (insn.id) {
    case X86_INS_MOV:
      if (insn.op_count != 2) return Form::kNone;
      if (is_sreg(a, X86_REG_GS)) return Form::kLoadGs;
      if (is_sreg(b, X86_REG_GS)) return Form::kStoreGs;
      if (is_sreg(b, X86_REG_CS)) return Form::kStoreCs;
      if (is_sreg(b, X86_REG_SS)) return Form::kStoreSs;
      if (is_sreg(a, X86_REG_SS)) return Form::kSs;
      if (is_data_sreg(a)) return Form::kLoadData;
      return Form::kNone;
    case X86_INS_PUSH:
      if (is_sreg(a, X86_REG_GS)) return Form::kPushGs;
      if (is_sreg(a, X86_REG_CS)) return Form::kPushCs;
      if (is_sreg(a, X86_REG_SS)) return Form::kPushSs;
      return Form::kNone;
    case X86_INS_POP:
      if (is_sreg(a, X86_REG_GS)) return Form::kPopGs;
      if (is_sreg(a, X86_REG_SS)) return Form::kSs;
      if (is_data_sreg(a)) return Form::kLoadData;
      return Form::kNone;
    case X86_INS_LSS: return Form::kSs;
    case X86_INS_LDS:
    case X86_INS_LES:
    case X86_INS_LFS:
      return insn.op_count == 2 && b.kind == InsnOperand::Kind::kMem ? Form::kLoadData
                                                                     : Form::kNone;
    case X86_INS_LAR:
    case X86_INS_LSL:
    case X86_INS_VERR:
    case X86_INS_VERW: return Form::kReadDesc;
    case X86_INS_LGS:
      return insn.op_count == 2 && b.kind == InsnOperand::Kind::kMem ? Form::kLgs : Form::kNone;
    default: return Form::kNone;
  }
}

// Where the selector an instruction loads or reads lies: its register, or its memory
// operand (the stack's top for POP, the far pointer's selector for LDS, LES, LFS, LGS).
struct SelectorSource {
  bool in_memory = false;
  x86::Mem mem;
  x86::Gp reg;
  bool gs_relative = false;
  bool far_pointer = false;  // LDS, LES, LFS, LGS: the offset (offset_size bytes) precedes
  uint32_t offset_size = 0;
  bool stack_default = false;  // 16-bit addressing through BP, no override: SS-relative
};
SelectorSource selector_source(const ClassifiedInsn& insn) {
  SelectorSource src;
  const InsnOperand* op = nullptr;
  uint32_t skip = 0;
  switch (insn.id) {
    case X86_INS_POP:
      src.in_memory = true;
      src.mem = x86::ptr(x86::esp);
      src.mem.setSize(2);
      return src;
    case X86_INS_LDS:
    case X86_INS_LES:
    case X86_INS_LFS:
    case X86_INS_LGS:
      op = &insn.ops[1];
      skip = insn.ops[0].size == 2 ? 2 : 4;
      break;
    case X86_INS_VERR:
    case X86_INS_VERW: op = &insn.ops[0]; break;
    default: op = &insn.ops[1]; break;  // MOV Sreg, r/m16; LAR and LSL r, r/m16
  }
  if (op->kind == InsnOperand::Kind::kReg) {
    src.reg = x86::gpw(gp32(op->reg).id());
    return src;
  }
  src.in_memory = true;
  src.mem = to_mem(*op);
  src.mem.addOffset(skip);
  src.mem.setSize(2);
  src.gs_relative = op->segment == X86_REG_GS;
  if (src.gs_relative) src.mem.setSegment(x86::gs);  // (read with the guest's own %gs)
  src.far_pointer = skip != 0;
  src.offset_size = skip;
  src.stack_default = insn.a16 && op->base == X86_REG_BP && op->segment == 0;
  return src;
}

}  // namespace

void a16_address(FE& e, const ClassifiedInsn& insn, uint32_t add) {
  unsigned i = 0;
  auto prefix = [](uint8_t b) {
    return b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 ||
           b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
  };
  while (i < insn.length && prefix(insn.bytes[i])) ++i;
  if (insn.bytes[i] == 0x0F) ++i;
  ++i;  // the opcode; then its ModRM
  const uint8_t modrm = insn.bytes[i];
  const unsigned mod = modrm >> 6;
  const unsigned rm = modrm & 7u;
  const unsigned disp = mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 6)) ? 2 : 0;
  uint8_t lea[5] = {0x67, 0x8D, static_cast<uint8_t>((modrm & 0xC7u) | 0x08u), 0, 0};
  for (unsigned d = 0; d < disp; ++d) lea[3 + d] = insn.bytes[i + 1 + d];
  e.a().embed(lea, 3 + disp);
  if (add != 0) {
    const uint8_t adjust[] = {0x66, 0x8D, 0x49, static_cast<uint8_t>(add)};  // lea cx,[ecx+add]
    e.a().embed(adjust, sizeof adjust);
  }
}

x86::Mem a16_operand(const InsnOperand& op) {
  x86::Mem m = x86::ptr(x86::ecx);
  const x86::Mem segment = to_mem(op);  // (its segment override, if any)
  if (segment.hasSegment()) m.setSegment(segment.segment());
  if (op.segment == 0 && op.base == X86_REG_BP) m.setSegment(x86::ss);
  if (op.segment == X86_REG_GS) m.setSegment(x86::gs);
  m.setSize(op.size);
  return m;
}

namespace {

// The selector check (the file's comment). Borrows ECX (the caller's record restores it).
// `keep`: the selector is left at kGsChecked too.
void check_selector(FE& e, const ClassifiedInsn& insn, bool read_only, bool keep = false) {
  auto& a = e.a();
  const SelectorSource src = selector_source(insn);
  asmjit::Label ok = a.newLabel();
  a.mov(FE::gs(gsdata::kSaveEcx), x86::ecx);
  if (insn.id == X86_INS_POP) {
    // The processor pops from [SS:SP] on a 16-bit stack, [SS:ESP] on a 32-bit one: ESP
    // with its upper half cleared or kept, without a flag (gsdata::kStackHighSkip).
    a.mov(FE::gs(gsdata::kStackTop), x86::esp);
    a.mov(x86::ecx, FE::gs(gsdata::kStackHighSkip));
    x86::Mem high = x86::word_ptr(gsdata::kStackTop + 2, x86::ecx);
    high.setSegment(x86::gs);
    a.mov(high, 0);
    a.mov(x86::ecx, FE::gs(gsdata::kStackTop));
    x86::Mem top = x86::word_ptr(x86::ecx);
    top.setSegment(x86::ss);
    a.movzx(x86::ecx, top);
  } else if (!src.in_memory) {
    a.movzx(x86::ecx, src.reg);
  } else {
    // The operand's bytes `at` from its start (the selector's: src.offset_size), read into
    // ECX; under a 16-bit address size at the processor's 16-bit address (a16_address).
    auto read = [&](uint32_t at, uint32_t size) {
      x86::Mem m = src.mem;
      if (insn.a16) {
        a16_address(e, insn, at);
        m = x86::ptr(x86::ecx);
        if (src.mem.hasSegment()) m.setSegment(src.mem.segment());
        if (src.stack_default) m.setSegment(x86::ss);
      } else {
        m.addOffset(static_cast<int64_t>(at) - static_cast<int64_t>(src.offset_size));
      }
      m.setSize(size);
      if (src.gs_relative) e.guest_gs_begin();
      if (size == 4) {
        a.mov(x86::ecx, m);
      } else {
        a.movzx(x86::ecx, m);
      }
      if (src.gs_relative) e.guest_gs_end();
    };
    if (src.far_pointer) {
      // LDS, LES, LFS, LGS read the offset first, then the selector (QEMU's order; the
      // processor's #PF on a far pointer that straddles a not-present page names the first
      // part that faults): the offset is read here too, as wide, its value dropped, and
      // ECX, which its address may use, put back before the selector's.
      read(0, src.offset_size);
      a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
    }
    read(src.offset_size, 2);
  }
  if (keep) a.mov(FE::gs(gsdata::kGsChecked), x86::ecx);
  x86::Mem entry = x86::word_ptr(gsdata::kSelectorTable, x86::ecx, 1);
  entry.setSegment(x86::gs);
  a.movzx(x86::ecx, entry);
  a.jecxz(x86::ecx, ok);
  a.mov(FE::gs(gsdata::kSelectorFault), x86::ecx);
  a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
  e.callout(CalloutKind::kMonitorSelector, insn, read_only ? 1 : 0);
  a.bind(ok);
  a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
}

// Counts through EAX, saved around it.
void count_with_eax(FE& e, InTcKind kind) {
  auto& a = e.a();
  a.mov(FE::gs(gsdata::kSaveEax), x86::eax);
  e.count(kind, x86::eax);
  a.mov(x86::eax, FE::gs(gsdata::kSaveEax));
}

bool gs_relative_operand(const ClassifiedInsn& insn) {
  for (unsigned i = 0; i < insn.op_count && i < insn.ops.size(); ++i) {
    if (insn.ops[i].kind == InsnOperand::Kind::kMem && insn.ops[i].segment == X86_REG_GS) {
      return true;
    }
  }
  return false;
}

// POP GS, LGS, MOV GS from memory: the check, then the processor's own load, then the
// checked selector into the %gs data (the file's comment).
void emit_gs_load(FE& e, const ClassifiedInsn& insn) {
  auto& a = e.a();
  const Scratch s = gs_load_scratch(insn);
  e.begin(insn, Translation::kInTc, static_cast<uint8_t>(s.restore | kRestoreEcx | kSelectorLoad));
  // (EAX is saved before anything can fault, so that a fault restores the guest's own.)
  if (s.slot != gsdata::kSaveEcx) a.mov(FE::gs(s.slot), s.reg);
  check_selector(e, insn, false, true);
  if (gs_relative_operand(insn)) e.guest_gs_begin();
  e.ident(insn);
  e.guest_gs_end();
  a.mov(s.reg, FE::gs(gsdata::kGsChecked));
  a.mov(FE::gs(gsdata::kVgs), s.reg);
  a.mov(FE::gs(gsdata::kVgsLoad), s.reg);
  e.count(InTcKind::kLoadGs, s.reg);
  a.mov(s.reg, FE::gs(s.slot));
  e.end();
}

}  // namespace

uint32_t cs_selector_check(const ClassifiedInsn& insn) {
  // The guest's %gs too (MOV GS, LGS): out of the TC the real %gs is the guest's, which the
  // kit's load replaces and the next entry parks as any (BtMonitor::park_guest_gs).
  const Form f = form_of(insn);
  if (f != Form::kLoadData && f != Form::kLoadGs && f != Form::kLgs) return 0;
  const bool far_pointer = insn.id == X86_INS_LDS || insn.id == X86_INS_LES ||
                           insn.id == X86_INS_LFS || insn.id == X86_INS_LGS;
  const uint32_t at = far_pointer ? (insn.ops[0].size == 2 ? 2u : 4u) : 0u;
  return TranslationCache::kSimulateLoad | at << TranslationCache::kSimulateSelectorShift;
}

bool classify_segment(ClassifiedInsn& insn) {
  const Form f = form_of(insn);
  if (f == Form::kLoadData) {
    insn.how = Translation::kInTc;
    insn.terminates = false;
    return true;
  }
  // LAR, LSL, VERR, VERW: the kit's emulation on the guest's own descriptors (the processor
  // would examine the shadow's, DPL 1 and cut below the hole: differential.py --richer seed
  // 32006's LSL gave 0xFBFFFFFF for a flat segment), as are the SS loads.
  if (f == Form::kSs || f == Form::kReadDesc) {
    insn.how = Translation::kCallout;
    insn.terminates = true;
    return true;
  }
  if (f != Form::kNone || insn.uses_gs) {
    // Every other load or store of GS, CS or SS (through a %gs-relative operand too), and
    // any other instruction with a %gs-relative memory operand: an in-TC sequence (the
    // latter runs as it is, between a load of the guest's own %gs and the return of the
    // monitor's: as it is, the operand would reach the translator's data).
    insn.how = Translation::kInTc;
    insn.terminates = false;
    return true;
  }
  return false;
}

void emit_segment(FE& e, const ClassifiedInsn& insn) {
  auto& a = e.a();
  const Form f = form_of(insn);
  if (insn.how == Translation::kCallout) {
    e.begin(insn, Translation::kCallout);
    e.callout(
        f == Form::kSs || f == Form::kReadDesc ? CalloutKind::kEmulate : CalloutKind::kUnsupported,
        insn, guest_opcode(insn));
    e.end();
    return;
  }
  if (f == Form::kNone) {  // a %gs-relative operand (classify_segment)
    e.begin(insn, Translation::kInTc);
    e.guest_gs_begin();
    e.ident(insn);
    e.guest_gs_end();
    count_with_eax(e, InTcKind::kGsOverride);
    e.end();
    return;
  }
  switch (f) {
    case Form::kLoadData:
      e.begin(insn, Translation::kInTc,
              static_cast<uint8_t>(kRestoreEcx |
                                   (selector_source(insn).in_memory ? kSelectorLoad : 0)));
      check_selector(e, insn, false);
      if (insn.uses_gs) e.guest_gs_begin();
      e.ident(insn);
      if (insn.uses_gs) e.guest_gs_end();
      e.end();
      return;
    case Form::kPopGs:
    case Form::kLgs: emit_gs_load(e, insn); return;
    case Form::kPushGs:
    case Form::kPushCs:
    case Form::kPushSs: {
      const uint32_t field = f == Form::kPushGs   ? gsdata::kVgs
                             : f == Form::kPushCs ? gsdata::kVcs
                                                  : gsdata::kVss;
      const InTcKind kind = f == Form::kPushGs   ? InTcKind::kStoreGs
                            : f == Form::kPushCs ? InTcKind::kPushCs
                                                 : InTcKind::kMovFromSs;
      e.begin(insn, Translation::kInTc);
      a.push(FE::gs(field));
      count_with_eax(e, kind);
      e.end();
      return;
    }
    case Form::kLoadGs: {
      const InsnOperand& src = insn.ops[1];
      if (src.kind == InsnOperand::Kind::kMem) {
        emit_gs_load(e, insn);
        return;
      }
      const Scratch s = scratch_for(src);
      e.begin(insn, Translation::kInTc, static_cast<uint8_t>(s.restore | kRestoreEcx));
      check_selector(e, insn, false);
      a.mov(FE::gs(s.slot), s.reg);
      a.movzx(s.reg, x86::gpw(gp32(src.reg).id()));
      // The processor loads the selector now, as natively: its checks (a fault leaves
      // %gs and the guest's registers as they were) and the accessed bit in the guest's
      // descriptor (DeprivilegedSegments::accessed_write); then the monitor's %gs is back.
      a.mov(x86::gs, x86::gpw(s.reg.id()));
      e.guest_gs_end();
      a.mov(FE::gs(gsdata::kVgs), s.reg);
      a.mov(FE::gs(gsdata::kVgsLoad), s.reg);
      e.count(InTcKind::kLoadGs, s.reg);
      a.mov(s.reg, FE::gs(s.slot));
      e.end();
      return;
    }
    case Form::kStoreGs:
    case Form::kStoreCs:
    case Form::kStoreSs: {
      const uint32_t field = f == Form::kStoreGs   ? gsdata::kVgs
                             : f == Form::kStoreCs ? gsdata::kVcs
                                                   : gsdata::kVss;
      const InTcKind kind = f == Form::kStoreGs   ? InTcKind::kStoreGs
                            : f == Form::kStoreCs ? InTcKind::kMovFromCs
                                                  : InTcKind::kMovFromSs;
      const InsnOperand& dst = insn.ops[0];
      if (dst.kind == InsnOperand::Kind::kReg) {
        const x86::Gp r = gp32(dst.reg);
        e.begin(insn, Translation::kInTc);
        if (dst.size == 2) {
          a.mov(x86::gpw(r.id()), FE::gs(field, 2));
        } else {
          a.movzx(r, FE::gs(field, 2));
        }
        const Scratch s = scratch_for(dst);
        a.mov(FE::gs(s.slot), s.reg);
        e.count(kind, s.reg);
        a.mov(s.reg, FE::gs(s.slot));
        e.end();
        return;
      }
      // (A 16-bit address size: the address in ECX, a16_address; the value in EAX, which
      // 16-bit addressing cannot name.)
      const Scratch s =
          insn.a16 ? Scratch{x86::eax, gsdata::kSaveEax, kRestoreEax} : scratch_for(dst);
      x86::Mem m = insn.a16 ? a16_operand(dst) : to_mem(dst);
      m.setSize(2);
      const bool gs_operand = dst.segment == X86_REG_GS;  // stored with the guest's %gs
      if (gs_operand) m.setSegment(x86::gs);
      e.begin(insn, Translation::kInTc,
              static_cast<uint8_t>(s.restore | (insn.a16 ? kRestoreEcx : 0)));
      a.mov(FE::gs(s.slot), s.reg);
      if (insn.a16) {
        a.mov(FE::gs(gsdata::kSaveEcx), x86::ecx);
        a16_address(e, insn, 0);
      }
      a.mov(s.reg, FE::gs(field));
      if (gs_operand) e.guest_gs_begin();
      a.mov(m, x86::gpw(s.reg.id()));
      if (gs_operand) e.guest_gs_end();
      e.count(kind, s.reg);
      a.mov(s.reg, FE::gs(s.slot));
      if (insn.a16) a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
      e.end();
      return;
    }
    default: break;
  }
  e.begin(insn, Translation::kCallout);
  e.callout(CalloutKind::kUnsupported, insn, guest_opcode(insn));
  e.end();
}

}  // namespace vmlab::modes::bt
