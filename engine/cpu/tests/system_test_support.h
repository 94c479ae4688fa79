// A protected-mode world for the system-side tests: a GDT with flat ring-0/1/3 code and
// data segments and a few odd ones, a 32-bit TSS with ring-0 and ring-1 stacks and an
// I/O bitmap, an LDT, an IDT whose gates lead to distinct handler addresses, and helpers
// to build descriptors, switch CPL and run single instructions.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "engine/cpu/decoder.h"
#include "engine/cpu/descriptor.h"
#include "engine/cpu/tests/cpu_test_support.h"

namespace vmlab::cpu::testing {

// Descriptor encoders (SDM Vol. 3A, figures 3-8, 5-8, 6-2).
inline uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t type, uint8_t dpl, bool s = true,
                         bool present = true, bool db = true, bool g = false) {
  const uint32_t lo = (limit & 0xFFFFu) | (base << 16);
  const uint32_t hi = ((base >> 16) & 0xFFu) | (uint32_t{type} << 8) | (uint32_t{s} << 12) |
                      (uint32_t{dpl} << 13) | (uint32_t{present} << 15) | (limit & 0xF0000u) |
                      (uint32_t{db} << 22) | (uint32_t{g} << 23) | (base & 0xFF000000u);
  return uint64_t{hi} << 32 | lo;
}
inline uint64_t flat(uint8_t type, uint8_t dpl) {
  return seg_desc(0, 0xFFFFF, type, dpl, true, true, true, true);
}
inline uint64_t gate_desc(uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl,
                          bool present = true, uint8_t params = 0) {
  const uint32_t lo = (offset & 0xFFFFu) | (uint32_t{sel} << 16);
  const uint32_t hi = (offset & 0xFFFF0000u) | (uint32_t{type} << 8) | (uint32_t{dpl} << 13) |
                      (uint32_t{present} << 15) | params;
  return uint64_t{hi} << 32 | lo;
}

class SystemTest : public CpuTest {
 protected:
  static constexpr uint32_t kGdt = 0x10000;
  static constexpr uint32_t kIdt = 0x11000;
  static constexpr uint32_t kTss = 0x12000;
  static constexpr uint32_t kIoBitmap = 0x68;                // offset in the TSS
  static constexpr uint32_t kTssLimit = kIoBitmap + 0x2000;  // full bitmap + the 0xFF byte
  static constexpr uint32_t kLdt = 0x15000;
  static constexpr uint32_t kHandlers = 0x20000;  // vector v's handler at kHandlers + 16 v
  static constexpr uint32_t kStack0 = 0x80000;    // ring-0 stack top (TSS ESP0)
  static constexpr uint32_t kStack1 = 0x70000;    // ring-1 stack top (TSS ESP1)
  static constexpr uint32_t kStack3 = 0x60000;    // ring-3 stack top

  // GDT selectors.
  static constexpr uint16_t kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1B, kData3 = 0x23;
  static constexpr uint16_t kTssSel = 0x28, kLdtSel = 0x30, kCode1 = 0x39, kData1 = 0x41;
  static constexpr uint16_t kSmallData = 0x48;   // base 0x30000, limit 0xFFF, expand-up
  static constexpr uint16_t kExpandDown = 0x50;  // base 0, limit 0xFFF, expand-down, B = 1
  static constexpr uint16_t kNotPresent = 0x58;  // data, DPL 0, P = 0
  static constexpr uint16_t kConforming = 0x60;  // conforming readable code, DPL 0
  static constexpr uint16_t kReadOnly = 0x68;    // read-only data, DPL 0
  static constexpr uint16_t kExecOnly = 0x70;    // execute-only code, DPL 0
  static constexpr uint16_t kCallGate =
      0x78;                                // 32-bit call gate DPL 3 -> 0x08:kGateTarget, 2 params
  static constexpr uint16_t kFree = 0x88;  // first slot tests may fill
  static constexpr uint16_t kGdtLimit = 0xFF;
  static constexpr uint32_t kGateTarget = 0x5000;

