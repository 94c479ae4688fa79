// Segmentation: descriptor fetch from the GDT and LDT, segment-register loads with the
// protected-mode checks, LLDT and LTR.
//
// SDM Vol. 3A: 3.4 (selectors, descriptors, the hidden cache), 5.4-5.6 (null selectors,
// type checking, privilege checks for data and stack segments), 5.8.2 (conforming code),
// 7.2.4 (the task register). Vol. 2: MOV, POP, LDS/LES/LFS/LGS/LSS, LLDT and LTR
// pseudo-code, which fix the order of the checks and their error codes.
#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"

namespace vmlab::cpu {

uint32_t SegmentCache::lar_attributes() const {
  return (uint32_t{type} << 8) | (uint32_t{s} << 12) | (uint32_t{dpl} << 13) |
         (uint32_t{present} << 15) | (uint32_t{avl} << 20) | (uint32_t{db} << 22) |
         (uint32_t{g} << 23);
}

bool Cpu::fetch_descriptor(uint16_t selector, uint64_t& raw, uint32_t* addr) {
  const uint32_t index = selector & 0xFFF8u;
  uint32_t base;
  uint32_t limit;
  if (selector & 4) {
    // TI = 1: the LDT. With a null LDTR every LDT selector is outside the table.
    if (!s_.ldtr.usable) return false;
    base = s_.ldtr.base;
    limit = s_.ldtr.limit;
  } else {
    base = s_.gdtr.base;
    limit = s_.gdtr.limit;
  }
  // The whole 8-byte descriptor must lie within the table limit (SDM Vol. 3A, 3.5.1).
  if (index + 7 > limit) return false;
  // Descriptor-table reads are implicit supervisor accesses (Vol. 3A, 4.6).
  const uint32_t lo = lin_read32(base + index, true);
  const uint32_t hi = lin_read32(base + index + 4, true);
  raw = uint64_t{hi} << 32 | lo;
  if (addr) *addr = base + index;
  return true;
}

// The processor sets the accessed bit in the descriptor in memory when it loads a segment
// register from it (SDM Vol. 3A, 3.4.5.1). The write is a locked supervisor write of the
// type byte; it may itself page-fault, before any register changes.
void Cpu::set_descriptor_accessed(uint32_t addr, uint64_t raw) {
  const Descriptor d{raw};
  if (d.accessed()) return;
  lin_write8(addr + 5, static_cast<uint8_t>((d.hi() >> 8) | 1u), true);
}

void Cpu::load_segment(uint8_t sreg, uint16_t selector) {
  // CS is loaded only by far transfers, gates and IRET (far_transfer.cpp, interrupts.cpp).
  if (sreg == CS || sreg >= kNumSegRegs) fault_ud();
  if (!s_.protected_mode()) [[unlikely]] {
    real_mode_load_segment(sreg, selector);
    return;
  }
  const uint32_t err = selector_error(selector);
  if (is_null_selector(selector)) {
    // A null selector may be loaded into DS, ES, FS and GS; using it faults later.
    // SS can never be null in protected mode (Vol. 3A, 5.4.1).
    if (sreg == SS) fault_gp(0);
    s_.seg[sreg] = null_segment(selector);
    return;
  }
  Descriptor d;
  uint32_t addr = 0;
  if (!fetch_descriptor(selector, d.raw, &addr)) fault_gp(err);
  const uint8_t rpl = selector & 3;
  const uint8_t cpl = s_.cpl;
  if (sreg == SS) {
    // The stack must be a writable data segment at exactly the current privilege level
    // (Vol. 3A, 5.7): RPL = CPL and DPL = CPL.
    if (rpl != cpl || !d.writable() || d.dpl() != cpl) fault_gp(err);
    if (!d.present()) fault(vec::SS, err);
  } else {
    // Data segments and readable code segments; the DPL must be numerically at least
    // both CPL and RPL, except for conforming code (Vol. 3A, 5.6).
    if (!d.readable()) fault_gp(err);
    if (!d.conforming() && (rpl > d.dpl() || cpl > d.dpl())) fault_gp(err);
    if (!d.present()) fault(vec::NP, err);
  }
  set_descriptor_accessed(addr, d.raw);
  s_.seg[sreg] = d.to_cache(selector);
}

void Cpu::load_ldtr(uint16_t selector) {
  if (is_null_selector(selector)) {
    // A null LDTR is allowed; every later LDT reference then faults.
    s_.ldtr = null_segment(selector);
    s_.ldtr.s = false;
    return;
  }
  const uint32_t err = selector_error(selector);
  // The LDT descriptor lives in the GDT (TI must be 0).
  if (selector & 4) fault_gp(err);
  Descriptor d;
  if (!fetch_descriptor(selector, d.raw)) fault_gp(err);
  if (d.s() || d.type() != sys_type::kLdt) fault_gp(err);
  if (!d.present()) fault(vec::NP, err);
  s_.ldtr = d.to_cache(selector);
}

void Cpu::load_task_register(uint16_t selector) {
  if (is_null_selector(selector)) fault_gp(0);
  const uint32_t err = selector_error(selector);
  if (selector & 4) fault_gp(err);
  Descriptor d;
  uint32_t addr = 0;
  if (!fetch_descriptor(selector, d.raw, &addr)) fault_gp(err);
  // Only an available (not busy) 16- or 32-bit TSS may be loaded (LTR in Vol. 2).
  if (d.s() || (d.type() != sys_type::kTss32Available && d.type() != sys_type::kTss16Available)) {
    fault_gp(err);
  }
  if (!d.present()) fault(vec::NP, err);
  // LTR marks the descriptor busy in memory (type bit 1).
  lin_write8(addr + 5, static_cast<uint8_t>((d.hi() >> 8) | 0x2u), true);
  d.raw |= uint64_t{0x2} << 40;
  s_.tr = d.to_cache(selector);
}

void Cpu::null_inner_data_segments() {
  for (uint8_t r : {ES, DS, FS, GS}) {
    SegmentCache& sc = s_.seg[r];
    if (!sc.usable) continue;
    if ((sc.is_data() || !sc.conforming()) && s_.cpl > sc.dpl) s_.seg[r] = null_segment(0);
  }
}

}  // namespace vmlab::cpu
