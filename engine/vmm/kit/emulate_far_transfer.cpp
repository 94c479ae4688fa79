// Far transfers at the hypervisor hole under ring compression (issue 12, items 3 and 12).
//
// The monitor cuts every guest code segment below 0xFC000000 (deprivileged_segments.h),
// so a far JMP, CALL, RET or IRET whose target offset lies beyond the cut but within the
// guest's own limit (in the hole, or in the gap a page-granular cut leaves below it) is a
// #GP(0) the guest did not earn, and so is any far transfer executed from there (the
// processor cannot fetch it). The scratch processor cannot perform them either: their
// descriptor reads go to the monitor's GDT in the hole, which it never maps for a guest
// instruction (scratch_execution.h). Here the monitor performs the transfer on the real
// processor, with every check the processor makes (the target's type, DPL and RPL, present
// bit, the stack pushes and pops), its operand and return frame read through the guest's
// page tables within the guest's own segment limits, and the target's shadow slot holding
// the guest's own limit for the duration of the transfer (DeprivilegedSegments::
// UncutTarget): a target beyond the guest's limit is still #GP(0), as natively. The new CS
// keeps the cut, so that the processor fetches nothing in the hole; each instruction there
// then faults and is executed by the monitor one at a time with the guest's limits
// (emulate_hole_access.cpp), as VMware's monitor emulated what it could not run directly
// (Adams & Agesen 2006, section 4; references/papers.md 1e). Each such transfer is a
// hole_access event, as every other emulated access to the hole.
#include <capstone/capstone.h>

#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/kit/guest_stack.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/scratch_execution.h"