  SystemTest() {
    set_gdt(kCode0, flat(0xA, 0));
    set_gdt(kData0, flat(0x2, 0));
    set_gdt(kCode3, flat(0xA, 3));
    set_gdt(kData3, flat(0x2, 3));
    set_gdt(kTssSel, seg_desc(kTss, kTssLimit, sys_type::kTss32Available, 0, false));
    set_gdt(kLdtSel, seg_desc(kLdt, 0xFF, sys_type::kLdt, 0, false));
    set_gdt(kCode1, flat(0xA, 1));
    set_gdt(kData1, flat(0x2, 1));
    set_gdt(kSmallData, seg_desc(0x30000, 0xFFF, 0x2, 0, true, true, true, false));
    set_gdt(kExpandDown, seg_desc(0, 0xFFF, 0x6, 0, true, true, true, false));
    set_gdt(kNotPresent, seg_desc(0, 0xFFFFF, 0x2, 0, true, false, true, true));
    set_gdt(kConforming, flat(0xE, 0));
    set_gdt(kReadOnly, flat(0x0, 0));
    set_gdt(kExecOnly, flat(0x8, 0));
    set_gdt(kCallGate, gate_desc(kCode0, kGateTarget, sys_type::kCallGate32, 3, true, 2));
    // LDT entry 1 (selector 0x0C / 0x0F): flat data DPL 3.
    write64(kLdt + 8, flat(0x2, 3));

    // TSS: ring-0 and ring-1 stacks, I/O bitmap all zero (every port allowed) followed
    // by the terminating 0xFF byte.
    poke32(kTss + 4, kStack0);
    poke32(kTss + 8, kData0);
    poke32(kTss + 12, kStack1);
    poke32(kTss + 16, kData1);
    ram_[kTss + 0x66] = kIoBitmap & 0xFF;
    ram_[kTss + 0x67] = kIoBitmap >> 8;
    ram_[kTss + kIoBitmap + 0x2000] = 0xFF;

    // IDT: 32-bit interrupt gates, DPL 0, to distinct handlers. Every handler is a HLT,
    // so a run stops (kHalted, EIP = handler + 1) once an exception has been delivered.
    for (unsigned v = 0; v < 256; ++v) {
      set_gate(v, gate_desc(kCode0, handler(v), sys_type::kInterruptGate32, 0));
      ram_[handler(v)] = 0xF4;
    }

    CpuState& s = st();
    s.gdtr = TableRegister{kGdt, kGdtLimit};
    s.idtr = TableRegister{kIdt, 0x7FF};
    cpu_.load_ldtr(kLdtSel);
    cpu_.load_task_register(kTssSel);
    enter_cpl(0);
    s.gpr[ESP] = kStack0;
  }

  static uint32_t handler(unsigned v) { return kHandlers + 16 * v; }
  // Where a run stops after delivering vector v: just past the handler's HLT.
  static uint32_t halted_in(unsigned v) { return handler(v) + 1; }

  void write64(uint32_t addr, uint64_t v) {
    poke32(addr, static_cast<uint32_t>(v));
    poke32(addr + 4, static_cast<uint32_t>(v >> 32));
  }
  uint64_t read64(uint32_t addr) const { return uint64_t{peek32(addr + 4)} << 32 | peek32(addr); }
  uint16_t peek16(uint32_t addr) const {
    return static_cast<uint16_t>(ram_[addr] | ram_[addr + 1] << 8);
  }
  void set_gdt(uint16_t sel, uint64_t d) { write64(kGdt + (sel & 0xFFF8u), d); }
  uint64_t gdt(uint16_t sel) const { return read64(kGdt + (sel & 0xFFF8u)); }
  void set_gate(unsigned v, uint64_t d) { write64(kIdt + 8 * v, d); }

  // Puts the processor at privilege level `cpl` with flat code and data of that level,
  // as if a far transfer had happened (hidden caches loaded from the GDT).
  void enter_cpl(uint8_t cpl) {
    const uint16_t code = cpl == 0 ? kCode0 : cpl == 1 ? kCode1 : kCode3;
    const uint16_t data = cpl == 0 ? kData0 : cpl == 1 ? kData1 : kData3;
    CpuState& s = st();
    s.cpl = cpl;
    s.seg[CS] = Descriptor{gdt(code)}.to_cache(code);
    for (uint8_t r : {ES, SS, DS, FS, GS}) s.seg[r] = Descriptor{gdt(data)}.to_cache(data);
    s.gpr[ESP] = cpl == 0 ? kStack0 : cpl == 1 ? kStack1 : kStack3;
  }

  void set_iopl(unsigned iopl) {
    st().eflags = (st().eflags & ~flags::IOPL) | (iopl << flags::IOPL_SHIFT);
  }

  // Decodes `bytes` as the instruction at EIP and executes it directly, outside the run
  // loop: the fault it raises (if any) is returned instead of being delivered.
  std::optional<CpuFault> exec(std::initializer_list<uint8_t> bytes) {
    const std::vector<uint8_t> b(bytes);
    Insn insn;
    EXPECT_EQ(decode(b.data(), b.size(), st().seg[CS].db, insn), DecodeStatus::kOk);
    st().eip += insn.len;
    try {
      insn.exec(cpu_, insn);
    } catch (const CpuFault& f) {
      return f;
    }
    if (CpuFault f; cpu_.take_posted_fault(f)) return f;  // #UD is posted, not thrown
    return std::nullopt;
  }

  // Runs a load_segment (or any call) and returns its fault.
  template <typename F>
  std::optional<CpuFault> catch_fault(F&& f) {
    try {
      f();
    } catch (const CpuFault& fault) {
      return fault;
    }
    return std::nullopt;
  }
};

// A fault as text, so that EXPECT_EQ shows both sides: "13(0010)", "6", or "none".
inline std::string fault_text(const std::optional<CpuFault>& f) {
  if (!f) return "none";
  char buf[32];
  if (f->has_error_code) {
    std::snprintf(buf, sizeof buf, "%u(%04X)", unsigned{f->vector}, f->error_code);
  } else {
    std::snprintf(buf, sizeof buf, "%u", unsigned{f->vector});
  }
  return buf;
}
inline std::string fault_text(uint8_t vector, uint32_t err) {
  return fault_text(CpuFault{vector, true, err});
}
inline std::string fault_text(uint8_t vector) {
  return fault_text(CpuFault{vector, false, 0});
}

}  // namespace vmlab::cpu::testing
