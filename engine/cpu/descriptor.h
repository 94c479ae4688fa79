// Segment and gate descriptors as they sit in the GDT, LDT and IDT.
//
// SDM Vol. 3A: 3.4.5 (segment descriptor layout), 3.5 (system descriptor types,
// table 3-2), 5.8.3 (call gates), 6.11 (IDT gate descriptors), 7.2.2 (TSS descriptor).
#pragma once

#include <cstdint>

#include "engine/cpu/cpu_state.h"

namespace vmlab::cpu {

// System-descriptor types (S = 0), SDM Vol. 3A table 3-2.
namespace sys_type {
inline constexpr uint8_t kTss16Available = 0x1;
inline constexpr uint8_t kLdt = 0x2;
inline constexpr uint8_t kTss16Busy = 0x3;
inline constexpr uint8_t kCallGate16 = 0x4;
inline constexpr uint8_t kTaskGate = 0x5;
inline constexpr uint8_t kInterruptGate16 = 0x6;
inline constexpr uint8_t kTrapGate16 = 0x7;
inline constexpr uint8_t kTss32Available = 0x9;
inline constexpr uint8_t kTss32Busy = 0xB;
inline constexpr uint8_t kCallGate32 = 0xC;
inline constexpr uint8_t kInterruptGate32 = 0xE;
inline constexpr uint8_t kTrapGate32 = 0xF;
}  // namespace sys_type

// The two dwords of a descriptor, decoded on demand.
struct Descriptor {
  uint64_t raw = 0;

  uint32_t lo() const { return static_cast<uint32_t>(raw); }
  uint32_t hi() const { return static_cast<uint32_t>(raw >> 32); }

  // Segment descriptors: base 31:0 is split over three fields, limit 19:0 over two.
  uint32_t base() const { return (lo() >> 16) | ((hi() & 0xFFu) << 16) | (hi() & 0xFF000000u); }
  uint32_t raw_limit() const { return (lo() & 0xFFFFu) | (hi() & 0xF0000u); }
  bool g() const { return (hi() >> 23) & 1; }
  // The byte-granular limit: with G set the limit counts 4 KiB units and the low 12 bits
  // of every offset are not checked (SDM Vol. 3A, 3.4.5).
  uint32_t limit() const { return g() ? (raw_limit() << 12) | 0xFFFu : raw_limit(); }
  uint8_t type() const { return (hi() >> 8) & 0xF; }
  bool s() const { return (hi() >> 12) & 1; }
  uint8_t dpl() const { return (hi() >> 13) & 3; }
  bool present() const { return (hi() >> 15) & 1; }
  bool avl() const { return (hi() >> 20) & 1; }
  bool db() const { return (hi() >> 22) & 1; }
  bool accessed() const { return s() && (type() & 1); }

  bool is_code() const { return s() && (type() & 0x8); }
  bool is_data() const { return s() && !(type() & 0x8); }
  bool readable() const { return is_data() || (is_code() && (type() & 0x2)); }
  bool writable() const { return is_data() && (type() & 0x2); }
  bool conforming() const { return is_code() && (type() & 0x4); }

  // Gates: target selector, 32-bit offset split over both dwords, and the parameter count
  // a call gate copies to the inner stack (SDM Vol. 3A, figure 5-8).
  uint16_t gate_selector() const { return static_cast<uint16_t>(lo() >> 16); }
  uint32_t gate_offset() const { return (lo() & 0xFFFFu) | (hi() & 0xFFFF0000u); }
  uint8_t gate_param_count() const { return hi() & 0x1F; }

  // The hidden part of a segment register loaded from this descriptor. Loading a code or
  // data segment sets its accessed bit (in memory too), so the cached type has it.
  SegmentCache to_cache(uint16_t selector) const {
    SegmentCache c;
    c.selector = selector;
    c.base = base();
    c.limit = limit();
    c.type = static_cast<uint8_t>(s() ? type() | 1 : type());
    c.s = s();
    c.dpl = dpl();
    c.present = present();
    c.db = db();
    c.g = g();
    c.avl = avl();
    c.usable = true;
    return c;
  }
};

// The encoders, the inverse of Descriptor's fields, for the monitors that build their own
// tables (SDM Vol. 3A, 3.4.5; the system types of table 3-2). `raw_limit` is the 20-bit
// field, in 4 KiB units when `pages` (G) is set.
//
// A present code or data segment (S = 1) of type `type` (bit 0 accessed, bit 1 read/write,
// bit 2 conforming/expand-down, bit 3 code), at `dpl`; 32-bit (D/B set) unless `big` is
// false.
constexpr uint64_t encode_segment(uint32_t base, uint32_t raw_limit, uint8_t type, uint8_t dpl,
                                  bool pages, bool big = true) {
  uint64_t d = raw_limit & 0xFFFFu;
  d |= uint64_t{base & 0xFFFFFFu} << 16;
  d |= uint64_t{0x90u | ((dpl & 3u) << 5) | (type & 0xFu)} << 40;
  d |= uint64_t{(raw_limit >> 16) & 0xFu} << 48;
  d |= uint64_t{(pages ? 0x8u : 0u) | (big ? 0x4u : 0u)} << 52;
  d |= uint64_t{base >> 24} << 56;
  return d;
}
// A present, byte-granular system descriptor (S = 0) of `type` (sys_type), DPL 0: a TSS or
// an LDT.
constexpr uint64_t encode_system(uint32_t base, uint32_t raw_limit, uint8_t type) {
  uint64_t d = raw_limit & 0xFFFFu;
  d |= uint64_t{base & 0xFFFFFFu} << 16;
  d |= uint64_t{0x80u | (type & 0xFu)} << 40;
  d |= uint64_t{(raw_limit >> 16) & 0xFu} << 48;
  d |= uint64_t{base >> 24} << 56;
  return d;
}

// Selector fields (SDM Vol. 3A, 3.4.2). A null selector has index 0 and TI 0, whatever RPL.
inline bool is_null_selector(uint16_t sel) {
  return (sel & 0xFFFCu) == 0;
}
// A selector as an error code: index and TI, the low two bits left for IDT and EXT
// (SDM Vol. 3A, 6.13).
inline uint32_t selector_error(uint16_t sel) {
  return sel & 0xFFFCu;
}

// Whether [offset, offset + size) lies inside a segment, expand-up or expand-down
// (SDM Vol. 3A, 5.3).
inline bool segment_contains(const SegmentCache& sc, uint32_t offset, uint32_t size) {
  const uint32_t last = offset + (size - 1);
  if (last < offset) return false;
  if (sc.expand_down()) {
    const uint32_t upper = sc.db ? 0xFFFFFFFFu : 0xFFFFu;
    return offset > sc.limit && last <= upper;
  }
  return last <= sc.limit;
}

// A null data-segment register: the selector is kept (SLDT/MOV r,Sreg read it back) but
// every access through it raises #GP(0) (SDM Vol. 3A, 5.4.1).
inline SegmentCache null_segment(uint16_t selector) {
  SegmentCache c;
  c.selector = selector;
  c.base = 0;
  c.limit = 0;
  c.type = 0;
  c.dpl = 0;
  c.present = false;
  c.usable = false;
  return c;
}

}  // namespace vmlab::cpu
