// The data-move path: stores to pages the monitor write-protects.
//
// Every guest page-table page is read-only in the shadows, so the guest's PTE writes trap
// (a "trace", Adams & Agesen 2006 section 2; references/papers.md 1e): the monitor performs
// the instruction's stores on the guest's page table and drops the shadow entries they make
// stale (ShadowMmu::write_traced). Any instruction can be the one that writes: MOV, the
// read-modify-write forms (LOCK CMPXCHG8B, XADD, BTS, NOT, the shifts), the stack forms
// (PUSH, CALL, PUSHA, ENTER), the string forms, SETcc, SGDT and the rest. So the monitor
// does not re-implement any of them: it executes the instruction on the processor model
// itself, over a scratch view of the guest's memory (scratch_execution.h), and commits the
// stores that execution logged, in program order and at their sizes. One semantics: what
// the emulation writes and computes is what the processor computes.
//
// One form is performed without the scratch processor: a plain MOV to memory from a
// register or an immediate, the store a guest makes next to its GDT on the GDT's page
// (Linux's decompressor keeps its stack and data there: docs/outside-kernels.md, "Why
// classic and bt are slower"). MOV computes nothing and changes no flag; its only effect
// is the store of the source's bytes at the operand's address, and EIP past it (SDM Vol.
// 2B, MOV). plain_store() performs it only when every check the processor makes passes
// exactly as the processor would pass it (the real and the guest's segment, the guest's
// page walk, no data breakpoint, no alignment check); in every other case the scratch
// processor executes the instruction, as before, and raises whatever the processor raises.
// The store itself goes through commit(), as the scratch's stores do: ShadowMmu::
// write_traced on a traced frame, which keeps the shadow page tables and the shadow GDT
// and LDT coherent whichever bytes it touches.
#include <capstone/capstone.h>

#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/kit/guest_apic.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/scratch_execution.h"

