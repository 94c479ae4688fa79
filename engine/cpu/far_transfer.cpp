// Far control transfers: JMP and CALL to another code segment or through a call gate,
// far RET to the same or an outer privilege level, and IRET in protected mode.
//
// SDM Vol. 3A: 5.8 (privilege-level checks when transferring program control: direct
// transfers 5.8.1-5.8.2, call gates 5.8.3-5.8.4, the stack switch 5.8.5, returns 5.8.6).
// Vol. 2: the JMP, CALL, RET and IRET pseudo-code, which fix the order of the checks and
// their error codes. A TSS or task gate as the target of a far transfer and IRET with NT
// set switch tasks (task_checks.h, then Cpu::switch_task in task_switch.cpp); returns to
// virtual-8086 mode are out of scope.
#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/cpu/task_checks.h"

namespace vmlab::cpu {

namespace {

bool is_call_gate(const Descriptor& d) {
  return !d.s() && (d.type() == sys_type::kCallGate16 || d.type() == sys_type::kCallGate32);
}

// A stack offset relative to the current ESP, wrapped at 64 KiB on a 16-bit stack.
uint32_t stack_offset(const Cpu& cpu, uint32_t delta) {
  const uint32_t sp = cpu.state().gpr[ESP] + delta;
  return cpu.state().seg[SS].db ? sp : sp & 0xFFFFu;
}

uint32_t stack_read(Cpu& cpu, uint32_t delta, unsigned width) {
  if (const std::vector<uint8_t>* frame = cpu.return_frame()) {
    uint32_t v = 0;  // (a monitor's copy of the frame: Cpu::set_return_frame)
    for (unsigned i = 0; i < width && delta + i < frame->size(); ++i) {
      v |= uint32_t{(*frame)[delta + i]} << (8 * i);
    }
    return v;
  }
  const uint32_t off = stack_offset(cpu, delta);
  return width == 4 ? cpu.read32(SS, off) : cpu.read16(SS, off);
}

// Sets ESP (32-bit stack) or SP (16-bit stack) after the new SS is loaded.
void set_stack_pointer(Cpu& cpu, uint32_t v) {
  if (cpu.state().seg[SS].db) {
    cpu.state().gpr[ESP] = v;
  } else {
    cpu.set_r16(ESP, static_cast<uint16_t>(v));
  }
}

// The code segment a return (RET far, IRET) goes back to (RET pseudo-code, "return to
// same/outer privilege level"): present code, RPL >= CPL, and DPL = RPL for non-conforming
// or DPL <= RPL for conforming code.
Descriptor check_return_cs(Cpu& cpu, uint16_t sel, uint32_t& addr) {
  if (is_null_selector(sel)) cpu.fault_gp(0);
  const uint32_t err = selector_error(sel);
  Descriptor d;
  if (!cpu.fetch_descriptor(sel, d.raw, &addr)) cpu.fault_gp(err);
  if (!d.is_code()) cpu.fault_gp(err);
  const uint8_t rpl = sel & 3;
  if (rpl < cpu.state().cpl) cpu.fault_gp(err);
  if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) cpu.fault_gp(err);
  if (!d.present()) cpu.fault(vec::NP, err);
  return d;
}

// The stack segment of a return to an outer level: writable data at exactly the return
// privilege level (RET pseudo-code).
Descriptor check_return_ss(Cpu& cpu, uint16_t sel, uint8_t rpl, uint32_t& addr) {
  if (is_null_selector(sel)) cpu.fault_gp(0);
  const uint32_t err = selector_error(sel);
  Descriptor d;
  if (!cpu.fetch_descriptor(sel, d.raw, &addr)) cpu.fault_gp(err);
  if ((sel & 3) != rpl || !d.writable() || d.dpl() != rpl) cpu.fault_gp(err);
  if (!d.present()) cpu.fault(vec::SS, err);
  return d;
}

}  // namespace

