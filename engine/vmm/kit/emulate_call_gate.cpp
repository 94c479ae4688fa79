// A far JMP or CALL through a call gate under ring compression (issue 12, item 2).
//
// The shadow GDT and LDT copy only code and data descriptors (deprivileged_segments.h), so
// the real processor answers a far JMP or CALL that names a call gate of the guest's with
// #GP(selector), where the hardware goes through the gate (SDM Vol. 3A, 5.8.3-5.8.6; Vol.
// 2A, CALL and JMP, "CALL-GATE"). The processor model implements gates (engine/cpu/
// far_transfer.cpp), so the monitor lets it make the transfer, the way it makes the far
// transfers at the hypervisor hole (emulate_far_transfer.cpp): it makes the gate's own
// checks against the guest's view (the gate's DPL against the guest's CPL and the
// selector's RPL, its present bit, the target selector within the guest's table, which
// the processor would check against the shadow's larger one and its monitor slots), puts
// the gate compressed (DPL 0 as 1) into the selector's shadow slot for the one transfer
// (GateInSlot), keeps the monitor TSS's ring-1 stack equal to the guest TSS's ring-0
// stack for a CALL to an inner ring (DeprivilegedSegments::sync_tss), widens the target's
// slot when the gate's offset lies beyond its cut (UncutTarget), and has the processor
// perform the instruction (transfer_on_processor). Everything after the gate is then the
// hardware's: the target code segment's checks (compressed, they agree with the guest's:
// its DPL 0 is 1, the guest kernel's CPL 0 is 1), its #NP, the stack switch with the
// parameter copy, the pushes. The gate is never in the shadow while guest code runs, so
// no gate of the guest's can name a descriptor of the monitor's (they lie above the
// guest's table) nor take the guest to the real ring 0 (no guest descriptor has DPL 0 in
// the shadow): the target is always a compressed descriptor of the guest's own.
// A far RET to the outer ring needs nothing: the processor's RET from ring 1 to ring 3
// checks and pops the guest's frame (bt, where the guest kernel's RET is a callout, has
// the processor make it the same way).
#include <cstdio>

#include <capstone/capstone.h>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/kit/privileged_emulator.h"