namespace vmlab::vmm {

uint32_t PrivilegedEmulator::guest_code_limit(const cpu::SegmentCache& cs) const {
  if (c_.segments == nullptr) return cs.limit;
  const auto own = c_.segments->guest_code_beyond_cut(cs.selector, cs.base, cs.limit);
  return own ? own->limit() : cs.limit;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::far_transfer_past_cut() {
  if (!c_.shadow.has_hole() || c_.cpu.guest_mode() || c_.segments == nullptr) {
    return {Verdict::kNotEmulated};
  }
  Outcome fault;
  const auto insn = fetch(fault);
  if (!insn) return {Verdict::kNotEmulated};
  enum class Form : uint8_t { kJump, kCall, kReturn, kIret } form{};
  switch (insn->id) {
    case X86_INS_LJMP: form = Form::kJump; break;
    case X86_INS_LCALL: form = Form::kCall; break;
    case X86_INS_RETF: form = Form::kReturn; break;
    case X86_INS_IRET:
    case X86_INS_IRETD: form = Form::kIret; break;
    default: return {Verdict::kNotEmulated};
  }
  cpu::CpuState& s = c_.cpu.state();
  const cpu::SegmentCache& cs = s.seg[cpu::CS];
  const uint32_t at = s.eip;
  // The instruction itself beyond the cut CS limit (the processor could not fetch it), but
  // within the guest's own.
  const uint64_t last_byte = uint64_t{at} + insn->length - 1;
  const bool from_hole = last_byte > cs.limit && last_byte <= guest_code_limit(cs);
  const unsigned width = insn->o16 ? 2 : 4;

  uint16_t sel = 0;
  uint32_t offset = 0;
  std::vector<uint8_t> hole_frame;  // a return frame beyond the cut SS limit
  bool operand_in_hole = false;
  uint32_t operand_linear = 0;
  if (form == Form::kJump || form == Form::kCall) {
    if (insn->ops[0].kind == GuestOperand::Kind::kImm && insn->op_count == 2) {
      sel = static_cast<uint16_t>(insn->ops[0].imm);
      offset = insn->ops[1].imm;
    } else if (insn->ops[0].kind == GuestOperand::Kind::kMem) {
      // m16:16 or m16:32, offset first, read within the guest's own segment limit.
      const GuestOperand& m = insn->ops[0];
      uint32_t ea = m.disp;
      if (m.base >= 0) ea += s.gpr[m.base];
      if (m.index >= 0) ea += s.gpr[m.index] * m.scale;
      if (insn->a16) ea &= 0xFFFFu;
      if (!segment_allows(m.seg, ea, width + 2, false)) return {Verdict::kNotEmulated};
      operand_linear = s.seg[m.seg].base + ea;
      // (In the hole, or on the last page below it, where a page-granular cut ends.)
      operand_in_hole = uint64_t{operand_linear} + width + 1 >= hole::kBase - 4096;
      uint8_t ptr[6] = {};
      if (!read_mem(operand_linear, ptr, width + 2, fault)) {
        return from_hole || operand_in_hole ? fault : Outcome{Verdict::kNotEmulated};
      }
      for (unsigned i = 0; i < width; ++i) offset |= uint32_t{ptr[i]} << (8 * i);
      sel = static_cast<uint16_t>(ptr[width] | ptr[width + 1] << 8);
    } else {
      return {Verdict::kNotEmulated};
    }
    if (insn->o16) offset &= 0xFFFFu;
  } else {
    // A frame beyond the cut SS limit (the guest's ring-0 stack in the hole): the processor
    // pops the guest's own bytes (return_frame_beyond_cut).
    const Outcome in_hole = return_frame_beyond_cut(
        width,
        form == Form::kReturn && insn->op_count > 0 && insn->ops[0].kind == GuestOperand::Kind::kImm
            ? insn->ops[0].imm & 0xFFFFu
            : 0,
        form == Form::kIret, hole_frame);
    if (in_hole.verdict == Verdict::kFault) return in_hole;
    // The return frame: EIP, then CS, at SS:ESP (a 16-bit stack wraps at 64 KiB).
    const uint32_t sp = s.seg[cpu::SS].stack_top(s.gpr[cpu::ESP]);
    uint8_t frame[8] = {};
    if (!read_mem(s.seg[cpu::SS].base + sp, frame, 2 * width, fault)) {
      return from_hole ? fault : Outcome{Verdict::kNotEmulated};
    }
    for (unsigned i = 0; i < width; ++i) offset |= uint32_t{frame[i]} << (8 * i);
    sel = static_cast<uint16_t>(frame[width] | frame[width + 1] << 8);
  }

  // A selector past the guest's table names an empty slot or the monitor's own (bt's TC
  // code segment): #GP(selector), as the guest's limit gives natively.
  if (!cpu::is_null_selector(sel) && !segments().guest_slot(sel)) {
    const bool hole_case = from_hole || operand_in_hole;
    if (!hole_case) return {Verdict::kNotEmulated};
    return gp(sel & 0xFFFCu);
  }
  if (form == Form::kCall) {
    if (auto done = far_call_onto_hole_stack(*insn, sel, offset)) return *done;
  }
  // The target's cut limit, before the guard widens its slot.
  const cpu::Descriptor cut{segments().descriptor(sel)};
  DeprivilegedSegments::UncutTarget target(segments(), s, sel);
  const bool past_cut = target.widened() && offset > cut.limit();
  const bool frame_in_hole = !hole_frame.empty();
  if (!from_hole && !operand_in_hole && !past_cut && !frame_in_hole) {
    return {Verdict::kNotEmulated};
  }
  const uint32_t linear = from_hole         ? cs.base + at
                          : operand_in_hole ? operand_linear
                                            : cut.base() + offset;
  if (from_hole || operand_in_hole || past_cut) {
    c_.recorder.record(EventKind::hole_access, {linear, 0, 0, 0});
  }

  // The processor's own transfer (transfer_on_processor: hidden faults filled, pushes onto
  // a traced page emulated, true faults the guest's).
  return transfer_on_processor([&](cpu::Cpu& cpu) {
    switch (form) {
      case Form::kJump:
        cpu.state().eip = at + insn->length;
        cpu.far_jump(sel, offset, insn->o16);
        break;
      case Form::kCall:
        cpu.state().eip = at + insn->length;
        cpu.far_call(sel, offset, insn->o16);
        break;
      case Form::kReturn: {
        const uint32_t release = insn->op_count > 0 && insn->ops[0].kind == GuestOperand::Kind::kImm
                                     ? insn->ops[0].imm & 0xFFFFu
                                     : 0;
        ReturnFrame from(cpu, hole_frame);
        cpu.far_return(static_cast<uint16_t>(release), insn->o16);
        break;
      }
      case Form::kIret: {
        ReturnFrame from(cpu, hole_frame);
        cpu.interrupt_return(insn->o16);
        break;
      }
    }
  });
}

std::optional<PrivilegedEmulator::Outcome> PrivilegedEmulator::far_call_onto_hole_stack(
    const GuestInsn& insn, uint16_t sel, uint32_t offset, const cpu::Descriptor* gate) {
  if (!c_.shadow.has_hole() || c_.segments == nullptr) return std::nullopt;
  cpu::CpuState& s = c_.cpu.state();
  const cpu::SegmentCache& ss = s.seg[cpu::SS];
  // The pushes' size: the operand size's, or the gate's (SDM Vol. 2, CALL, "CALL-GATE").
  const bool gate16 = gate != nullptr && gate->type() == cpu::sys_type::kCallGate16;
  const unsigned width = gate != nullptr ? (gate16 ? 2 : 4) : insn.o16 ? 2 : 4;
  const uint32_t new_esp = ss.stack_moved(s.gpr[cpu::ESP], -static_cast<int32_t>(2 * width));
  const uint32_t top = ss.stack_top(new_esp);
  if (stack_slots_fit(ss, top, 2, width) ||
      !stack_slots_fit(guest_segment_view(segments(), ss), top, 2, width)) {
    return std::nullopt;
  }
  if (cpu::is_null_selector(sel)) return std::nullopt;
  const cpu::Descriptor d{segments().descriptor(sel)};
  if (!d.s() || !d.is_code()) return std::nullopt;
  // The checks of a far CALL to a code segment (SDM Vol. 2, CALL, "CONFORMING-CODE-SEGMENT"
  // and "NONCONFORMING-CODE-SEGMENT"; through a gate, "CALL-GATE": DPL <= CPL, and a
  // nonconforming DPL < CPL is the inner ring's), on the compressed descriptor in the real
  // ring, as the processor makes them; then the offset against the guest's own limit.
  const uint8_t cpl = s.cpl;
  const uint32_t err = sel & 0xFFFCu;
  if (gate != nullptr) {
    if (d.dpl() > cpl) return gp(err);
    if (!d.conforming() && d.dpl() < cpl) return std::nullopt;
  } else if (d.conforming() ? d.dpl() > cpl : ((sel & 3u) > cpl || d.dpl() != cpl)) {
    return gp(err);
  }
  if (!d.present()) return Outcome{Verdict::kFault, cpu::vec::NP, true, err};
  const uint32_t eip = width == 2 ? offset & 0xFFFFu : offset;
  const cpu::SegmentCache target = d.to_cache(static_cast<uint16_t>(err | cpl));
  if (eip > guest_code_limit(target)) return gp(0);
  // The return address, as the processor pushes it: the real CS (a monitor that shows the
  // guest its own selectors rewrites the image after the call, as after the processor's).
  uint8_t frame[8] = {};
  const uint32_t words[] = {s.eip + insn.length, s.seg[cpu::CS].selector};
  for (unsigned i = 0; i < 2; ++i) {
    for (unsigned b = 0; b < width; ++b) frame[i * width + b] = (words[i] >> (8 * b)) & 0xFF;
  }
  Outcome fault;
  for (unsigned i = 0; i < 2; ++i) {  // each slot at its own offset (a 16-bit stack wraps)
    const uint32_t at = ss.stack_top(ss.stack_moved(new_esp, static_cast<int32_t>(i * width)));
    if (!write_mem(ss.base + at, &frame[i * width], width, fault)) return fault;
  }
  c_.recorder.record(EventKind::hole_access, {ss.base + top, 1, 0, 0});
  s.gpr[cpu::ESP] = new_esp;
  s.seg[cpu::CS] = target;
  s.eip = eip;
  return Outcome{};
}

PrivilegedEmulator::Outcome PrivilegedEmulator::return_frame_beyond_cut(
    unsigned width, uint32_t release, bool iret, std::vector<uint8_t>& frame) {
  frame.clear();
  if (!c_.shadow.has_hole() || c_.segments == nullptr) return {Verdict::kNotEmulated};
  const cpu::CpuState& s = c_.cpu.state();
  const cpu::SegmentCache& ss = s.seg[cpu::SS];
  const auto own = segments().guest_descriptor(ss.selector);
  if (!ss.db || !own) return {Verdict::kNotEmulated};
  const cpu::Descriptor guest_ss{*own};
  if (!guest_ss.s() || (guest_ss.type() & 0xC) != 0) return {Verdict::kNotEmulated};
  const uint32_t sp = s.gpr[cpu::ESP];
  const uint32_t head = (iret ? 3 : 2) * width;
  if (uint64_t{sp} + head - 1 <= ss.limit) {
    // Below the cut, the head at least; an outer part beyond it is read the same way.
    if (uint64_t{sp} + head + release + 2 * width - 1 <= ss.limit) {
      return {Verdict::kNotEmulated};
    }
  }
  Outcome fault;
  uint16_t cs_image = 0;
  if (!read_mem(ss.base + sp + width, &cs_image, 2, fault)) return fault;
  const bool outer = (cs_image & 3) > s.cpl;
  const uint32_t need = head + (outer ? (iret ? 0 : release) + 2 * width : 0);
  const uint64_t last = uint64_t{sp} + need - 1;
  if (last <= ss.limit || last > guest_ss.limit()) return {Verdict::kNotEmulated};
  frame.resize(need);
  if (!read_mem(ss.base + sp, frame.data(), need, fault)) {
    frame.clear();
    return fault;
  }
  c_.recorder.record(EventKind::hole_access, {ss.base + sp, 0, 0, 0});
  return {};
}

PrivilegedEmulator::Outcome PrivilegedEmulator::transfer_on_processor(
    const std::function<void(cpu::Cpu&)>& op) {
  cpu::CpuState& s = c_.cpu.state();
  const uint32_t at = s.eip;
  // A frame spans at most two pages, and a CALL through a gate to an inner ring reads the
  // parameters from a second stack: four fills at most.
  // Each segment it loads (CS, and SS to another ring) may first write its accessed bit
  // into the shadow's read-only pages: the guest's descriptor gets it, and the transfer
  // is made again (DeprivilegedSegments::accessed_write).
  int marks = 0;
  for (int fills = 0;; ++fills) {
    try {
      op(c_.cpu);
      return {};
    } catch (const cpu::CpuFault& f) {
      s.eip = at;
      if (f.vector != cpu::vec::PF)
        return {Verdict::kFault, f.vector, f.has_error_code, f.error_code};
      const uint32_t lin = s.cr2;  // the real CR2: the processor's fault, not the guest's yet
      if (c_.segments && lin >= hole::kBase && marks < 4) {
        const auto mark = c_.segments->accessed_write(lin, f.error_code);
        using Kind = DeprivilegedSegments::AccessedMark::Kind;
        if (mark.kind == Kind::kGuestFault) {
          c_.vcpu.cr2 = mark.cr2;
          return {Verdict::kFault, cpu::vec::PF, true, mark.error_code};
        }
        if (mark.kind == Kind::kMarked) {
          ++marks;
          --fills;
          continue;
        }
      }
      const auto outcome = c_.shadow.page_fault(lin, f.error_code);
      if (outcome.kind == ShadowMmu::FaultKind::kTrue) {
        c_.vcpu.cr2 = lin;
        c_.recorder.record(EventKind::true_fault, {lin, outcome.guest_error_code, 0, 0});
        return {Verdict::kFault, cpu::vec::PF, true, outcome.guest_error_code};
      }
      if (outcome.kind == ShadowMmu::FaultKind::kHidden && fills < 4) continue;
      if (outcome.kind == ShadowMmu::FaultKind::kHidden) {
        c_.cpu.unsupported("a far transfer keeps faulting on the shadow page tables at " +
                           std::to_string(lin));
      }
      // A push onto a page the monitor write-protects (a guest page table, its GDT or LDT,
      // a page its CR0.WP lets the kernel write, its local APIC's page): the same transfer
      // on the scratch processor, whose stores are then committed through the shadow MMU,
      // as the emulated stores of every other instruction there are (emulate_move.cpp).
      return perform_on_scratch(op);
    }
  }
}

PrivilegedEmulator::Outcome PrivilegedEmulator::perform_on_scratch(
    const std::function<void(cpu::Cpu&)>& op) {
  if (!scratch_) make_scratch();
  const ScratchExecution::Effects r = scratch_->perform(op);
  if (!r.unsupported.empty()) {
    c_.cpu.unsupported(
        "a far transfer or event delivery onto a write-protected guest page, "
        "which the monitor cannot perform: " +
        r.unsupported);
  }
  if (r.retired) {
    apply(r);
    return {};
  }
  if (r.guest_page_fault) return page_fault({r.fault_linear, r.error_code});
  return {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
}

void PrivilegedEmulator::guest_return_selector(bool o16) {
  const cpu::CpuState& s = c_.cpu.state();
  if (!virtual_sensitive_ || s.cpl != 1) return;
  const uint32_t at =
      s.seg[cpu::SS].base + s.seg[cpu::SS].stack_top(s.gpr[cpu::ESP]) + (o16 ? 2 : 4);
  uint16_t image = 0;
  Outcome fault;
  if (!read_mem(at, &image, 2, fault)) return;
  image = VirtualCpu::guest_selector(image);
  write_mem(at, &image, 2, fault);
}

}  // namespace vmlab::vmm
