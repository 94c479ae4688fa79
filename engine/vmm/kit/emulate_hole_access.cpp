// The hypervisor hole as the guest's address space (issue 12, item 12).
//
// Ring compression keeps the monitor's GDT, IDT, TSS (and binary translation's translation
// cache) in the top 64 MiB of the linear space, and cuts every guest segment below
// 0xFC000000 so that the deprivileged guest cannot reach them (deprivileged_segments.h).
// A guest that uses linear addresses there (the local APIC's page at 0xFEE00000, a stack
// that grows down from 4 GiB) would therefore take a #GP or #SS for a limit it never set,
// or a #PF its own page tables do not raise. VMware's monitor, which kept itself in the
// same place, emulated such accesses (Adams & Agesen 2006, section 3; references/papers.md
// 1e); so does this one: the faulting instruction runs once on the scratch processor
// (scratch_execution.h) with the guest's own segment limits, and its accesses to the hole
// walk the guest's page tables like any other, so that a read or write there reaches the
// guest's memory as its tables say (with paging off, the physical address, above the
// guest's RAM, where the bus reads all ones and drops writes, as natively without a local
// APIC). A fault the guest's own limits or tables raise there is the guest's, as natively.
// An instruction fetched from the hole runs the same way (each one faults on the cut CS
// limit, or on the hole's supervisor pages, and is executed here). The same holds for the
// gap below the hole that a page-granular cut (rounded down) leaves. The monitor's
// structures are never mapped for it: a segment load whose memory operand is in the hole
// reads the operand here and loads on the real processor (hole_operand_load); a far
// transfer that is the hole's (its far pointer there, its target beyond the cut, or the
// instruction itself there) is the real processor's with the target's own limit
// (emulate_far_transfer.cpp); an access through an expand-down segment whose range
// reaches the hole (loaded empty, deprivileged_segments.h) runs here with the guest's
// limit. Any other instruction that needs the monitor's structures (port I/O checked
// against the TSS) stays unemulated, and the original fault is reflected
// (docs/modes/trap-and-emulate.md, "The hole is the guest's too").
#include <capstone/capstone.h>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/kit/guest_stack.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/scratch_execution.h"