void Cpu::far_jump(uint16_t selector, uint32_t offset, bool o16) {
  if (!s_.protected_mode()) [[unlikely]] {
    real_mode_far_jump(selector, offset, o16);
    return;
  }
  if (is_null_selector(selector)) fault_gp(0);
  const uint32_t err = selector_error(selector);
  Descriptor d;
  uint32_t addr = 0;
  if (!fetch_descriptor(selector, d.raw, &addr)) fault_gp(err);
  const uint8_t rpl = selector & 3;
  if (d.is_code()) {
    // Direct: conforming code needs DPL <= CPL; non-conforming needs RPL <= CPL and
    // DPL = CPL (5.8.1-5.8.2). CPL never changes on a JMP.
    if (d.conforming() ? d.dpl() > s_.cpl : (rpl > s_.cpl || d.dpl() != s_.cpl)) fault_gp(err);
    if (!d.present()) fault(vec::NP, err);
    const uint32_t eip = o16 ? offset & 0xFFFFu : offset;
    const SegmentCache target = d.to_cache(static_cast<uint16_t>((selector & 0xFFFCu) | s_.cpl));
    if (eip > target.limit) fault_gp(0);
    set_descriptor_accessed(addr, d.raw);
    s_.seg[CS] = target;
    s_.eip = eip;
    return;
  }
  if (is_task_target(d)) {
    switch_task(check_far_task_target(*this, selector, d), TaskSource::kJmp);
    return;
  }
  if (!is_call_gate(d)) fault_gp(err);
  // Through a call gate: the gate must be reachable (DPL >= CPL and >= RPL); a JMP goes
  // only to the same privilege level, whatever the target (5.8.4).
  if (d.dpl() < s_.cpl || d.dpl() < rpl) fault_gp(err);
  if (!d.present()) fault(vec::NP, err);
  const uint16_t tsel = d.gate_selector();
  if (is_null_selector(tsel)) fault_gp(0);
  const uint32_t terr = selector_error(tsel);
  Descriptor t;
  uint32_t taddr = 0;
  if (!fetch_descriptor(tsel, t.raw, &taddr)) fault_gp(terr);
  if (!t.is_code()) fault_gp(terr);
  if (t.conforming() ? t.dpl() > s_.cpl : t.dpl() != s_.cpl) fault_gp(terr);
  if (!t.present()) fault(vec::NP, terr);
  const uint32_t eip =
      d.type() == sys_type::kCallGate16 ? d.gate_offset() & 0xFFFFu : d.gate_offset();
  const SegmentCache target = t.to_cache(static_cast<uint16_t>((tsel & 0xFFFCu) | s_.cpl));
  if (eip > target.limit) fault_gp(0);
  set_descriptor_accessed(taddr, t.raw);
  s_.seg[CS] = target;
  s_.eip = eip;
}

