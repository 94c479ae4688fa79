#include "engine/vmm/kit/deprivileged_segments.h"

#include <algorithm>
#include <cerrno>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/kit/quiet_hardware.h"

namespace vmlab::vmm {

namespace {

constexpr uint32_t kPageSize = 4096;

// A flat 32-bit segment at DPL `dpl`, limit up to the hole, 4 KiB granular.
uint64_t flat(uint8_t type, uint8_t dpl) {
  return cpu::encode_segment(0, DeprivilegedSegments::kHoleLimit >> 12, type, dpl, true);
}

}  // namespace

DeprivilegedSegments::DeprivilegedSegments(cpu::Cpu& cpu, MonitorFrames& frames)
    : cpu_(cpu), frames_(frames) {}

uint32_t DeprivilegedSegments::machine_addr(uint32_t hole_offset) const {
  const uint32_t page = hole_offset / kPageSize;
  uint32_t mfn;
  if (page < kGdtPages) {
    mfn = gdt_mfn_[page];
  } else if (const uint32_t l = page - (kLdtBase - kHoleBase) / kPageSize; l < kLdtPages) {
    mfn = ldt_mfn_[l];
  } else if (page == kGdtPages) {
    mfn = tss_mfn_;
  } else {
    mfn = idt_mfn_;
  }
  return mfn * kPageSize + hole_offset % kPageSize;
}

machine::Result<void> DeprivilegedSegments::init() {
  auto take = [&](uint32_t& mfn) {
    const auto f = frames_.alloc();
    if (!f) return false;
    mfn = *f;
    return true;
  };
  bool ok = take(hole_pt_mfn_) && take(tss_mfn_) && take(idt_mfn_);
  for (uint32_t& g : gdt_mfn_) ok = ok && take(g);
  if (!ok)
    return machine::Error{"the monitor's reserve is too small for its GDT, TSS and IDT", ENOMEM};
  // The hole's page table: GDT, TSS, IDT at the start of the hole, supervisor. The TSS
  // and IDT pages are writable; the GDT's are read-only, so that the processor's write of
  // an accessed bit faults into the monitor, which gives it to the guest's descriptor too
  // (accessed_write). The monitor itself writes them at their machine addresses.
  auto map = [&](uint32_t index, uint32_t mfn, uint32_t rights) {
    cpu_.phys_write32(hole_pt_mfn_ * kPageSize + index * 4, (mfn * kPageSize) | rights);
  };
  for (uint32_t i = 0; i < kGdtPages; ++i) map(i, gdt_mfn_[i], pte::P);
  map(kGdtPages, tss_mfn_, pte::P | pte::RW);
  map(kGdtPages + 1, idt_mfn_, pte::P | pte::RW);
  // The monitor's TSS: no ring-0 stack (the monitor is host code), the I/O map base past
  // the limit (no bitmap), SS1:ESP1 filled by sync_tss.
  cpu_.phys_write32(machine_addr(kTssBase - kHoleBase) + 102 - 2, uint32_t{kTssLimit + 1} << 16);
  write_desc(kMonitorTss >> 3, cpu::encode_system(kTssBase, kTssLimit, cpu::sys_type::kTss32Busy));
  write_desc(kBootCode >> 3, flat(0xB, 1));
  write_desc(kBootData >> 3, flat(0x3, 1));
  return {};
}

namespace {

constexpr uint64_t kAccessedBit = uint64_t{1} << 40;

// Whether a slot's change from `old` to `raw` is more than its accessed bit being set.
bool changed(uint64_t old, uint64_t raw) {
  return ((old ^ raw) & ~kAccessedBit) != 0 || (old & ~raw & kAccessedBit) != 0;
}

}  // namespace

void DeprivilegedSegments::write_desc(uint32_t index, uint64_t raw) {
  const uint32_t ma = machine_addr(index * 8);
  if (slot_listener_ != nullptr && index < first_monitor_slot_) {
    // Any change but the accessed bit's being set (a load marking it): what a segment
    // register loaded from the slot keeps natively is the old descriptor.
    const uint64_t old = uint64_t{cpu_.phys_read32(ma + 4)} << 32 | cpu_.phys_read32(ma);
    if (changed(old, raw)) {
      slot_listener_->descriptor_changing(static_cast<uint16_t>(index << 3), old);
    }
  }
  cpu_.phys_write32(ma, static_cast<uint32_t>(raw));
  cpu_.phys_write32(ma + 4, static_cast<uint32_t>(raw >> 32));
}

uint64_t DeprivilegedSegments::descriptor(uint16_t selector) const {
  if (selector & 4) {
    if ((selector >> 3) >= ldt_.entries) return 0;
    const uint32_t ma = machine_addr(kLdtBase - kHoleBase + (selector & 0xFFF8u));
    return uint64_t{cpu_.phys_read32(ma + 4)} << 32 | cpu_.phys_read32(ma);
  }
  const uint32_t ma = machine_addr(selector & 0xFFF8u);
  return uint64_t{cpu_.phys_read32(ma + 4)} << 32 | cpu_.phys_read32(ma);
}

void DeprivilegedSegments::enter_boot_state() {
  cpu::CpuState& s = cpu_.state();
  s.gdtr = {kGdtBase, 0xFFFF};
  s.idtr = {kIdtBase, 0x7FF};
  s.tr = cpu::Descriptor{descriptor(kMonitorTss)}.to_cache(kMonitorTss);
  s.tr.type = cpu::sys_type::kTss32Busy;
  s.ldtr = cpu::null_segment(0);
  s.ldtr.s = false;
  for (uint8_t r = 0; r < cpu::kNumSegRegs; ++r) {
    const uint16_t sel = r == cpu::CS ? kBootCode : kBootData;
    s.seg[r] = cpu::Descriptor{descriptor(sel)}.to_cache(static_cast<uint16_t>(sel | 1));
  }
  s.cpl = 1;
}

namespace {

// Replaces the limit and G bit of a segment descriptor (SDM Vol. 3A, 3.4.5: the limit is
// 20 bits, in bytes with G clear, in 4 KiB units with G set).
uint64_t with_limit(uint64_t raw, uint32_t raw_limit, bool g) {
  raw &= ~(uint64_t{0xFFFFu} | uint64_t{0xFu} << 48 | uint64_t{1} << 55);
  raw |= uint64_t{raw_limit & 0xFFFFu} | uint64_t{(raw_limit >> 16) & 0xFu} << 48;
  if (g) raw |= uint64_t{1} << 55;
  return raw;
}

// Whether the linear addresses [first, last] (64-bit: a segment's addresses past 4 GiB
// wrap to the bottom of the linear space, SDM Vol. 3A 3.4) touch the hole.
bool touches_hole(uint64_t first, uint64_t last) {
  constexpr uint64_t kWrap = uint64_t{1} << 32;
  constexpr uint64_t hole = DeprivilegedSegments::kHoleBase;
  if (first > last) return false;  // no valid offset at all
  return (first < kWrap && last >= hole) || last >= kWrap + hole;
}

}  // namespace

uint64_t DeprivilegedSegments::compress(uint64_t raw) {
  cpu::Descriptor d{raw};
  // System descriptors (TSS, LDT, call/task/interrupt gates) never reach the hardware:
  // the monitor emulates LTR and LLDT, owns the real IDT, and has the processor go
  // through a call gate only for the one transfer that names it (emulate_call_gate.cpp).
  if (!d.s()) return 0;
  if (d.dpl() == 0) raw = (raw & ~(uint64_t{3} << 45)) | (uint64_t{1} << 45);
  if (!d.present()) {
    // A not-present segment keeps its type and (compressed) DPL, so that the processor
    // makes the checks that come before the present bit and then raises #NP(selector)
    // (#SS for SS) as natively (SDM Vol. 2, MOV, JMP, CALL: "IF segment not present"),
    // not the #GP of an empty slot (issue 12). Its base and limit are never used: they
    // are emptied, so that nothing of a not-present descriptor can reach the hole when a
    // guest marks it present without rewriting it (that write is traced, and recompressed).
    constexpr uint64_t kTypeDpl = uint64_t{0x7F} << 40;  // S, DPL, type
    return raw & kTypeDpl;
  }
  const uint64_t base = d.base();
  if (d.is_data() && (d.type() & 0x4)) {
    // Expand-down: the valid offsets are (limit, upper], upper being 4 GiB - 1 with B set
    // and 64 KiB - 1 without (SDM Vol. 3A, 5.3). The top of that range is fixed, so a
    // segment that reaches the hole cannot be cut. It is loaded empty instead: the same
    // base, type, DPL and B with the largest limit, so that no offset is valid (the load
    // works as natively, with every check of the guest's descriptor) and every access
    // through it faults (#GP(0), #SS(0) for SS) into the monitor, which executes the
    // instruction with the guest's own limit (emulate_hole_access.cpp), as VMware's
    // monitor emulated what it could not run directly (Adams & Agesen 2006, section 4;
    // references/papers.md 1e). One that stays below the hole is the guest's, unchanged.
    const uint64_t upper = d.db() ? 0xFFFFFFFFu : 0xFFFFu;
    if (!touches_hole(base + d.limit() + 1, base + upper)) return raw;
    return d.db() ? with_limit(raw, 0xFFFFFu, true) : with_limit(raw, 0xFFFFu, false);
  }
  // Expand-up: the valid offsets are [0, limit]. Cut the limit so that base + limit stays
  // below the hole, exactly. A cut limit up to 1 MiB - 1 is written byte-granular (G
  // clear) and is exact. A larger one needs G, whose limits are 4 KiB multiples minus
  // one: it is rounded *down*, so the segment ends up to 4095 bytes short of the hole
  // (an access there is a #GP the guest would not get natively), and never one byte into
  // it. VMware's monitor truncated the guest's segments so that they cannot reach it
  // (Adams & Agesen 2006; references/papers.md 1e). Rounding up, as this code did before
  // issue 12, let a segment based at 0x800 reach 0x800 bytes into the monitor's GDT.
  if (base > kHoleLimit) {
    // Based in the hole: no offset of it can be copied. A data segment is loaded empty as
    // an expand-down one that reaches the hole is (above): expand-down with the largest
    // limit, its B kept, so that no offset is valid, the load makes every check of the
    // guest's descriptor and works as natively, and every access through it faults into
    // the monitor, which executes it with the guest's own descriptor
    // (emulate_hole_access.cpp). It was refused (#GP(selector) at the load where natively
    // the load works: random guest --rich seed 30025, a data segment based at 0xFC000000).
    // A code segment based there stays refused.
    if (!d.is_data()) return 0;
    raw |= uint64_t{0x4} << 40;  // expand-down
    return d.db() ? with_limit(raw, 0xFFFFFu, true) : with_limit(raw, 0xFFFFu, false);
  }
  if (base + d.limit() <= kHoleLimit) return raw;
  const uint32_t bytes = kHoleLimit - static_cast<uint32_t>(base);  // the exact cut
  if (bytes <= 0xFFFFFu) return with_limit(raw, bytes, false);
  return with_limit(raw, (bytes - 0xFFFu) >> 12, true);
}

void DeprivilegedSegments::copy_entry(GuestMemory& mem, const Table& t, uint32_t index) {
  uint64_t raw = 0;
  // The GDT's null descriptor is never used (the LDT's entry 0 is an ordinary one); an
  // entry the guest's tables do not map is copied as nothing (a load of it faults, where
  // the processor would take a #PF reading it).
  if ((t.ldt || index != 0) && !mem.read(t.base + index * 8, &raw, 8, false)) raw = 0;
  const uint64_t cut = compress(raw);
  remember_cut(static_cast<uint16_t>(index << 3 | (t.ldt ? 4u : 0u)), raw, cut);
  if (t.ldt) {
    write_ldt_desc(index, cut);
  } else {
    write_desc(index, cut);
  }
  if (slot_listener_ != nullptr) {
    slot_listener_->slot_copied(static_cast<uint16_t>(index << 3 | (t.ldt ? 4u : 0u)));
  }
}

void DeprivilegedSegments::remember_cut(uint16_t slot, uint64_t guest, uint64_t cut) {
  // (A segment based in the hole may keep its limit: loaded empty, its type differs.)
  if (cut == 0 || (cpu::Descriptor{cut}.limit() == cpu::Descriptor{guest}.limit() &&
                   cpu::Descriptor{cut}.type() == cpu::Descriptor{guest}.type())) {
    return;
  }
  constexpr uint64_t kA = uint64_t{1} << 40;
  for (CutCopy& c : cut_copies_) {
    if (c.slot == slot && c.shadow == (cut & ~kA)) {
      c.guest = guest;
      return;
    }
  }
  cut_copies_[next_cut_] = CutCopy{slot, cut & ~kA, guest};
  next_cut_ = (next_cut_ + 1) % cut_copies_.size();
}

std::optional<uint64_t> DeprivilegedSegments::guest_descriptor_loaded(
    const cpu::SegmentCache& seg) const {
  const auto now = guest_descriptor(seg.selector);
  auto loaded_from = [&](uint64_t shadow) {
    const cpu::SegmentCache c = cpu::Descriptor{shadow}.to_cache(seg.selector);
    return c.base == seg.base && c.limit == seg.limit && c.type == seg.type && c.s == seg.s &&
           c.db == seg.db && c.g == seg.g;
  };
  if (now && loaded_from(compress(*now))) return now;
  // The slot has changed since the register was loaded (the guest rewrote its descriptor,
  // as natively it may, or its table no longer holds the slot: a smaller LDT, random guest
  // --rich seed 30176): the guest's descriptor the register's cut copy came from.
  const auto slot = static_cast<uint16_t>(seg.selector & 0xFFFCu);
  for (const CutCopy& c : cut_copies_) {
    if (c.slot == (slot & 0xFFFCu) && c.shadow != 0 && loaded_from(c.shadow)) return c.guest;
  }
  return now;
}

std::optional<uint64_t> DeprivilegedSegments::guest_descriptor(uint16_t selector) const {
  const bool ldt = (selector & 4u) != 0;
  const Table& t = ldt ? ldt_ : gdt_;
  const uint32_t index = selector >> 3;
  if (!ldt && gdt_.entries == 0 && (selector & 0xFFF8u) == kBootCode) {
    return uint64_t{0x00CF9A000000FFFFu};  // before the first LGDT: Multiboot's flat code
  }
  if (!ldt && gdt_.entries == 0 && (selector & 0xFFF8u) == kBootData) {
    return uint64_t{0x00CF92000000FFFFu};  // and flat data (the boot state, enter_boot_state)
  }
  if (mem_ == nullptr || index >= t.entries || (!ldt && index == 0)) return std::nullopt;
  uint64_t raw = 0;
  if (!mem_->read(t.base + index * 8, &raw, 8, false)) return std::nullopt;
  return raw;
}

bool DeprivilegedSegments::empty_expand_down(uint64_t guest_raw) {
  const cpu::Descriptor d{guest_raw};
  return d.s() && d.present() && d.is_data() && (d.type() & 0x4) && compress(guest_raw) != 0 &&
         cpu::Descriptor{compress(guest_raw)}.limit() != d.limit();
}

void DeprivilegedSegments::write_slot(uint16_t selector, uint64_t raw) {
  if (selector & 4) {
    write_ldt_desc(selector >> 3, raw);
  } else {
    write_desc(selector >> 3, raw);
  }
}

std::optional<cpu::Descriptor> DeprivilegedSegments::guest_code_beyond_cut(
    uint16_t selector, uint32_t base, uint32_t cut_limit) const {
  if (cpu::is_null_selector(selector)) return std::nullopt;
  const auto guest = guest_descriptor(selector);
  if (!guest) return std::nullopt;
  const cpu::Descriptor g{*guest};
  if (!g.s() || !g.is_code() || !g.present() || g.base() != base || g.limit() <= cut_limit) {
    return std::nullopt;
  }
  return g;
}

std::optional<uint64_t> DeprivilegedSegments::uncut_code(uint16_t selector) {
  const uint64_t cut = descriptor(selector);
  const cpu::Descriptor c{cut};
  if (!c.s() || !c.is_code()) return std::nullopt;
  const auto g = guest_code_beyond_cut(selector, c.base(), c.limit());
  if (!g) return std::nullopt;
  write_slot(selector, with_limit(cut, g->raw_limit(), g->g()));
  return cut;
}

void DeprivilegedSegments::recut(uint16_t selector, uint64_t cut) {
  // The processor may have set the accessed bit (bit 40) meanwhile: it stays.
  constexpr uint64_t kAccessed = uint64_t{1} << 40;
  write_slot(selector, (cut & ~kAccessed) | (descriptor(selector) & kAccessed));
}

DeprivilegedSegments::UncutTarget::UncutTarget(DeprivilegedSegments& segments, cpu::CpuState& state,
                                               uint16_t selector)
    : segments_(segments),
      state_(state),
      selector_(selector),
      cut_(segments.uncut_code(selector)) {}

DeprivilegedSegments::UncutTarget::~UncutTarget() {
  if (!cut_) return;
  segments_.recut(selector_, *cut_);
  // The code segment the transfer loaded (from the guest's limit) gets the cut back: the
  // processor fetches nothing beyond it, and what lies there is executed by the monitor.
  cpu::SegmentCache& cs = state_.seg[cpu::CS];
  if ((cs.selector & 0xFFFCu) == (selector_ & 0xFFFCu)) {
    const cpu::Descriptor c{*cut_};
    cs.limit = c.limit();
    cs.g = c.g();
  }
}

bool DeprivilegedSegments::guest_slot(uint16_t selector) const {
  const uint32_t index = selector >> 3;
  if (selector & 4) return index < ldt_.entries;
  if (gdt_.entries == 0) {
    // Before the guest's first LGDT: the boot selectors Multiboot leaves (guest_descriptor).
    return (selector & 0xFFF8u) == kBootCode || (selector & 0xFFF8u) == kBootData;
  }
  return index != 0 && index < gdt_.entries;
}

uint64_t DeprivilegedSegments::compress_gate(uint64_t raw) {
  const cpu::Descriptor d{raw};
  if (d.dpl() != 0) return raw;
  return (raw & ~(uint64_t{3} << 45)) | (uint64_t{1} << 45);
}

DeprivilegedSegments::GateInSlot::GateInSlot(DeprivilegedSegments& segments, uint16_t selector,
                                             uint64_t gate)
    : segments_(segments), selector_(selector), before_(segments.descriptor(selector)) {
  if (segments_.guest_slot(selector_)) segments_.write_slot(selector_, gate);
}

DeprivilegedSegments::GateInSlot::~GateInSlot() {
  if (segments_.guest_slot(selector_)) segments_.write_slot(selector_, before_);
}

void DeprivilegedSegments::write_ldt_desc(uint32_t index, uint64_t raw) {
  const uint32_t ma = machine_addr(kLdtBase - kHoleBase + index * 8);
  if (slot_listener_ != nullptr) {
    const uint64_t old = uint64_t{cpu_.phys_read32(ma + 4)} << 32 | cpu_.phys_read32(ma);
    if (changed(old, raw)) {
      slot_listener_->descriptor_changing(static_cast<uint16_t>(index << 3 | 4), old);
    }
  }
  cpu_.phys_write32(ma, static_cast<uint32_t>(raw));
  cpu_.phys_write32(ma + 4, static_cast<uint32_t>(raw >> 32));
}

bool DeprivilegedSegments::rebuild(GuestMemory& mem, const VirtualCpu& vcpu, std::string& error) {
  const uint32_t entries =
      std::min<uint32_t>((uint32_t{vcpu.gdtr.limit} + 1) / 8, first_monitor_slot_);
  for (uint32_t i = 0; i < std::max(entries, gdt_.entries); ++i) {
    uint64_t raw = 0;
    if (i < entries && i != 0) {
      if (!mem.read(vcpu.gdtr.base + i * 8, &raw, 8, false)) {
        error = "the guest's GDT at " + std::to_string(vcpu.gdtr.base) +
                " is not mapped in the guest's page tables";
        return false;
      }
    }
    const uint64_t cut = compress(raw);
    if (i < entries) remember_cut(static_cast<uint16_t>(i << 3), raw, cut);
    write_desc(i, cut);
    if (slot_listener_ != nullptr && i < entries) {
      slot_listener_->slot_copied(static_cast<uint16_t>(i << 3));
    }
  }
  // The descriptors the processor caches are reread at the next segment load, as on
  // hardware; nothing cached from the old table changes now.
  gdt_.entries = entries;
  gdt_.base = vcpu.gdtr.base;
  if (shadow_) trace_frames();
  return true;
}

bool DeprivilegedSegments::load_ldt(uint16_t selector, uint64_t ldt, GuestMemory& mem,
                                    std::string& error) {
  if (hole_pt_mfn_ == 0) {
    error = "LLDT with no ring compression (the monitor's hole is not set up)";
    return false;
  }
  if (ldt_mfn_[0] == 0) {
    // All sixteen frames or none. The shadows share the reserve: when it is short they
    // are dropped (to be refilled on demand) and the frames taken again.
    auto take_all = [&] {
      uint32_t got[kLdtPages];
      for (uint32_t i = 0; i < kLdtPages; ++i) {
        const auto f = frames_.alloc();
        if (!f) {
          for (uint32_t j = 0; j < i; ++j) frames_.free(got[j]);
          return false;
        }
        got[i] = *f;
      }
      std::copy(got, got + kLdtPages, ldt_mfn_);
      return true;
    };
    if (!take_all() && !(shadow_ && (shadow_->flush_all(), take_all()))) {
      error = "the monitor's reserve holds no frames for the shadow LDT";
      return false;
    }
    for (uint32_t i = 0; i < kLdtPages; ++i) {
      // Supervisor, read-only like the shadow GDT: the processor's write of an accessed
      // bit faults into the monitor (accessed_write).
      cpu_.phys_write32(hole_pt_mfn_ * kPageSize + ((kLdtBase - kHoleBase) / kPageSize + i) * 4,
                        (ldt_mfn_[i] * kPageSize) | pte::P);
    }
    QuietHardware quiet(cpu_);
    cpu_.tlb_flush(true);
  }
  const cpu::Descriptor d{ldt};
  // Selectors reach 8192 descriptors: a larger limit reaches nothing more.
  const uint32_t limit = std::min<uint32_t>(d.limit(), kLdtPages * kPageSize - 1);
  const uint32_t entries = (limit + 1) / 8;
  const uint32_t old_entries = ldt_.entries;
  ldt_.base = d.base();
  ldt_.entries = entries;
  for (uint32_t i = 0; i < entries; ++i) copy_entry(mem, ldt_, i);
  for (uint32_t i = entries; i < old_entries; ++i) write_ldt_desc(i, 0);
  // The real LDTR: the guest's selector (SLDT returns it), the shadow's base, the guest's
  // byte limit, so that the processor's limit check is the guest's (SDM Vol. 3A, 3.5.1).
  cpu::SegmentCache& r = cpu_.state().ldtr;
  r = cpu::SegmentCache{};
  r.selector = selector;
  r.base = kLdtBase;
  r.limit = limit;
  r.type = cpu::sys_type::kLdt;
  r.s = false;
  r.present = true;
  r.usable = true;
  if (shadow_) trace_frames();
  return true;
}

void DeprivilegedSegments::clear_ldt(uint16_t selector) {
  for (uint32_t i = 0; i < ldt_.entries; ++i) write_ldt_desc(i, 0);
  ldt_.entries = 0;
  ldt_.base = 0;
  cpu_.state().ldtr = cpu::null_segment(selector);
  cpu_.state().ldtr.s = false;
  if (shadow_) trace_frames();
}

// --- Tracing the guest's GDT and LDT --------------------------------------------------------

void DeprivilegedSegments::attach(ShadowMmu& shadow, GuestMemory& mem, const VirtualCpu& vcpu) {
  shadow_ = &shadow;
  mem_ = &mem;
  vcpu_ = &vcpu;
  shadow.set_table_listener(this);
  trace_frames();
}

std::vector<uint32_t> DeprivilegedSegments::resolve_frames(const Table& t) const {
  std::vector<uint32_t> frames;
  if (t.entries == 0) return frames;
  // The processor reads descriptors through the linear address base + 8 * index with
  // supervisor rights (SDM Vol. 3A, 3.5.1); the walk sets no accessed bits.
  const uint32_t pages = ((t.base & 0xFFFu) + t.entries * 8 + 0xFFFu) / kPageSize;
  for (uint32_t k = 0; k < pages; ++k) {
    const uint32_t lin = (t.base & ~0xFFFu) + k * kPageSize;
    const GuestWalk w = mem_->walk(lin, cpu::Access::kRead, false, false);
    frames.push_back(w.ok ? w.gpa >> 12 : kNoFrame);
  }
  return frames;
}

void DeprivilegedSegments::trace_frames() {
  gdt_.frames = resolve_frames(gdt_);
  ldt_.frames = resolve_frames(ldt_);
  std::vector<uint32_t> traced;
  for (const Table* t : {&gdt_, &ldt_}) {
    for (const uint32_t f : t->frames) {
      if (f != kNoFrame) traced.push_back(f);
    }
  }
  shadow_->trace_tables(traced);
}

void DeprivilegedSegments::address_space_changed() {
  if (!shadow_) return;
  bool moved = false;
  for (Table* t : {&gdt_, &ldt_}) {
    if (t->entries == 0 || resolve_frames(*t) == t->frames) continue;
    // The table's linear pages now lie elsewhere: what the processor would read at the
    // next segment load is the new frames' contents, so the whole copy is refreshed.
    for (uint32_t i = 0; i < t->entries; ++i) copy_entry(*mem_, *t, i);
    moved = true;
  }
  if (moved) trace_frames();
}

void DeprivilegedSegments::table_written(uint32_t gpa, unsigned size) {
  if (!shadow_ || size == 0) return;
  table_written(gdt_, gpa, size);
  table_written(ldt_, gpa, size);
}

void DeprivilegedSegments::table_written(Table& t, uint32_t gpa, unsigned size) {
  const int64_t span = int64_t{t.entries} * 8;
  for (uint32_t k = 0; k < t.frames.size(); ++k) {
    if (t.frames[k] != gpa >> 12) continue;
    // The store's bytes as offsets into the guest's table (negative: before its base).
    const int64_t lo = int64_t{k} * kPageSize + (gpa & 0xFFFu) - (t.base & 0xFFFu);
    const int64_t hi = lo + size - 1;
    if (hi < 0 || lo >= span) continue;
    const uint32_t first = static_cast<uint32_t>(std::max<int64_t>(lo, 0) / 8);
    const uint32_t last = static_cast<uint32_t>(std::min<int64_t>(hi, span - 1) / 8);
    for (uint32_t i = first; i <= last; ++i) {
      if (marking_ && marking_->table == &t && marking_->index == i) continue;
      copy_entry(*mem_, t, i);
    }
  }
}

// --- The accessed bit ------------------------------------------------------------------------

std::optional<DeprivilegedSegments::ShadowSlot> DeprivilegedSegments::shadow_slot(
    uint32_t linear) const {
  if (linear >= kGdtBase && linear - kGdtBase < kGdtPages * kPageSize) {
    const uint32_t index = (linear - kGdtBase) / 8;
    if (index == 0 || index >= gdt_.entries) return std::nullopt;
    return ShadowSlot{&gdt_, index};
  }
  if (linear >= kLdtBase && linear - kLdtBase < kLdtPages * kPageSize) {
    const uint32_t index = (linear - kLdtBase) / 8;
    if (index >= ldt_.entries) return std::nullopt;
    return ShadowSlot{&ldt_, index};
  }
  return std::nullopt;
}

DeprivilegedSegments::AccessedMark DeprivilegedSegments::mark_slot(const Table& t, uint32_t index) {
  using Kind = AccessedMark::Kind;
  if (mem_ == nullptr) return {};
  // The type byte (byte 5): the processor writes it back with bit 0 set, a locked
  // supervisor write through the guest's page tables (a read-only page with the guest's
  // CR0.WP set is its #PF, as natively).
  const uint32_t lin = t.base + index * 8 + 5;
  uint8_t type = 0;
  GuestMemory::Fault f;
  if (!mem_->read(lin, &type, 1, false, &f)) return {Kind::kGuestFault, f.linear, f.error_code};
  if (!(type & 0x10)) return {};  // a system descriptor has no accessed bit
  if (!(type & 1)) {
    type |= 1;
    // The traced store leaves this slot alone (table_written): the shadow's copy may hold
    // the guest's limit for one transfer (UncutTarget) or a gate (GateInSlot) right now,
    // and the bit is all that changes.
    marking_ = MarkingSlot{&t, index};
    const bool wrote = mem_->write(lin, &type, 1, false, &f);
    marking_.reset();
    if (!wrote) return {Kind::kGuestFault, f.linear, f.error_code};
  }
  const uint32_t ma = machine_addr((t.ldt ? kLdtBase - kHoleBase : 0) + index * 8 + 5);
  cpu_.phys_write8(ma, static_cast<uint8_t>(cpu_.phys_read8(ma) | 1u));
  return {Kind::kMarked, 0, 0};
}

DeprivilegedSegments::AccessedMark DeprivilegedSegments::accessed_write(uint32_t linear,
                                                                        uint32_t error_code) {
  // Only the processor's implicit supervisor write to a present shadow page: the guest's
  // own accesses never reach the shadow (its segments are cut below the hole, and its user
  // accesses to the hole are U = 1).
  if ((error_code & (cpu::pferr::P | cpu::pferr::W | cpu::pferr::U)) !=
      (cpu::pferr::P | cpu::pferr::W)) {
    return {};
  }
  const auto slot = shadow_slot(linear);
  if (!slot) return {};
  return mark_slot(*slot->table, slot->index);
}

DeprivilegedSegments::AccessedMark DeprivilegedSegments::mark_accessed(uint16_t selector) {
  if (cpu::is_null_selector(selector) || !guest_slot(selector)) return {};
  if (descriptor(selector) & kAccessedBit) return {AccessedMark::Kind::kMarked, 0, 0};
  if (selector & 4) return mark_slot(ldt_, selector >> 3);
  if (gdt_.entries == 0) return {};  // the boot descriptors are accessed already
  return mark_slot(gdt_, selector >> 3);
}

std::optional<uint32_t> DeprivilegedSegments::guest_table_linear(uint32_t linear) const {
  const auto slot = shadow_slot(linear);
  if (!slot) return std::nullopt;
  return slot->table->base + slot->index * 8 + (linear & 7u);
}

void DeprivilegedSegments::machine_written(uint32_t ma) {
  const uint32_t mfn = ma / kPageSize;
  for (uint32_t i = 0; i < kGdtPages; ++i) {
    if (gdt_mfn_[i] != mfn) continue;
    if (const auto slot = shadow_slot(kGdtBase + i * kPageSize + ma % kPageSize)) {
      mark_slot(*slot->table, slot->index);
    }
    return;
  }
  for (uint32_t i = 0; i < kLdtPages && ldt_mfn_[0] != 0; ++i) {
    if (ldt_mfn_[i] != mfn) continue;
    if (const auto slot = shadow_slot(kLdtBase + i * kPageSize + ma % kPageSize)) {
      mark_slot(*slot->table, slot->index);
    }
    return;
  }
}

void DeprivilegedSegments::sync_tss(uint16_t guest_ss0, uint32_t guest_esp0) {
  const uint32_t ma = machine_addr(kTssBase - kHoleBase);
  cpu_.phys_write32(ma + 12, guest_esp0);                            // ESP1
  cpu_.phys_write32(ma + 16, VirtualCpu::real_selector(guest_ss0));  // SS1
}

}  // namespace vmlab::vmm