namespace vmlab::vmm {

namespace {

// The segment registers whose limits ring compression cuts: the data segments, and CS, so
// that an instruction fetched from the hole (a jump there) runs too, one at a time.
constexpr unsigned kCutSegments[] = {cpu::ES, cpu::CS, cpu::SS, cpu::DS, cpu::FS, cpu::GS};

}  // namespace

PrivilegedEmulator::Outcome PrivilegedEmulator::or_hole_access(const Outcome& first) {
  if (first.verdict != Verdict::kNotEmulated || !c_.shadow.has_hole()) return first;
  return emulate_hole_access();
}

PrivilegedEmulator::Outcome PrivilegedEmulator::emulate_stack_fault() {
  if (!user()) {
    Outcome fault;
    const auto insn = fetch(fault);
    if (insn) {
      Outcome returned{Verdict::kNotEmulated};
      if (insn->id == X86_INS_IRET || insn->id == X86_INS_IRETD) returned = iret(*insn);
      if (insn->id == X86_INS_RETF) returned = far_return(*insn);
      if (insn->id == X86_INS_POP) returned = load_stack_segment(*insn);  // (POP SS only)
      if (returned.verdict != Verdict::kNotEmulated) return returned;
    }
  }
  return emulate_hole_access();
}

PrivilegedEmulator::Outcome PrivilegedEmulator::emulate_hole_access() {
  if (!c_.shadow.has_hole() || c_.cpu.guest_mode()) return {Verdict::kNotEmulated};
  if (!scratch_) make_scratch();
  // PUSHF's image under binary translation shows the virtual IF and IOPL, as its
  // translation does (user code's PUSHF reads the real flags, which are the guest's there).
  // (The opcode is read past its prefixes without decoding, so that an instruction whose
  // page the guest does not map leaves no trace here: the scratch run reports that fault.)
  bool flags_image = false;
  if (virtual_sensitive_ && c_.cpu.state().cpl != 3) {
    const cpu::CpuState& s = c_.cpu.state();
    for (uint32_t at = 0; at < 15; ++at) {
      uint8_t b = 0;
      if (!c_.memory.read(s.seg[cpu::CS].base + s.eip + at, &b, 1, user())) break;
      const bool prefix = b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 ||
                          b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 ||
                          b == 0x65;
      if (!prefix) {
        flags_image = b == 0x9C;
        break;
      }
    }
  }
  const VirtualCpu& v = c_.vcpu;
  // Whether a data segment register holds a segment that the shadow loads empty (an
  // expand-down one whose range reaches the hole, or one based in the hole): every access
  // through it faults, and is the hole's.
  bool emptied = false;
  cpu::SegmentCache viewed[cpu::kNumSegRegs];  // the scratch processor's before it runs
  auto view = [&](cpu::CpuState& st) {
    // The guest's own limits: the cut is the only difference between the shadow's
    // descriptor and the guest's (DeprivilegedSegments::compress), so a segment cache
    // loaded from the guest's descriptor gets that descriptor's limit back: a longer one
    // for an expand-up segment, a lower one (a wider range) for an expand-down one.
    for (const unsigned i : kCutSegments) {
      cpu::SegmentCache& seg = st.seg[i];
      const cpu::SegmentCache own = guest_segment_view(segments(), seg);
      if (seg.expand_down() && (own.limit != seg.limit || !own.expand_down())) emptied = true;
      seg = own;
    }
    if (flags_image) {
      st.eflags = v.kernel_eflags_image(st.eflags);
    }
    for (unsigned i = 0; i < cpu::kNumSegRegs; ++i) viewed[i] = st.seg[i];
  };
  ScratchExecution::Effects r = scratch_->execute(view, true);
  if (!r.unsupported.empty()) {
    // An instruction that also needs the monitor's structures: a far transfer that is the
    // hole's (emulate_far_transfer.cpp), or a segment load whose memory operand is in the
    // hole, performed in two steps.
    const Outcome far = far_transfer_past_cut();
    if (far.verdict != Verdict::kNotEmulated) return far;
    return r.touched_hole ? hole_operand_load(r.hole_linear) : Outcome{Verdict::kNotEmulated};
  }
  // A jump into the hole: it touches nothing there, but its target lies beyond the cut CS
  // limit, which the processor checks at the jump (SDM Vol. 3A, 5.3).
  const cpu::SegmentCache& cs = c_.cpu.state().seg[cpu::CS];
  const bool jumped_in = r.retired && r.state.eip > cs.limit;
  // A stack pointer moved into the hole (or the gap): ENTER checks its new ESP against the
  // SS limit (SDM Vol. 2, ENTER: #SS(0) "if the new value of the SP or ESP register is
  // outside the stack segment limit"), so a frame that walks ESP below 0 faults on the cut
  // limit before anything is stored there.
  const cpu::SegmentCache& ss = c_.cpu.state().seg[cpu::SS];
  const uint32_t esp = c_.cpu.state().gpr[cpu::ESP];
  const bool stack_moved_in = r.retired && !ss.expand_down() && r.state.gpr[cpu::ESP] != esp &&
                              ss.stack_top(r.state.gpr[cpu::ESP]) > ss.limit;
  // Not the hole's doing: the caller's fault stands. The gap between a page-granular cut
  // (rounded down) and the hole is the hole's doing too: the scratch run, with the guest's
  // limits, is what the processor does natively there. So is an access through an
  // expand-down segment loaded empty, wherever it goes: the run with the guest's limit
  // is the native one (its #GP or #SS when the guest's limit refuses it).
  if (!r.touched_hole && !r.touched_gap && !jumped_in && !stack_moved_in && !emptied) {
    return {Verdict::kNotEmulated};
  }
  // A segment load that reads no descriptor (a null selector into DS, ES, FS or GS: LDS
  // with its far pointer in the hole, MOV or POP from there) retires on the scratch
  // processor, whose segment registers are not brought back (they are cut here): the load
  // is the real processor's, with the operand read here, as one that reads the GDT is
  // (random guest seed 21101: LDS EBP, [EBX-4] with EBX 0 left DS as it was).
  if (r.retired) {
    for (const unsigned i : {cpu::ES, cpu::DS, cpu::FS, cpu::GS}) {
      if (r.state.seg[i].selector != viewed[i].selector ||
          r.state.seg[i].usable != viewed[i].usable) {
        return hole_operand_load(r.touched_hole ? r.hole_linear : r.gap_linear);
      }
    }
  }
  // The event's address: the first in the hole (or the gap), else where the instruction
  // jumped to, else where the stack pointer moved to, else (an expand-down segment's
  // access) the instruction's own.
  const uint32_t linear = r.touched_hole   ? r.hole_linear
                          : r.touched_gap  ? r.gap_linear
                          : jumped_in      ? cs.base + r.state.eip
                          : stack_moved_in ? ss.base + ss.stack_top(r.state.gpr[cpu::ESP])
                                           : cs.base + c_.cpu.state().eip;
  const bool wrote = r.touched_hole ? r.hole_write : r.touched_gap && r.gap_write;
  c_.recorder.record(EventKind::hole_access, {linear, wrote ? 1u : 0u, 0, 0});
  // The stores the instruction made (with a fault: those of the REP iterations it
  // completed) take effect, as natively. No segment is loaded here (that needs the GDT),
  // so the real segment caches, cut, stay.
  for (const ScratchExecution::Write& w : r.writes) {
    if (!w.machine) commit(w.gpa, w.value, w.size);
  }
  cpu::CpuState& s = c_.cpu.state();
  for (unsigned i = 0; i < 8; ++i) s.gpr[i] = r.state.gpr[i];
  // An x87 instruction there (FLD, FISTP, FCOMP of a hole operand) changes the register
  // stack, TOP, the status word and the last-instruction pointers as natively.
  s.fpu = r.state.fpu;
  s.eip = r.state.eip;
  if (flags_image) {
    constexpr uint32_t kVirtual = cpu::flags::IF | cpu::flags::IOPL;
    r.state.eflags = (r.state.eflags & ~kVirtual) | (s.eflags & kVirtual);
  }
  c_.cpu.set_eflags(r.state.eflags);
  if (r.retired) return {};
  if (r.guest_page_fault) return page_fault({r.fault_linear, r.error_code});
  return {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
}

PrivilegedEmulator::Outcome PrivilegedEmulator::hole_operand_load(uint32_t hole_linear) {
  // The scratch processor read the operand and stopped at the descriptor read (the fence):
  // the operand is read here through the guest's page tables, within the guest's own
  // segment limit, and the segment load or far transfer is then the real processor's,
  // on the shadow GDT, with every check it makes natively (an RPL-0 selector loads in ring
  // 1 as the guest kernel's own MOV DS does). Natively the operand is read before the
  // descriptor, so a fault reading it comes first.
  Outcome fault;
  const auto insn = fetch(fault);
  if (!insn) return {Verdict::kNotEmulated};
  cpu::CpuState& s = c_.cpu.state();
  enum class Form : uint8_t { kLoad, kPop, kFarPointer } form{};
  uint8_t sreg = 0;
  const GuestOperand* mem = nullptr;
  switch (insn->id) {
    case X86_INS_MOV:
      if (insn->ops[0].kind != GuestOperand::Kind::kSreg ||
          insn->ops[1].kind != GuestOperand::Kind::kMem) {
        return {Verdict::kNotEmulated};
      }
      form = Form::kLoad;
      sreg = insn->ops[0].reg;
      mem = &insn->ops[1];
      break;
    case X86_INS_POP:
      if (insn->ops[0].kind != GuestOperand::Kind::kSreg) return {Verdict::kNotEmulated};
      form = Form::kPop;
      sreg = insn->ops[0].reg;
      break;
    case X86_INS_LDS:
    case X86_INS_LES:
    case X86_INS_LFS:
    case X86_INS_LGS:
      sreg = insn->id == X86_INS_LDS   ? cpu::DS
             : insn->id == X86_INS_LES ? cpu::ES
             : insn->id == X86_INS_LFS ? cpu::FS
                                       : cpu::GS;
      if (insn->ops[1].kind != GuestOperand::Kind::kMem) return {Verdict::kNotEmulated};
      form = Form::kFarPointer;
      mem = &insn->ops[1];
      break;
    default:
      return {Verdict::kNotEmulated};  // (SS loads: load_stack_segment; far JMP and
                                       // CALL: far_transfer_past_cut)
  }
  if (sreg == cpu::SS || sreg == cpu::CS) return {Verdict::kNotEmulated};

  // The operand: a selector (MOV, POP) or a far pointer, offset first.
  const unsigned offset_size = insn->o16 ? 2 : 4;
  const unsigned size = form == Form::kLoad  ? 2
                        : form == Form::kPop ? offset_size
                                             : offset_size + 2;
  uint8_t seg = cpu::SS;
  uint32_t ea = s.gpr[cpu::ESP];
  if (mem) {
    seg = mem->seg;
    ea = mem->disp;
    if (mem->base >= 0) ea += s.gpr[mem->base];
    if (mem->index >= 0) ea += s.gpr[mem->index] * mem->scale;
    if (insn->a16) ea &= 0xFFFFu;
  }
  const bool pointer = form != Form::kLoad && form != Form::kPop;
  // A far pointer is two reads, as natively (exec_segment.cpp, load_far_pointer): the
  // offset at the address, the selector after it, each checked against the limit on its
  // own; the selector's address wraps as the address size does (random guest seed 21101:
  // LDS with its offset at 0xFFFFFFFC reads the selector at 0).
  const unsigned first = pointer ? offset_size : size;
  const uint32_t sel_ea = insn->a16 ? (ea + offset_size) & 0xFFFFu : ea + offset_size;
  if (!segment_allows(seg, ea, first, false) ||
      (pointer && !segment_allows(seg, sel_ea, 2, false))) {
    return seg == cpu::SS ? Outcome{Verdict::kFault, cpu::vec::SS, true, 0} : gp(0);
  }
  uint8_t bytes[6] = {};
  if (!read_mem(s.seg[seg].base + ea, bytes, first, fault)) return fault;
  if (pointer && !read_mem(s.seg[seg].base + sel_ea, bytes + offset_size, 2, fault)) return fault;
  uint32_t offset = 0;
  for (unsigned i = 0; pointer && i < offset_size; ++i) offset |= uint32_t{bytes[i]} << (8 * i);
  const unsigned at = pointer ? offset_size : 0;
  const auto selector = static_cast<uint16_t>(bytes[at] | bytes[at + 1] << 8);

  c_.recorder.record(EventKind::hole_access, {hole_linear, 0, 0, 0});
  // A selector past the guest's table names an empty slot or one of the monitor's own (bt's
  // TC code and %gs data, DPL 1, which the processor's load in ring 1 would take): natively
  // past the guest's GDT limit, #GP(selector).
  if (!cpu::is_null_selector(selector) && !segments().guest_slot(selector)) {
    return gp(selector & 0xFFFCu);
  }
  const uint32_t eip = s.eip;
  try {
    try {
      c_.cpu.load_segment(sreg, selector);
    } catch (const cpu::CpuFault& f) {
      // The load's accessed bit, written into the shadow's read-only page: the guest's
      // descriptor gets it (or the guest its own #PF), then the load is made again.
      if (f.vector != cpu::vec::PF) throw;
      const auto mark = segments().accessed_write(s.cr2, f.error_code);
      using Kind = DeprivilegedSegments::AccessedMark::Kind;
      if (mark.kind == Kind::kNotTable) throw;
      if (mark.kind == Kind::kGuestFault) {
        s.eip = eip;
        c_.vcpu.cr2 = mark.cr2;
        return {Verdict::kFault, cpu::vec::PF, true, mark.error_code};
      }
      c_.cpu.load_segment(sreg, selector);
    }
    if (form == Form::kPop) s.gpr[cpu::ESP] += offset_size;
    if (form == Form::kFarPointer) write_gpr(insn->ops[0].reg, insn->o16 ? 2 : 4, offset);
    s.eip = eip + insn->length;
  } catch (const cpu::CpuFault& f) {
    s.eip = eip;
    return {Verdict::kFault, f.vector, f.has_error_code, f.error_code};
  }
  return {};
}

}  // namespace vmlab::vmm