void Cpu::far_call(uint16_t selector, uint32_t offset, bool o16) {
  if (!s_.protected_mode()) [[unlikely]] {
    real_mode_far_call(selector, offset, o16);
    return;
  }
  if (is_null_selector(selector)) fault_gp(0);
  const uint32_t err = selector_error(selector);
  Descriptor d;
  uint32_t addr = 0;
  if (!fetch_descriptor(selector, d.raw, &addr)) fault_gp(err);
  const uint8_t rpl = selector & 3;
  if (d.is_code()) {
    if (d.conforming() ? d.dpl() > s_.cpl : (rpl > s_.cpl || d.dpl() != s_.cpl)) fault_gp(err);
    if (!d.present()) fault(vec::NP, err);
    const uint32_t eip = o16 ? offset & 0xFFFFu : offset;
    const SegmentCache target = d.to_cache(static_cast<uint16_t>((selector & 0xFFFCu) | s_.cpl));
    const uint32_t frame[] = {s_.seg[CS].selector, s_.eip};
    if (eip > target.limit) fault_gp(0);
    const uint32_t esp = push_frame(s_.seg[SS], s_.gpr[ESP], frame, 2, o16 ? 2 : 4, s_.cpl != 3, 0);
    set_descriptor_accessed(addr, d.raw);
    s_.gpr[ESP] = esp;
    s_.seg[CS] = target;
    s_.eip = eip;
    return;
  }
  if (is_task_target(d)) {
    switch_task(check_far_task_target(*this, selector, d), TaskSource::kCall);
    return;
  }
  if (!is_call_gate(d)) fault_gp(err);
  if (d.dpl() < s_.cpl || d.dpl() < rpl) fault_gp(err);
  if (!d.present()) fault(vec::NP, err);
  const uint16_t tsel = d.gate_selector();
  if (is_null_selector(tsel)) fault_gp(0);
  const uint32_t terr = selector_error(tsel);
  Descriptor t;
  uint32_t taddr = 0;
  if (!fetch_descriptor(tsel, t.raw, &taddr)) fault_gp(terr);
  if (!t.is_code() || t.dpl() > s_.cpl) fault_gp(terr);
  if (!t.present()) fault(vec::NP, terr);
  const bool gate32 = d.type() == sys_type::kCallGate32;
  const unsigned width = gate32 ? 4 : 2;
  const uint32_t eip = gate32 ? d.gate_offset() : d.gate_offset() & 0xFFFFu;

  if (!t.conforming() && t.dpl() < s_.cpl) {
    // CALL to an inner privilege level (5.8.5): switch to the TSS stack of the target
    // level, then push the caller's SS:ESP, copy the gate's parameter count of words or
    // dwords from the caller's stack, and push the return address.
    const uint8_t new_cpl = t.dpl();
    uint16_t ss_sel = 0;
    uint32_t new_esp = 0;
    SegmentCache ss_cache;
    inner_stack_from_tss(new_cpl, 0, ss_sel, new_esp, ss_cache);
    const SegmentCache target = t.to_cache(static_cast<uint16_t>((tsel & 0xFFFCu) | new_cpl));
    if (eip > target.limit) fault_gp(0);
    const unsigned params = d.gate_param_count();
    uint32_t frame[2 + 31 + 2];
    unsigned n = 0;
    frame[n++] = s_.seg[SS].selector;
    frame[n++] = s_.gpr[ESP];
    // The parameter nearest the old top of stack ends up nearest the new return address.
    for (unsigned i = params; i-- > 0;) frame[n++] = stack_read(*this, i * width, width);
    frame[n++] = s_.seg[CS].selector;
    frame[n++] = s_.eip;
    const uint32_t esp =
        push_frame(ss_cache, new_esp, frame, n, width, new_cpl != 3, selector_error(ss_sel));
    set_descriptor_accessed(taddr, t.raw);
    s_.seg[SS] = ss_cache;
    s_.gpr[ESP] = esp;
    s_.seg[CS] = target;
    s_.cpl = new_cpl;
    s_.eip = eip;
    return;
  }
  // Through the gate to the same privilege level.
  const SegmentCache target = t.to_cache(static_cast<uint16_t>((tsel & 0xFFFCu) | s_.cpl));
  if (eip > target.limit) fault_gp(0);
  const uint32_t frame[] = {s_.seg[CS].selector, s_.eip};
  const uint32_t esp = push_frame(s_.seg[SS], s_.gpr[ESP], frame, 2, width, s_.cpl != 3, 0);
  set_descriptor_accessed(taddr, t.raw);
  s_.gpr[ESP] = esp;
  s_.seg[CS] = target;
  s_.eip = eip;
}