namespace vmlab::vmm {

namespace {

bool is_call_gate(const cpu::Descriptor& d) {
  return !d.s() &&
         (d.type() == cpu::sys_type::kCallGate16 || d.type() == cpu::sys_type::kCallGate32);
}

}  // namespace

PrivilegedEmulator::Outcome PrivilegedEmulator::far_through_gate(const GuestInsn& insn) {
  if (!c_.shadow.has_hole() || c_.cpu.guest_mode() || c_.segments == nullptr ||
      insn.op_count == 0) {
    return {Verdict::kNotEmulated};
  }
  const bool call = insn.id == X86_INS_LCALL;
  cpu::CpuState& s = c_.cpu.state();
  // The selector: the immediate of ptr16:16/32, or the word after the offset of m16:16/32.
  uint16_t sel = 0;
  if (insn.ops[0].kind == GuestOperand::Kind::kImm && insn.op_count == 2) {
    sel = static_cast<uint16_t>(insn.ops[0].imm);
  } else if (insn.ops[0].kind == GuestOperand::Kind::kMem) {
    Outcome fault;
    if (!read_mem(linear_of(insn, insn.ops[0]) + (insn.o16 ? 2 : 4), &sel, 2, fault)) {
      return {Verdict::kNotEmulated};  // the real processor's fault stands
    }
  } else {
    return {Verdict::kNotEmulated};
  }
  const auto raw = segments().guest_descriptor(sel);
  if (!raw || cpu::is_null_selector(sel)) return {Verdict::kNotEmulated};
  const cpu::Descriptor gate{*raw};
  if (!is_call_gate(gate)) return {Verdict::kNotEmulated};

  // The gate's checks, in the guest's terms (CALL and JMP pseudo-code, "CALL-GATE").
  const uint8_t vcpl = VirtualCpu::virtual_cpl(s.cpl);
  const uint32_t err = sel & 0xFFFCu;
  if (gate.dpl() < vcpl || gate.dpl() < (sel & 3)) return gp(err);
  if (!gate.present()) return {Verdict::kFault, cpu::vec::NP, true, err};
  const uint16_t target = gate.gate_selector();
  if (cpu::is_null_selector(target)) return gp(0);
  // A target beyond the guest's GDT (the shadow's slots there are empty, or the monitor's
  // own): #GP(target), as the guest's GDT limit gives natively. (An LDT target is checked
  // by the processor: the real LDTR has the guest's LDT limit.)
  if (!(target & 4) && !segments().guest_slot(target)) return gp(target & 0xFFFCu);

  // A CALL to an inner ring: the stack is the guest TSS's for that ring. The guest kernel's
  // ring 0 is the processor's ring 1, whose stack in the monitor's TSS follows the guest's
  // SS0:ESP0 (synchronized here, as at each event delivery from ring 3). Rings 1 and 2 of
  // the guest are not modeled under ring compression (the guest kernel runs in ring 0).
  // The target's DPL against the guest's CPL, in the guest's terms: the shadow keeps its
  // DPL 1 and 2 (DPL 0 is compressed to 1), so from the guest kernel's ring 0 (the
  // processor's ring 1) a gate to DPL-1 code would be a same-ring transfer; natively a
  // CALL to a nonconforming segment of DPL > CPL, or a JMP to one of DPL != CPL, is
  // #GP(target) (SDM Vol. 2, CALL and JMP, "CALL-GATE"; a conforming one of DPL > CPL too).
  if (const auto traw = segments().guest_descriptor(target); traw) {
    const cpu::Descriptor t{*traw};
    const bool code = t.s() && t.is_code();
    if (code && (t.dpl() > vcpl || (!call && !t.conforming() && t.dpl() != vcpl))) {
      return gp(target & 0xFFFCu);
    }
  }
  if (const auto traw = segments().guest_descriptor(target); call && traw) {
    const cpu::Descriptor t{*traw};
    if (t.is_code() && !t.conforming() && t.present() && t.dpl() < vcpl) {
      if (t.dpl() != 0) {
        // Only the guest's rings 0 and 3 are modeled: its ring 0 runs in the processor's
        // ring 1, and a ring-1 or ring-2 guest code segment would need a ring of its own,
        // its own stack in the monitor's TSS and its privilege checks made against the
        // guest's view (docs/modes/trap-and-emulate.md, "Not done yet").
        char what[200];
        std::snprintf(what, sizeof what,
                      "a far CALL from ring 3 through call gate 0x%04X to code segment 0x%04X "
                      "of DPL %u: ring compression runs the guest's rings 0 and 3 only, not "
                      "its rings 1 and 2",
                      sel, target, unsigned{t.dpl()});
        c_.cpu.unsupported(what);
      }
      if (c_.vcpu.tr == 0) {
        c_.cpu.unsupported("a call gate to ring 0 before the guest loaded a task register (LTR)");
      }
      uint8_t stack[6] = {};
      GuestMemory::Fault f;  // (the processor reads the TSS with supervisor rights)
      if (!c_.memory.read(c_.vcpu.tss_base + 4, stack, sizeof stack, false, &f)) {
        return page_fault(f);
      }
      const uint16_t ss0 = static_cast<uint16_t>(stack[4] | stack[5] << 8);
      const uint32_t esp0 = uint32_t{stack[0]} | uint32_t{stack[1]} << 8 |
                            uint32_t{stack[2]} << 16 | uint32_t{stack[3]} << 24;
      segments().sync_tss(ss0, esp0);
      if (auto done =
              gate_call_onto_hole_stack(insn, target, gate, VirtualCpu::real_selector(ss0), esp0)) {
        return *done;
      }
    }
  }

  const uint32_t at = s.eip;
  const uint32_t linear_at = s.seg[cpu::CS].base + at;
  const uint8_t cpl = s.cpl;
  const bool interrupts = (s.eflags & cpu::flags::IF) != 0;
  const cpu::Descriptor cut{segments().descriptor(target)};
  Outcome outcome;
  // A CALL to the same ring whose pushes lie beyond the cut SS (the stack in the hole):
  // onto the guest's own pages (far_call_onto_hole_stack); else the processor's.
  if (auto onto_hole =
          call ? far_call_onto_hole_stack(insn, target, gate.gate_offset(), &gate) : std::nullopt) {
    outcome = *onto_hole;
  } else {
    DeprivilegedSegments::GateInSlot in_slot(segments(), sel,
                                             DeprivilegedSegments::compress_gate(*raw));
    DeprivilegedSegments::UncutTarget uncut(segments(), s, target);
    if (uncut.widened() && gate.gate_offset() > cut.limit()) {
      c_.recorder.record(EventKind::hole_access, {cut.base() + gate.gate_offset(), 0, 0, 0});
    }
    outcome = transfer_on_processor([&](cpu::Cpu& cpu) {
      cpu.state().eip = at + insn.length;
      if (call) {
        cpu.far_call(sel, 0, insn.o16);
      } else {
        cpu.far_jump(sel, 0, insn.o16);
      }
    });
  }
  if (outcome.verdict != Verdict::kEmulated) return outcome;
  c_.recorder.record(EventKind::emulated_insn, {insn.opcode, insn.modrm_reg, linear_at, 0});
  if (cpl == 3 && s.cpl != 3) {
    // Into the guest kernel from user code: its interrupt flag is the virtual one from now
    // on, as the gate left it (a call gate changes no flag).
    c_.vcpu.interrupts_enabled = interrupts;
  }
  if (call && s.cpl == cpl) guest_return_selector(gate.type() == cpu::sys_type::kCallGate16);
  return {};
}

std::optional<PrivilegedEmulator::Outcome> PrivilegedEmulator::gate_call_onto_hole_stack(
    const GuestInsn& insn, uint16_t target, const cpu::Descriptor& gate, uint16_t ss_real,
    uint32_t esp0) {
  cpu::CpuState& s = c_.cpu.state();
  if (s.cpl != 3) return std::nullopt;
  // A 32-bit gate pushes dwords, a 16-bit gate words: IP, CS, the parameters (words) and
  // SP, SS, each truncated to 16 bits, and enters at the gate's 16-bit offset (SDM Vol. 2,
  // CALL, "INTER-PRIVILEGE-LEVEL-CALL": the pushes' size is the gate's).
  const bool gate32 = gate.type() == cpu::sys_type::kCallGate32;
  const uint32_t width = gate32 ? 4 : 2;
  // The processor's checks of the new stack (SDM Vol. 2, CALL, "INTER-PRIVILEGE-LEVEL-
  // CALL"), on the shadow descriptors, which keep the guest's type, present bit and
  // (compressed) DPL: any that fails is left to the processor, which gives its fault.
  if (cpu::is_null_selector(ss_real) || (ss_real & 3) != 1 || !segments().guest_slot(ss_real)) {
    return std::nullopt;
  }
  const cpu::Descriptor ssd{segments().descriptor(ss_real)};
  const cpu::Descriptor cs_cut{segments().descriptor(target)};
  if (!ssd.writable() || ssd.dpl() != 1 || !ssd.present() || (ssd.type() & 0x4) != 0 || !ssd.db()) {
    return std::nullopt;
  }
  const auto own = segments().guest_descriptor(ss_real);
  if (!own) return std::nullopt;
  const cpu::Descriptor guest_ss{*own};
  const uint32_t params = gate.gate_param_count();
  const uint32_t size = width * (4 + params);  // EIP, CS, the parameters, ESP, SS
  if (esp0 < size) return std::nullopt;
  const uint32_t new_esp = esp0 - size;
  // Below the cut: the processor's own pushes reach the guest's pages.
  if (esp0 - 1 <= ssd.limit()) return std::nullopt;
  // Beyond the guest's own limit: the processor's #SS(SS0) stands.
  if (esp0 - 1 > guest_ss.limit() || new_esp > guest_ss.limit()) return std::nullopt;
  // The target offset within the guest's own limit of the target, checked before the
  // pushes (#GP(0)); one beyond the cut is entered with the CS cache cut, and the monitor
  // executes what lies there (emulate_far_transfer.cpp).
  const uint32_t eip = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xFFFFu;
  const auto own_cs = segments().guest_descriptor(target);
  if (eip > (own_cs ? cpu::Descriptor{*own_cs}.limit() : cs_cut.limit())) return gp(0);

  // The parameters from the caller's stack, then the frame, through the guest's page
  // tables: its own pages at those linear addresses, never the monitor's.
  const cpu::SegmentCache& old_ss = s.seg[cpu::SS];
  const uint32_t old_esp = old_ss.stack_top(s.gpr[cpu::ESP]);
  uint8_t frame[4 * (4 + 31)] = {};
  Outcome fault;
  if (params != 0 && !read_mem(old_ss.base + old_esp, &frame[2 * width], width * params, fault)) {
    return fault;
  }
  const uint32_t words[] = {s.eip + insn.length, s.seg[cpu::CS].selector, s.gpr[cpu::ESP],
                            old_ss.selector};
  for (unsigned i = 0; i < 4; ++i) {
    const uint32_t slot = i < 2 ? i : i + params;  // the parameters between CS and ESP
    for (unsigned b = 0; b < width; ++b) frame[slot * width + b] = (words[i] >> (8 * b)) & 0xFF;
  }
  const uint32_t linear = guest_ss.base() + new_esp;
  if (!write_mem(linear, frame, size, fault, true)) return fault;
  // The accessed bits of the new SS and CS, as the processor sets them in the guest's table.
  if (!mark_loaded(ss_real, ssd, fault) || !mark_loaded(target, cs_cut, fault)) return fault;
  c_.recorder.record(EventKind::hole_access, {linear, 0, 0, 0});

  // The processor's state after the call (what it loads from the shadow slots).
  const bool interrupts = (s.eflags & cpu::flags::IF) != 0;
  c_.recorder.record(EventKind::emulated_insn,
                     {insn.opcode, insn.modrm_reg, s.seg[cpu::CS].base + s.eip, 0});
  s.seg[cpu::SS] = ssd.to_cache(ss_real);
  s.gpr[cpu::ESP] = new_esp;
  s.seg[cpu::CS] = cs_cut.to_cache(static_cast<uint16_t>((target & 0xFFFCu) | 1));
  s.cpl = 1;
  s.eip = eip;
  c_.vcpu.interrupts_enabled = interrupts;
  return Outcome{};
}

}  // namespace vmlab::vmm