namespace vmlab::vmm {

std::optional<PrivilegedEmulator::Outcome> PrivilegedEmulator::plain_store(const GuestInsn& insn) {
  const GuestOperand& dst = insn.ops[0];
  const GuestOperand& src = insn.ops[1];
  if (insn.id != X86_INS_MOV || insn.op_count != 2 || insn.a16 || insn.rep || insn.repne ||
      insn.lock || dst.kind != GuestOperand::Kind::kMem ||
      (src.kind != GuestOperand::Kind::kGpr && src.kind != GuestOperand::Kind::kImm) ||
      (dst.size != 1 && dst.size != 2 && dst.size != 4) || src.size != dst.size) {
    return std::nullopt;
  }
  const cpu::Cpu& cpu = c_.cpu;
  const cpu::CpuState& s = cpu.state();
  // Ring compression only (the VT monitor's guest runs on its own segments), the guest
  // kernel (ring 1: no alignment check, which applies at CPL 3 only), 32-bit code, and no
  // data breakpoint armed (DR7's enables: a matching store would raise #DB).
  if (c_.segments == nullptr || cpu.guest_mode() || s.cpl != 1 || !s.seg[cpu::CS].db ||
      (cpu.dr(7) & 0xFFu) != 0) {
    return std::nullopt;
  }
  uint32_t offset = dst.disp;
  if (dst.base >= 0) offset += s.gpr[dst.base];
  if (dst.index >= 0) offset += s.gpr[dst.index] * dst.scale;
  // The real segment (cut below the hole) and the guest's own must both allow the store:
  // where only the guest's does, the access is the hole's (emulate_hole_access).
  if (!segment_allows(s.seg[dst.seg], offset, dst.size, true) ||
      !segment_allows(dst.seg, offset, dst.size, true)) {
    return std::nullopt;
  }
  const uint32_t linear = s.seg[dst.seg].base + offset;
  // Within one page, below the page that borders the hole.
  if ((linear & 0xFFFu) + dst.size > 4096 || linear >= hole::kBase - 4096) return std::nullopt;
  // The guest's page tables must allow a supervisor write onto its RAM, on a frame the
  // monitor traces (any other page: the scratch processor and commit() decide).
  const GuestWalk probe = c_.memory.walk(linear, cpu::Access::kWrite, false, false);
  if (!probe.ok || is_device_address(c_.memory.p2m(), probe.gpa) ||
      !c_.shadow.tracked(probe.gpa >> 12)) {
    return std::nullopt;
  }
  // The store's own walk: the accessed and dirty bits it sets, as the processor's would.
  const GuestWalk walk = c_.memory.walk(linear, cpu::Access::kWrite, false, true);
  if (!walk.ok || walk.gpa != probe.gpa) return std::nullopt;
  const uint32_t value =
      src.kind == GuestOperand::Kind::kGpr ? read_gpr(src.reg, src.size) : src.imm;
  commit(walk.gpa, dst.size == 4 ? value : value & ((1u << (8 * dst.size)) - 1), dst.size);
  return done(insn);
}

void PrivilegedEmulator::commit(uint32_t gpa, uint32_t value, unsigned size) {
  if (is_device_address(c_.memory.p2m(), gpa)) {
    // Outside the guest's RAM: the machine's bus at the same address, where the local APIC
    // decodes its page (guest_apic.h); the scratch view split page-crossing stores.
    device_write(c_.machine, gpa, size, value);
    return;
  }
  if (c_.shadow.tracked(gpa >> 12)) {
    c_.shadow.write_traced(gpa, value, size);
    wrote_traced_frame_ = true;
    return;
  }
  // A page the monitor protects for another reason (a read-only page the guest kernel
  // may write with its CR0.WP clear), or an untraced page the same instruction wrote.
  for (unsigned b = 0; b < size; ++b) {
    c_.memory.write_phys8(gpa + b, static_cast<uint8_t>(value >> (8 * b)));
  }
}

void PrivilegedEmulator::apply(const ScratchExecution::Effects& r) {
  for (const ScratchExecution::Write& w : r.writes) {
    if (w.machine) {
      // The hole: what the processor itself writes there (an accessed bit in the shadow
      // GDT or LDT), done as it would have done it, and given to the guest's descriptor.
      for (unsigned b = 0; b < w.size; ++b) {
        c_.cpu.phys_write8(w.gpa + b, static_cast<uint8_t>(w.value >> (8 * b)));
      }
      if (c_.segments) c_.segments->machine_written(w.gpa);
      continue;
    }
    commit(w.gpa, w.value, w.size);
  }
  cpu::CpuState& s = c_.cpu.state();
  for (unsigned i = 0; i < 8; ++i) s.gpr[i] = r.state.gpr[i];
  s.fpu = r.state.fpu;  // an x87 store (FSTP, FISTP, FNSTENV) pops or masks as natively
  for (unsigned i = 0; i < cpu::kNumSegRegs; ++i) s.seg[i] = r.state.seg[i];
  s.cpl = r.state.cpl;
  s.eip = r.state.eip;
  c_.cpu.set_eflags(r.state.eflags);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::emulate_write() {
  wrote_traced_frame_ = false;
  Outcome fault;
  auto decoded = fetch(fault);
  if (!decoded) {
    if (fault.verdict != Verdict::kNotEmulated) return fault;
    // Bytes Capstone does not decode: the processor decides what they do (or that they
    // are #UD); the event then names opcode 0.
    decoded = GuestInsn{};
    decoded->text = "(bytes Capstone does not decode)";
  }
  const GuestInsn& insn = *decoded;
  {
    // An instruction of the guest kernel's code in the hypervisor hole, past the cut CS
    // limit (binary translation runs such code from the translation cache; random guest
    // --rich seed 31222 --paging: a far CALL to 0xFFF0BE1D, whose ADD [EAX], AL stores onto
    // the traced page directory): on the scratch processor with the cut limit it would be
    // #GP(0), natively it runs on with the guest's own limit (emulate_hole_access.cpp).
    const cpu::CpuState& s = c_.cpu.state();
    if (c_.shadow.has_hole() && !c_.cpu.guest_mode() && s.eip > s.seg[cpu::CS].limit) {
      const Outcome hole = emulate_hole_access();
      if (hole.verdict != Verdict::kNotEmulated) return hole;
    }
  }
  if (const auto stored = plain_store(insn)) return *stored;
  if (!scratch_) make_scratch();
  // The guest's view for the sensitive instructions that write memory, where the monitor
  // closes the holes (virtualize_sensitive_reads): what its translations of them show.
  const VirtualCpu& v = c_.vcpu;
  const bool selectors =
      virtual_sensitive_ && (insn.opcode == 0x0E || insn.opcode == 0x16 || insn.opcode == 0x8C);
  // (User code's PUSHF reads the real flags, which are the guest's there.)
  const bool flags_image = virtual_sensitive_ && insn.opcode == 0x9C && c_.cpu.state().cpl != 3;
  auto view = [&](cpu::CpuState& st) {
    if (!virtual_sensitive_) return;
    if (selectors) {
      st.seg[cpu::CS].selector = VirtualCpu::guest_selector(st.seg[cpu::CS].selector);
      st.seg[cpu::SS].selector = VirtualCpu::guest_selector(st.seg[cpu::SS].selector);
    } else if (flags_image) {
      st.eflags = v.kernel_eflags_image(st.eflags);
    } else if (insn.opcode == 0x100) {  // SLDT, STR
      st.ldtr.selector = v.ldtr;
      st.tr.selector = v.tr;
    } else if (insn.opcode == 0x101) {  // SGDT, SIDT, SMSW (its low 16 bits)
      st.gdtr = v.gdtr;
      st.idtr = v.idtr;
      st.cr0 = (st.cr0 & 0xFFFF0000u) | (v.cr0 & 0xFFFFu);
    }
  };
  ScratchExecution::Effects r = scratch_->execute(view);
  if (selectors) {
    // PUSH CS/SS and MOV r/m, CS/SS load no segment: the real selectors stay.
    r.state.seg[cpu::CS].selector = c_.cpu.state().seg[cpu::CS].selector;
    r.state.seg[cpu::SS].selector = c_.cpu.state().seg[cpu::SS].selector;
  }
  if (flags_image) {
    constexpr uint32_t kVirtual = cpu::flags::IF | cpu::flags::IOPL;
    r.state.eflags = (r.state.eflags & ~kVirtual) | (c_.cpu.state().eflags & kVirtual);
  }
  if (!r.unsupported.empty()) {
    c_.cpu.unsupported("a write to a write-protected guest page by '" + insn.text +
                       "', which the monitor cannot perform: " + r.unsupported);
  }
  // The stores the instruction made (with a fault: those of the REP iterations it
  // completed) take effect, as natively.
  apply(r);
  if (r.retired) record(insn);
  cpu::CpuState& s = c_.cpu.state();
  if (r.retired) return {};
  if (r.vector == cpu::vec::GP && (s.cpl == 1 || s.cpl == 3) && !c_.cpu.guest_mode()) {
    // The processor checks the destination of a store before it checks privilege (INS
    // looks at its destination page before the I/O permission): the #GP comes after the
    // trace. The monitor treats it as it treats every #GP: in ring 1 a privileged
    // instruction of the kernel, in ring 3 port I/O the guest may allow its user code.
    const Outcome handled = s.cpl == 1 ? emulate_privileged() : emulate_user_io();
    if (handled.verdict != Verdict::kNotEmulated) return handled;
    return gp(r.error_code);
  }
  if (r.guest_page_fault) return page_fault({r.fault_linear, r.error_code});
  return {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
}

}  // namespace vmlab::vmm
