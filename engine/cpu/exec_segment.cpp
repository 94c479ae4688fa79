// Segment-register instructions: MOV Sreg, PUSH/POP Sreg, LDS LES LFS LGS LSS, far JMP,
// CALL and RET, ARPL, and the descriptor probes LAR LSL VERR VERW.
//
// SDM Vol. 2: MOV, PUSH, POP, LDS/LES/LFS/LGS/LSS, JMP, CALL, RET and ARPL pseudo-code;
// Vol. 3A 5.5-5.8 for the checks, which live in Cpu::load_segment (segmentation.cpp) and
// the far-transfer routines (far_transfer.cpp). MOV r/m, CS at any CPL shows the real
// CPL in the selector's RPL: another sensitive, unprivileged instruction.
#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/cpu/descriptor_probe.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/operands.h"

namespace vmlab::cpu {

namespace {

// MOV SS and POP SS block interrupts (and debug traps) until the next instruction has
// retired, so that the following load of ESP is never separated from it (6.8.3).
void after_segment_load(Cpu& cpu, uint8_t sreg) {
  if (sreg == SS) {
    cpu.state().interrupt_shadow = true;
    cpu.request_event_check();
  }
}

// 8E /r: MOV Sreg, r/m16. MOV CS and the nonexistent registers 6 and 7 are #UD.
void mov_sreg_rm(Cpu& cpu, const Insn& insn) {
  if (insn.reg == CS || insn.reg >= kNumSegRegs) cpu.fault_ud();
  cpu.load_segment(insn.reg, read_rm16(cpu, insn));
  after_segment_load(cpu, insn.reg);
}

// 8C /r: MOV r/m16, Sreg. Memory gets 16 bits; a register with a 32-bit operand size gets
// the selector zero-extended (Pentium Pro and later).
void mov_rm_sreg(Cpu& cpu, const Insn& insn) {
  if (insn.reg >= kNumSegRegs) cpu.fault_ud();
  const uint16_t sel = cpu.state().seg[insn.reg].selector;
  if (insn.mem()) {
    write_rm16(cpu, insn, sel);
  } else {
    write_rmv(cpu, insn, sel);
  }
  // CS and SS carry the CPL in their RPL: reading them tells a kernel its real ring.
  if (insn.reg == CS || insn.reg == SS) cpu.report_sensitive(insn);
}

// PUSH Sreg: with a 32-bit operand size ESP moves by 4 and the selector is stored
// zero-extended (one of the two behaviors the SDM allows).
template <uint8_t kSreg>
void push_sreg(Cpu& cpu, const Insn& insn) {
  pushv(cpu, insn, cpu.state().seg[kSreg].selector);
  if constexpr (kSreg == CS || kSreg == SS) cpu.report_sensitive(insn);
}

// POP Sreg: the value is read, the segment loaded (which may fault), and only then is
// ESP moved, so a faulting POP restarts cleanly.
template <uint8_t kSreg>
void pop_sreg(Cpu& cpu, const Insn& insn) {
  CpuState& s = cpu.state();
  const bool big = s.seg[SS].db;
  const uint32_t sp = big ? s.gpr[ESP] : s.gpr[ESP] & 0xFFFFu;
  const uint16_t sel = cpu.read16(SS, sp);
  const uint32_t size = insn.o16() ? 2 : 4;
  if (size == 4) cpu.linear(SS, sp, 4, Access::kRead);  // the whole slot must be readable
  const SegmentCache old_ss = s.seg[SS];
  cpu.load_segment(kSreg, sel);
  // ESP moves by the operand size in the stack-pointer width of the SS in force when
  // the pop began.
  if (old_ss.db) {
    s.gpr[ESP] = sp + size;
  } else {
    cpu.set_r16(ESP, static_cast<uint16_t>(sp + size));
  }
  after_segment_load(cpu, kSreg);
}

// LDS/LES/LFS/LGS/LSS r, m16:16/32: offset first, then the selector; the register is
// written only after the segment load succeeded.
template <uint8_t kSreg>
void load_far_pointer(Cpu& cpu, const Insn& insn) {
  if (!insn.mem()) cpu.fault_ud();
  const uint32_t ea = effective_address(cpu, insn);
  const uint32_t sel_off = ea + (insn.o16() ? 2 : 4);
  const uint32_t offset = insn.o16() ? cpu.read16(insn.seg, ea) : cpu.read32(insn.seg, ea);
  const uint16_t sel = cpu.read16(insn.seg, insn.a16() ? sel_off & 0xFFFFu : sel_off);
  cpu.load_segment(kSreg, sel);
  write_regv(cpu, insn, insn.reg, offset);
}

// EA / 9A: JMP/CALL ptr16:16/32 (offset in imm, selector in imm2).
void jmp_far_ptr(Cpu& cpu, const Insn& insn) {
  cpu.far_jump(static_cast<uint16_t>(insn.imm2), insn.imm, insn.o16());
}
void call_far_ptr(Cpu& cpu, const Insn& insn) {
  cpu.far_call(static_cast<uint16_t>(insn.imm2), insn.imm, insn.o16());
}

// FF /3 and FF /5: CALL/JMP m16:16/32. A register operand is #UD.
void read_far_pointer(Cpu& cpu, const Insn& insn, uint16_t& sel, uint32_t& offset) {
  if (!insn.mem()) cpu.fault_ud();
  const uint32_t ea = effective_address(cpu, insn);
  const uint32_t sel_off = ea + (insn.o16() ? 2 : 4);
  offset = insn.o16() ? cpu.read16(insn.seg, ea) : cpu.read32(insn.seg, ea);
  sel = cpu.read16(insn.seg, insn.a16() ? sel_off & 0xFFFFu : sel_off);
}

void call_far_mem(Cpu& cpu, const Insn& insn) {
  uint16_t sel;
  uint32_t offset;
  read_far_pointer(cpu, insn, sel, offset);
  cpu.far_call(sel, offset, insn.o16());
}

void jmp_far_mem(Cpu& cpu, const Insn& insn) {
  uint16_t sel;
  uint32_t offset;
  read_far_pointer(cpu, insn, sel, offset);
  cpu.far_jump(sel, offset, insn.o16());
}

// CB: RET far; CA iw: RET far imm16 (releases imm16 bytes of parameters).
void ret_far(Cpu& cpu, const Insn& insn) {
  cpu.far_return(0, insn.o16());
}
void ret_far_imm(Cpu& cpu, const Insn& insn) {
  cpu.far_return(static_cast<uint16_t>(insn.imm), insn.o16());
}

// 63 /r: ARPL r/m16, r16. Raises the RPL of the destination selector to the source's.
void arpl(Cpu& cpu, const Insn& insn) {
  if (!cpu.state().protected_mode()) cpu.fault_ud();  // not recognized in real mode
  const uint16_t dest = read_rm16(cpu, insn);
  const uint16_t src = cpu.r16(insn.reg);
  if ((dest & 3) < (src & 3)) {
    write_rm16(cpu, insn, static_cast<uint16_t>((dest & ~3u) | (src & 3u)));
    cpu.state().eflags |= flags::ZF;
  } else {
    cpu.state().eflags &= ~flags::ZF;
  }
}

// LAR, LSL, VERR, VERW (descriptor_probe.cpp): the descriptor the selector names, read as
// the processor reads it (a #PF of the table's page is the instruction's), then examined;
// a null or out-of-table selector clears ZF.
void probe(Cpu& cpu, const Insn& insn, DescriptorProbe op) {
  if (!cpu.state().protected_mode()) cpu.fault_ud();  // not recognized in real mode
  const uint16_t sel = read_rm16(cpu, insn);
  std::optional<uint64_t> raw;
  uint64_t bytes = 0;
  if (!is_null_selector(sel) && cpu.fetch_descriptor(sel, bytes)) raw = bytes;
  const std::optional<uint32_t> value = probe_descriptor(op, sel, raw, cpu.state().cpl);
  if (value && (op == DescriptorProbe::kLar || op == DescriptorProbe::kLsl)) {
    write_regv(cpu, insn, insn.reg, *value);
  }
  if (value) {
    cpu.state().eflags |= flags::ZF;
  } else {
    cpu.state().eflags &= ~flags::ZF;
  }
  cpu.report_sensitive(insn);
}

// 0F 02: LAR; 0F 03: LSL; 0F 00 /4, /5: VERR, VERW.
void lar(Cpu& cpu, const Insn& insn) {
  probe(cpu, insn, DescriptorProbe::kLar);
}
void lsl(Cpu& cpu, const Insn& insn) {
  probe(cpu, insn, DescriptorProbe::kLsl);
}
void verr(Cpu& cpu, const Insn& insn) {
  probe(cpu, insn, DescriptorProbe::kVerr);
}
void verw(Cpu& cpu, const Insn& insn) {
  probe(cpu, insn, DescriptorProbe::kVerw);
}

}  // namespace

void register_segment(HandlerTable& t) {
  t.set(0x8E, mov_sreg_rm);
  t.set(0x8C, mov_rm_sreg);
  t.set(0x06, push_sreg<ES>);
  t.set(0x07, pop_sreg<ES>);
  t.set(0x0E, push_sreg<CS>);  // 0F is the two-byte escape: there is no POP CS
  t.set(0x16, push_sreg<SS>);
  t.set(0x17, pop_sreg<SS>);
  t.set(0x1E, push_sreg<DS>);
  t.set(0x1F, pop_sreg<DS>);
  t.set(kTwoByte | 0xA0, push_sreg<FS>);
  t.set(kTwoByte | 0xA1, pop_sreg<FS>);
  t.set(kTwoByte | 0xA8, push_sreg<GS>);
  t.set(kTwoByte | 0xA9, pop_sreg<GS>);
  t.set(0xC4, load_far_pointer<ES>);
  t.set(0xC5, load_far_pointer<DS>);
  t.set(kTwoByte | 0xB2, load_far_pointer<SS>);
  t.set(kTwoByte | 0xB4, load_far_pointer<FS>);
  t.set(kTwoByte | 0xB5, load_far_pointer<GS>);
  t.set(0xEA, jmp_far_ptr);
  t.set(0x9A, call_far_ptr);
  t.set_group(0xFF, 3, call_far_mem);
  t.set_group(0xFF, 5, jmp_far_mem);
  t.set(0xCB, ret_far);
  t.set(0xCA, ret_far_imm);
  t.set(0x63, arpl);
  t.set(kTwoByte | 0x02, lar);
  t.set(kTwoByte | 0x03, lsl);
  t.set_group(kTwoByte | 0x00, 4, verr);
  t.set_group(kTwoByte | 0x00, 5, verw);
}

}  // namespace vmlab::cpu