void Cpu::far_return(uint16_t release_bytes, bool o16) {
  if (!s_.protected_mode()) [[unlikely]] {
    real_mode_far_return(release_bytes, o16);
    return;
  }
  const unsigned w = o16 ? 2 : 4;
  uint32_t eip = stack_read(*this, 0, w);
  const auto cs_sel = static_cast<uint16_t>(stack_read(*this, w, 2));
  uint32_t cs_addr = 0;
  const Descriptor cs = check_return_cs(*this, cs_sel, cs_addr);
  const uint8_t rpl = cs_sel & 3;
  const SegmentCache target = cs.to_cache(cs_sel);
  if (rpl == s_.cpl) {
    if (eip > target.limit) fault_gp(0);
    set_descriptor_accessed(cs_addr, cs.raw);
    s_.seg[CS] = target;
    s_.eip = eip;
    set_stack_pointer(*this, s_.gpr[ESP] + 2 * w + release_bytes);
    return;
  }
  // Return to an outer privilege level (5.8.6): the caller's SS:ESP lies above the
  // return address and the released parameters.
  const uint32_t new_esp = stack_read(*this, 2 * w + release_bytes, w);
  const auto ss_sel = static_cast<uint16_t>(stack_read(*this, 3 * w + release_bytes, 2));
  uint32_t ss_addr = 0;
  const Descriptor ss = check_return_ss(*this, ss_sel, rpl, ss_addr);
  if (eip > target.limit) fault_gp(0);
  set_descriptor_accessed(cs_addr, cs.raw);
  set_descriptor_accessed(ss_addr, ss.raw);
  s_.seg[CS] = target;
  s_.cpl = rpl;
  s_.seg[SS] = ss.to_cache(ss_sel);
  s_.eip = eip;
  set_stack_pointer(*this, new_esp + release_bytes);
  null_inner_data_segments();
}

bool Cpu::interrupt_return(bool o16) {
  if (!s_.protected_mode()) [[unlikely]] {
    real_mode_interrupt_return(o16);
    return false;
  }
  if (s_.eflags & flags::NT) {
    switch_task(check_nested_task_return(*this), TaskSource::kIret);
    return false;
  }
  const unsigned w = o16 ? 2 : 4;
  const uint32_t eip = stack_read(*this, 0, w);
  const auto cs_sel = static_cast<uint16_t>(stack_read(*this, w, 2));
  const uint32_t popped = stack_read(*this, 2 * w, w);
  if (!o16 && (popped & flags::VM) && s_.cpl == 0) {
    unsupported("IRET to virtual-8086 mode: V86 mode is not implemented");
  }
  uint32_t cs_addr = 0;
  const Descriptor cs = check_return_cs(*this, cs_sel, cs_addr);
  const uint8_t rpl = cs_sel & 3;
  const SegmentCache target = cs.to_cache(cs_sel);

  // Which flags IRET may change is decided by the CPL it executes at (IRET pseudo-code):
  // IF only when CPL <= IOPL, IOPL (and VIF/VIP) only at CPL 0; VM is never set here.
  // Like POPF, a refused change is silently dropped, not faulted.
  uint32_t mask =
      flags::kStatus | flags::TF | flags::DF | flags::NT | flags::RF | flags::AC | flags::ID;
  if (s_.cpl <= s_.iopl()) mask |= flags::IF;
  if (s_.cpl == 0) mask |= flags::IOPL | flags::VIF | flags::VIP;
  if (o16) mask &= 0xFFFFu;
  const uint32_t new_flags = (s_.eflags & ~mask) | (popped & mask);
  const bool dropped = s_.cpl > 0 && ((popped ^ new_flags) & (flags::IOPL | flags::IF)) != 0;

  if (rpl == s_.cpl) {
    if (eip > target.limit) fault_gp(0);
    set_descriptor_accessed(cs_addr, cs.raw);
    s_.seg[CS] = target;
    s_.eip = eip;
    set_stack_pointer(*this, s_.gpr[ESP] + 3 * w);
    set_eflags(new_flags);
    return dropped;
  }
  const uint32_t new_esp = stack_read(*this, 3 * w, w);
  const auto ss_sel = static_cast<uint16_t>(stack_read(*this, 4 * w, 2));
  uint32_t ss_addr = 0;
  const Descriptor ss = check_return_ss(*this, ss_sel, rpl, ss_addr);
  if (eip > target.limit) fault_gp(0);
  set_descriptor_accessed(cs_addr, cs.raw);
  set_descriptor_accessed(ss_addr, ss.raw);
  s_.seg[CS] = target;
  s_.seg[SS] = ss.to_cache(ss_sel);
  s_.eip = eip;
  set_stack_pointer(*this, new_esp);
  set_eflags(new_flags);
  s_.cpl = rpl;
  null_inner_data_segments();
  return dropped;
}

}  // namespace vmlab::cpu
