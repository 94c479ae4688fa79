#include "modes/binary-translation/bt_monitor.h"

#include <capstone/capstone.h>

#include <cstdio>
#include <string>

#include "engine/cpu/decoder.h"
#include "engine/cpu/descriptor.h"

namespace vmlab::modes::bt {

using vmm::EventKind;
using vmm::PrivilegedEmulator;

namespace {

bool is_port_io(uint32_t opcode) {
  return (opcode >= 0xE4 && opcode <= 0xE7) || (opcode >= 0xEC && opcode <= 0xEF) ||
         (opcode >= 0x6C && opcode <= 0x6F);
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", v);
  return buf;
}

}  // namespace

BtMonitor::BtMonitor(vmm::Vm& vm, const vmm::P2m& p2m) : DeprivilegedMonitor(vm, p2m) {
  set_monitor_call_vector(layout::kCalloutVector);
}

machine::Result<void> BtMonitor::init() {
  if (auto ok = DeprivilegedMonitor::init(); !ok) return ok;
  emulator_->virtualize_sensitive_reads(true);  // as the in-TC sequences do
  cache_ = std::make_unique<TranslationCache>(cpu_, frames_);
  if (auto ok = cache_->init(segments_.hole_pt_mfn()); !ok) return ok;
  translator_ = std::make_unique<Translator>(*cache_, memory_, p2m_);
  translator_->set_guilty(&adaptive_.guilty());
  translator_->emit_permanent();
  // The TC's code segment (flat, so that TC addresses are linear ones) and the %gs data
  // segment, both ring 1, in the shadow GDT.
  const uint64_t code = cpu::encode_segment(0, 0xFFFFF, 0xB, 1, true);
  const uint64_t data = cpu::encode_segment(layout::kDataBase, layout::kDataLimit, 0x3, 1, false);
  segments_.install_monitor_descriptor(layout::kTcCode, code);
  segments_.install_monitor_descriptor(layout::kGsData, data);
  // The cache slot of the guest's %gs: empty until a rewrite of a loaded %gs needs it.
  segments_.install_monitor_descriptor(layout::kGsCache, 0);
  segments_.set_slot_listener(this);
  tc_cs_ = cpu::Descriptor{code}.to_cache(layout::kTcCode);
  gs_data_ = cpu::Descriptor{data}.to_cache(layout::kGsData);
  per_insn_cost_ = vm_.profile().figure("bt.translate_per_insn").value_or(0);
  in_tc_port_cost_ = vm_.profile().figure("bt.in_tc_port_read").value_or(0);
  in_tc_pte_cost_ = vm_.profile().figure("bt.in_tc_pte_write").value_or(0);
  arm_doorbell();
  return {};
}

void BtMonitor::start(uint32_t entry, uint32_t eax, uint32_t ebx) {
  // As under trap-and-emulate (engine/vmm/kit/deprivileged_start.h); then into the TC.
  DeprivilegedMonitor::start(entry, eax, ebx);
  // Again here: loading the kernel may have written RAM with the watch set, which ended it
  // before this monitor was the processor's.
  arm_doorbell();
  try {
    enter_tc();
  } catch (...) {
    cpu_.shutdown("bt: the guest's entry point could not be translated");
  }
}

// --- Guest terms and the TC ------------------------------------------------------------------

void BtMonitor::sync_out() {
  sync_selector_table();
  cache_->set_data32(gsdata::kVif, vcpu_.interrupts_enabled ? cpu::flags::IF : 0);
  cache_->set_data32(gsdata::kViopl, uint32_t{vcpu_.iopl} << cpu::flags::IOPL_SHIFT);
  cache_->set_data32(gsdata::kVcs, vmm::VirtualCpu::guest_selector(guest_cs_));
  cache_->set_data32(gsdata::kGdtr, vcpu_.gdtr.limit | (vcpu_.gdtr.base << 16));
  cache_->set_data32(gsdata::kGdtr + 4, vcpu_.gdtr.base >> 16);
  cache_->set_data32(gsdata::kIdtr, vcpu_.idtr.limit | (vcpu_.idtr.base << 16));
  cache_->set_data32(gsdata::kIdtr + 4, vcpu_.idtr.base >> 16);
  cache_->set_data32(gsdata::kCr0, vcpu_.cr0);
  cache_->set_data32(gsdata::kTr, vcpu_.tr);
  cache_->set_data32(gsdata::kLdtr, vcpu_.ldtr);
  cache_->set_data32(gsdata::kVss,
                     vmm::VirtualCpu::guest_selector(cpu_.state().seg[cpu::SS].selector));
  cache_->set_data32(gsdata::kStackHighSkip, cpu_.state().seg[cpu::SS].db ? 4 : 0);
}

void BtMonitor::collect_in_tc_events() {
  // The in-TC sequences count in the %gs data instead of entering the monitor; their
  // events are recorded here, at the next monitor entry (docs/modes/binary-translation.md).
  vmm::Recorder& rec = vm_.recorder();
  // Each count is one execution of an in-TC sequence, so none can exceed the instructions
  // retired since the last collection. A larger value means the counters were overwritten (a
  // guest that reached the monitor's memory, issue 12 item 1); trusting it, this loop
  // recorded billions of events inside one monitor entry and the host hung. Every loop of
  // the monitor is bounded: stop the run instead.
  const uint64_t icount = cpu_.instructions_retired();
  const uint64_t bound = icount - collected_icount_;
  collected_icount_ = icount;
  uint64_t total = uint64_t{cache_->data32(gsdata::kLookupHits)} + cache_->data32(gsdata::kIcHits);
  for (uint32_t k = 0; k < kCountedInTcKinds; ++k) {
    total += cache_->data32(gsdata::kInTcCounts + 4 * k);
  }
  if (total > bound) {
    cpu_.unsupported("bt: the translation cache's event counters hold " + std::to_string(total) +
                     " after " + std::to_string(bound) +
                     " instructions: the monitor's memory was overwritten");
  }
  if (const uint32_t hits = cache_->data32(gsdata::kLookupHits)) {
    cache_->set_data32(gsdata::kLookupHits, 0);
    lookup_hits_ += hits;
    for (uint32_t i = 0; i < hits; ++i) rec.record(EventKind::bt_lookup_hit, {0, 1, 0, 0});
  }
  if (const uint32_t hits = cache_->data32(gsdata::kIcHits)) {
    cache_->set_data32(gsdata::kIcHits, 0);
    lookup_hits_ += hits;
    inline_hits_ += hits;
    for (uint32_t i = 0; i < hits; ++i) rec.record(EventKind::bt_lookup_hit, {0, 1, 1, 0});
  }
  for (uint32_t k = 0; k < kCountedInTcKinds; ++k) {
    const uint32_t at = gsdata::kInTcCounts + 4 * k;
    if (const uint32_t n = cache_->data32(at)) {
      cache_->set_data32(at, 0);
      in_tc_[k] += n;
      for (uint32_t i = 0; i < n; ++i) rec.record(EventKind::bt_in_tc, {k, 1, 0, 0});
    }
  }
}

void BtMonitor::record_translation(uint32_t guest, const Translator::Attempt& r) {
  if (r.flushed) {
    ++flush_epoch_;
    vm_.recorder().record(EventKind::bt_flush, {r.flushed_count, 0, 0, 0});
  }
  if (r.status == Translator::Attempt::Status::kOk) {
    vm_.recorder().record(EventKind::bt_translate, {guest, r.insns, r.bytes_out, r.bytes_in},
                          per_insn_cost_ * r.insns);
  }
}

bool BtMonitor::guest_code_32bit() const {
  return cpu_.state().seg[cpu::CS].db;
}

std::optional<uint32_t> BtMonitor::tc_for(uint32_t guest, bool& fault) {
  fault = false;
  if (const auto tc = cache_->lookup(guest)) return tc;
  const Translator::Attempt r = translator_->translate(guest);
  record_translation(guest, r);
  switch (r.status) {
    case Translator::Attempt::Status::kOk: return r.tc;
    case Translator::Attempt::Status::kFault:
      // The guest would fault fetching this instruction: it gets the #PF, at this EIP.
      fault = true;
      vcpu_.cr2 = r.fault.linear;
      vm_.recorder().record(EventKind::true_fault, {r.fault.linear, r.fault.error_code, 0, 0});
      injector_.reflect_exception(cpu::vec::PF, true, r.fault.error_code);
      return std::nullopt;
    case Translator::Attempt::Status::kUndecodable: {
      // Bytes that are no instruction raise #UD on the hardware: the guest gets it, at this
      // EIP, as a native run would (the processor's own decoder says which encodings it
      // defines). A valid encoding Capstone cannot decode stops the run instead.
      uint8_t bytes[15] = {};
      uint32_t have = 0;
      while (have < sizeof bytes && memory_.read(guest + have, bytes + have, 1, false)) ++have;
      cpu::Insn insn;
      const bool defined =
          cpu::decode(bytes, have, guest_code_32bit(), insn) == cpu::DecodeStatus::kOk &&
          cpu::encoding_defined(insn);
      if (defined || have == 0) {
        cpu_.unsupported("bt: guest kernel bytes at " + hex(guest) +
                         " that Capstone cannot decode");
      }
      fault = true;
      injector_.reflect_exception(cpu::vec::UD, false, 0);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void BtMonitor::enter_tc() {
  cpu::CpuState& s = cpu_.state();
  if (cpu_.is_shut_down() || s.cpl != 1 || in_tc()) return;
  // The doorbell's watch is armed at every entry, so that nothing that reset the
  // processor's watches (a restored machine state) leaves an in-TC port read unanswered.
  arm_doorbell();
  guest_cs_ = s.seg[cpu::CS].selector;
  guest_cs_cache_ = s.seg[cpu::CS];
  const uint32_t guest = s.seg[cpu::CS].base + s.eip;
  bool fault = false;
  // A halted processor (the guest's HLT) fetches nothing until it wakes: the next
  // instruction is translated then, when the processor executes the re-entry trampoline,
  // so that its fetch faults (or an undefined opcode's #UD) come only if it wakes, as
  // natively (random guest seed 5145, issue 12). Already translated, it is entered as usual.
  // Guest kernel code in a 16-bit code segment (CS.D = 0) is not translated (the
  // translator decodes 32-bit code, and a fragment runs on linearly where IP wraps): it
  // waits at the trampoline too, whose callout interprets one instruction (interpret16.cpp).
  const bool defer = !guest_code_32bit() || (s.halted && !cache_->lookup(guest));
  const auto tc = defer ? std::nullopt : tc_for(guest, fault);
  // Translating the next instruction faulted, and the fault went to the guest: it is now
  // at its handler, which must be entered the same way. The guest kernel never runs
  // outside the TC, so it waits at the re-entry trampoline, one instruction that enters
  // the handler's translation (or faults again) when the processor executes it. Each round
  // is an instruction, so the budget bounds a guest that faults forever, and interrupts
  // come in between, as between a native processor's deliveries.
  uint32_t to = 0;
  if (fault || defer) {
    if (cpu_.is_shut_down() || s.cpl != 1) return;
    guest_cs_ = s.seg[cpu::CS].selector;
    guest_cs_cache_ = s.seg[cpu::CS];
    cache_->set_data32(gsdata::kReentry, s.seg[cpu::CS].base + s.eip);
    to = layout::kTcReenter;
  } else if (tc) {
    to = *tc;
  } else {
    return;
  }
  park_guest_gs();
  s.seg[cpu::GS] = gs_data_;
  s.seg[cpu::CS] = tc_cs_;
  s.eip = to;
  // The guest kernel runs with the real IOPL 0 (user code may have run with the guest's):
  // its CLI, STI and port I/O must reach the monitor, and its POPF must not move the real IF.
  // And with the real IF set, which the translated PUSHF takes for granted (it replaces
  // the real IF by the virtual one by subtracting 0x200): user code entered by a far RET
  // keeps the guest kernel's virtual IF as its real one, 0 in a handler, and an event from
  // there came back with it clear; PUSHF then showed 0xFFFFFE06 (random guest --rich
  // seed 30025). Not for a HLT with the guest's IF clear, whose real IF goes off so that
  // the machine stops (PrivilegedEmulator::halt): set, it idled for ever (seed 30033).
  const uint32_t flags = s.eflags & ~cpu::flags::IOPL;
  cpu_.set_eflags(s.halted ? flags : flags | cpu::flags::IF);
  sync_out();
}

void BtMonitor::sync_selector_table() {
  // The selector table of the guest kernel's segment loads (translate_segment.cpp): every
  // selector the guest's tables do not hold (a GDT one past its limit or at and above the
  // monitor's own slots: its TC code and %gs data, the kit's TSS; an LDT one past its LDT's
  // limit, or any with no LDT) is #GP(selector), with RPL 0, as natively; so is an RPL-1
  // selector of a guest descriptor with DPL 0 that is not a conforming code segment (SDM
  // Vol. 2, MOV: RPL > DPL is #GP(selector) for a data or non-conforming code segment,
  // before the present check; LAR, LSL, VERR and VERW clear ZF for it), which the
  // processor in ring 1 would load, its shadow being DPL 1 (random guest seed 22153). The
  // null selector and the guest's other selectors are 0. Rewritten when the guest's LGDT
  // or LLDT changed the number of slots the shadow copies; else the RPL-1 entries of the
  // slots copied since (slot_copied) are rechecked, since DPL 0 and DPL 1 compress alike.
  const uint32_t gdt = segments_.gdt_entries();
  const uint32_t ldt = segments_.ldt_entries();
  auto entry = [&](uint32_t sel) { return selector_refusal(static_cast<uint16_t>(sel)); };
  auto write_pair = [&](uint32_t sel) {  // sel even
    cache_->set_data32(gsdata::kSelectorTable + sel * 2, entry(sel) | entry(sel + 1) << 16);
  };
  if (gdt == table_gdt_entries_ && ldt == table_ldt_entries_) {
    for (const uint16_t slot : copied_slots_) write_pair(slot & 0xFFFCu);
    copied_slots_.clear();
    return;
  }
  table_gdt_entries_ = gdt;
  table_ldt_entries_ = ldt;
  copied_slots_.clear();
  for (uint32_t sel = 0; sel <= 0xFFFFu; sel += 2) write_pair(sel);
}

uint32_t BtMonitor::selector_refusal(uint16_t selector) const {
  if (cpu::is_null_selector(selector)) return 0;
  if (!segments_.guest_slot(selector)) return selector & 0xFFFCu;
  if ((selector & 3u) != 1) return 0;
  const auto raw = segments_.guest_descriptor(selector);
  if (!raw) return 0;
  const cpu::Descriptor d{*raw};
  return d.dpl() == 0 && !d.conforming() ? selector & 0xFFFCu : 0;
}

void BtMonitor::slot_copied(uint16_t selector) {
  // A table rewritten whole (more slots than it can hold) is rebuilt at the next sync.
  if (copied_slots_.size() < 0x4000) {
    copied_slots_.push_back(selector);
  } else {
    table_gdt_entries_ = ~0u;
  }
}

void BtMonitor::leave_to_guest(uint32_t guest) {
  cpu::CpuState& s = cpu_.state();
  // The segment caches as the guest loaded them, not its GDT's descriptors now (a guest
  // that rewrote the descriptor of its loaded CS or %gs keeps the old one, as natively).
  s.seg[cpu::CS] = guest_cs_cache_;
  s.eip = guest - s.seg[cpu::CS].base;
  const auto gs = static_cast<uint16_t>(cache_->data32(gsdata::kVgs));
  const auto load = static_cast<uint16_t>(cache_->data32(gsdata::kVgsLoad));
  if (cpu::is_null_selector(gs)) {
    s.seg[cpu::GS] = cpu::null_segment(gs);
  } else {
    s.seg[cpu::GS] = cpu::Descriptor{segments_.descriptor(load)}.to_cache(gs);
  }
  sync_in();
}

namespace {

constexpr uint64_t kAccessedBit = uint64_t{1} << 40;

// The descriptor a segment cache was loaded from (SDM Vol. 3A, 3.4.5), accessed.
uint64_t descriptor_of(const cpu::SegmentCache& c) {
  const uint32_t raw_limit = c.g ? c.limit >> 12 : c.limit;
  return uint64_t{raw_limit & 0xFFFFu} | uint64_t{c.base & 0xFFFFFFu} << 16 |
         uint64_t{c.type & 0xFu} << 40 | uint64_t{c.s} << 44 | uint64_t{c.dpl & 3u} << 45 |
         uint64_t{c.present} << 47 | uint64_t{(raw_limit >> 16) & 0xFu} << 48 |
         uint64_t{c.avl} << 52 | uint64_t{c.db} << 54 | uint64_t{c.g} << 55 |
         uint64_t{c.base >> 24} << 56 | uint64_t{1} << 40;
}

bool same_segment(const cpu::SegmentCache& a, const cpu::SegmentCache& b) {
  return a.base == b.base && a.limit == b.limit && a.type == b.type && a.s == b.s &&
         a.dpl == b.dpl && a.present == b.present && a.db == b.db && a.g == b.g && a.avl == b.avl;
}

}  // namespace

void BtMonitor::use_gs_cache(uint16_t selector, uint64_t descriptor) {
  segments_.install_monitor_descriptor(layout::kGsCache, descriptor);
  cache_->set_data32(gsdata::kVgsLoad, layout::kGsCache | (selector & 3u));
}

void BtMonitor::park_guest_gs() {
  const cpu::SegmentCache& gs = cpu_.state().seg[cpu::GS];
  cache_->set_data32(gsdata::kVgs, gs.selector);
  cache_->set_data32(gsdata::kVgsLoad, gs.selector);
  if (cpu::is_null_selector(gs.selector) || !gs.usable) return;
  // The slot may have changed since the processor loaded %gs (in user mode, or from the
  // cache slot on the last way out): then the cache slot holds what %gs holds. A slot whose
  // accessed bit is clear has changed too (the load set it; a load through the slot now
  // would set it again in the guest's table, which the guest's loaded %gs must not do).
  const uint64_t raw = segments_.descriptor(gs.selector);
  const cpu::SegmentCache now = cpu::Descriptor{raw}.to_cache(gs.selector);
  if (!same_segment(now, gs) || !(raw & kAccessedBit)) {
    use_gs_cache(gs.selector, descriptor_of(gs));
  }
}

void BtMonitor::descriptor_changing(uint16_t selector, uint64_t old_shadow) {
  // Only while the guest's %gs is virtual (the guest kernel in the TC); elsewhere the real
  // %gs keeps its cache, and park_guest_gs compares on the way in.
  if (!in_tc() || cpu_.state().seg[cpu::GS].selector != layout::kGsData) return;
  const auto load = static_cast<uint16_t>(cache_->data32(gsdata::kVgsLoad));
  if (cpu::is_null_selector(load) || (load & 0xFFFCu) != (selector & 0xFFFCu)) return;
  use_gs_cache(load, old_shadow | kAccessedBit);
}

void BtMonitor::sync_in() {
  // The virtual flags the in-TC CLI, STI and POPF changed (the %gs data is writable by the
  // translations only: the guest's cut segments do not reach it).
  vcpu_.interrupts_enabled = cache_->data32(gsdata::kVif) != 0;
  vcpu_.iopl = static_cast<uint8_t>((cache_->data32(gsdata::kViopl) & cpu::flags::IOPL) >>
                                    cpu::flags::IOPL_SHIFT);
}

void BtMonitor::leave_tc(uint32_t tc_eip) {
  if (tc_eip == layout::kTcReenter) {  // an event while waiting at the trampoline
    leave_to_guest(cache_->data32(gsdata::kReentry));
    return;
  }
  const TranslationCache::InsnRecord* r = cache_->record_at(tc_eip);
  if (!r) {
    cpu_.unsupported("bt: an event at TC address " + hex(tc_eip) +
                     " that belongs to no guest instruction");
  }
  if (tc_eip > r->tc && r->restore) {
    // A fault inside an in-TC sequence: the guest registers it borrowed come back, so
    // that the guest sees the state before its instruction.
    cpu::CpuState& s = cpu_.state();
    if (r->restore & kRestoreEax) s.gpr[cpu::EAX] = cache_->data32(gsdata::kSaveEax);
    if (r->restore & kRestoreEcx) s.gpr[cpu::ECX] = cache_->data32(gsdata::kSaveEcx);
    if (r->restore & kRestoreEdx) s.gpr[cpu::EDX] = cache_->data32(gsdata::kSaveEdx);
  }
  leave_to_guest(r->guest);
}

void BtMonitor::restart_sequence(uint32_t tc_eip) {
  // The monitor has just set an accessed bit in the guest's GDT or LDT, and that write may
  // have changed the bytes the load reads (a stack slot or far pointer the guest keeps in
  // its own table): the load restarts at its selector check, which reads them again, so
  // that no selector the check has not passed reaches a segment register (a load of DS
  // from such a slot could otherwise reload the monitor's own %gs data selector, 0xFFF1).
  const TranslationCache::InsnRecord* r = cache_->record_at(tc_eip);
  if (!r || tc_eip == r->tc) return;
  cpu::CpuState& s = cpu_.state();
  if (r->restore & kRestoreEax) s.gpr[cpu::EAX] = cache_->data32(gsdata::kSaveEax);
  if (r->restore & kRestoreEcx) s.gpr[cpu::ECX] = cache_->data32(gsdata::kSaveEcx);
  if (r->restore & kRestoreEdx) s.gpr[cpu::EDX] = cache_->data32(gsdata::kSaveEdx);
  s.seg[cpu::GS] = gs_data_;  // (the load may have been made with the guest's %gs)
  s.eip = r->tc;
}

std::optional<uint32_t> BtMonitor::translation_of(uint32_t guest) {
  if (const auto tc = cache_->lookup(guest)) return tc;
  const Translator::Attempt r = translator_->translate(guest);
  record_translation(guest, r);
  if (r.status != Translator::Attempt::Status::kOk) return std::nullopt;
  return r.tc;
}

// --- The dispatch ----------------------------------------------------------------------------

bool BtMonitor::on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                             uint32_t error_code) {
  const bool from_tc = in_tc();
  if (from_tc) sync_in();
  collect_in_tc_events();
  if (from_tc && source == cpu::EventSource::kSoftware && vector == layout::kCalloutVector) {
    callout();
  } else {
    record_trap(vector, has_error_code, error_code);
    switch (source) {
      case cpu::EventSource::kExternal:
        if (from_tc) leave_tc(cpu_.state().eip);
        injector_.deliver_or_queue_external(vector);
        break;
      case cpu::EventSource::kNmi:
        // The guest's virtual NMI, through its own gate 2 whatever its virtual IF says; the
        // processor blocks further NMIs until the guest's IRET (cpu.h, raise_nmi), which
        // the IRET callout emulates.
        if (from_tc) leave_tc(cpu_.state().eip);
        injector_.deliver(vector, vmm::GuestEventInjector::Kind::kExternal, false, 0);
        break;
      case cpu::EventSource::kSoftware:
      case cpu::EventSource::kInt3:
      case cpu::EventSource::kInto:
        // INT n from user mode (the guest kernel's are callouts): the guest's own gate.
        if (from_tc) leave_tc(cpu_.state().eip);

        injector_.deliver(vector, vmm::GuestEventInjector::Kind::kSoftware, false, 0);
        break;
      case cpu::EventSource::kException:
        exception(vector, has_error_code, error_code, from_tc);
        break;
    }
  }
  // On the way back: an interrupt that waited for the virtual IF, then the TC if the guest
  // is in its kernel.
  if (!in_tc()) inject_pending();
  enter_tc();
  if (in_tc()) sync_out();
  return true;
}

bool BtMonitor::interrupt_window_open() {
  const cpu::CpuState& s = cpu_.state();
  if (s.cpl == 3) return true;
  if (!in_tc()) return vcpu_.interrupts_enabled;
  if (cache_->data32(gsdata::kVif) == 0) return false;
  // Only where the guest state is exactly that before a guest instruction, and not in the
  // shadow of an STI.
  if (!cache_->precise(s.eip)) return false;
  const TranslationCache::InsnRecord* prev = cache_->record_at(s.eip - 1);
  return !(prev && prev->sti && prev->tc + prev->tc_len == s.eip);
}

void BtMonitor::exception(uint8_t vector, bool has_error_code, uint32_t error_code, bool from_tc) {
  if (vector == cpu::vec::PF) {
    page_fault(error_code, from_tc);
    return;
  }
  if (from_tc && emulates_on_fault(cpu_.state().eip)) {
    // A #GP or #SS of SGDT's or SIDT's checks (a segment limit): the guest instruction on
    // the scratch processor, which checks both parts in the processor's order; its #GP
    // when the guest's segment allows the access and only ring compression's cut refuses
    // it (the hole), then executed as natively.
    leave_tc(cpu_.state().eip);
    auto outcome = emulator_->emulate_write();
    if (outcome.verdict == PrivilegedEmulator::Verdict::kFault &&
        (outcome.vector == cpu::vec::GP || outcome.vector == cpu::vec::SS)) {
      const auto hole = emulator_->emulate_hole_access();
      if (hole.verdict != PrivilegedEmulator::Verdict::kNotEmulated) outcome = hole;
    }
    vmm::settle(outcome, vector, error_code, injector_);
    return;
  }
  if (from_tc) leave_tc(cpu_.state().eip);
  if (vector == cpu::vec::GP && cpu_.state().cpl == 1) {
    // An IDENT instruction the translator did not know to be privileged: emulated as
    // trap-and-emulate would.
    // Or an access that only the cut segments of ring compression refuse (a linear
    // address in the hypervisor hole), executed for the guest.
    vmm::settle(emulator_->or_hole_access(emulator_->emulate_privileged()), vector, error_code,
                injector_);
    return;
  }
  if (vector == cpu::vec::TS) {
    // User code's IRET with the guest's NT set reads the link of the monitor's TSS (null):
    // the guest's return from a nested task (PrivilegedEmulator::task_return_fault).
    vmm::settle(emulator_->task_return_fault(error_code), vector, error_code, injector_);
    return;
  }
  if (vector == cpu::vec::GP && cpu_.state().cpl == 3) {
    // Port I/O that the guest's IOPL or TSS I/O bitmap allows user mode (the real ones
    // forbid it), or an access to the hole.
    vmm::settle(emulator_->or_hole_access(emulator_->emulate_user_io()), vector, error_code,
                injector_);
    return;
  }
  if (vector == cpu::vec::SS) {
    // A stack access in the hole (ESP near 4 GiB) meets the cut SS limit.
    vmm::settle(emulator_->emulate_hole_access(), vector, error_code, injector_);
    return;
  }
  injector_.reflect_exception(vector, has_error_code, error_code);
}

bool BtMonitor::emulates_on_fault(uint32_t tc_eip) const {
  const TranslationCache::InsnRecord* r = cache_->record_at(tc_eip);
  return r && (r->restore & kEmulateOnFault);
}

bool BtMonitor::self_naming_load(uint32_t lin, uint32_t error_code, uint32_t tc_eip) {
  const TranslationCache::InsnRecord* r = cache_->record_at(tc_eip);
  if (!r || !(r->restore & kSelectorLoad) || tc_eip == r->tc) return false;
  if ((error_code & (cpu::pferr::P | cpu::pferr::W | cpu::pferr::U)) !=
      (cpu::pferr::P | cpu::pferr::W)) {
    return false;
  }
  const auto slot_byte = segments_.guest_table_linear(lin);
  if (!slot_byte) return false;
  // The type byte (5) of the descriptor being marked, where its accessed bit lies.
  const uint32_t type_byte = *slot_byte - (lin & 7u) + 5;
  const cpu::CpuState in_tc_state = cpu_.state();
  leave_tc(tc_eip);
  const auto span = emulator_->selector_operand_span();
  if (!span || type_byte - span->first >= span->second) {
    cpu_.state() = in_tc_state;  // not the operand's bytes: the usual mark and restart
    return false;
  }
  // The processor has read the selector (the one the check passed) and checked its
  // descriptor; setting the accessed bit changes the operand's bytes, which a restart
  // would read again (0xFEF1 becomes 0xFFF1, the monitor's %gs data, which the check
  // refuses). The guest's descriptor gets the bit (or the guest the #PF its own mapping
  // of the table gives natively); then the scratch processor makes the load from the
  // operand as it was, the bit cleared for that moment in the guest's memory only (the
  // shadow's copy keeps it, so that the scratch's load writes nothing), and the bit is
  // back before the guest runs again.
  using Kind = vmm::DeprivilegedSegments::AccessedMark::Kind;
  const auto mark = segments_.accessed_write(lin, error_code);
  if (mark.kind == Kind::kNotTable) {
    cpu_.unsupported("bt: an accessed-bit write at " + hex(lin) + " that marks no descriptor");
  }
  if (mark.kind == Kind::kGuestFault) {
    vcpu_.cr2 = mark.cr2;
    injector_.reflect_exception(cpu::vec::PF, true, mark.error_code);
    return true;
  }
  const vmm::GuestWalk w = memory_.walk(type_byte, cpu::Access::kRead, false, false);
  if (!w.ok) {  // (the mark has just written it)
    cpu_.unsupported("bt: the descriptor at " + hex(type_byte) + " is mapped no more");
  }
  const uint8_t marked = memory_.read_phys8(w.gpa);
  memory_.write_phys8(w.gpa, static_cast<uint8_t>(marked & ~1u));
  const auto outcome = emulator_->emulate_write();
  memory_.write_phys8(w.gpa, marked);
  // Never a selector the guest's tables do not hold (the check passed this one: the bytes
  // the scratch processor read are those it read). The slot is looked up with RPL 0: the
  // table also refuses RPL-1 selectors of DPL-0 segments (#GP at the guest's CPL 0), which
  // name the guest's own slots.
  for (const unsigned s : {cpu::DS, cpu::ES, cpu::FS, cpu::GS}) {
    const uint16_t sel = cpu_.state().seg[s].selector & 0xFFFCu;
    if ((cache_->data32(gsdata::kSelectorTable + uint32_t{sel} * 2) & 0xFFFFu) != 0) {
      cpu_.unsupported("bt: a segment load the monitor completed gave selector " + hex(sel) +
                       ", which the guest's tables do not hold");
    }
  }
  vmm::settle(outcome, cpu::vec::PF, error_code, injector_);
  return true;
}

void BtMonitor::page_fault(uint32_t error_code, bool from_tc) {
  const uint32_t lin = cpu_.state().cr2;
  const uint32_t tc_eip = cpu_.state().eip;
  if (from_tc && lin >= vmm::hole::kBase && self_naming_load(lin, error_code, tc_eip)) return;
  // A segment load's accessed bit (in the TC, or in user mode): kMarked restarts the
  // instruction where it is; in the TC, its sequence from the start (restart_sequence).
  if (accessed_bit_fault(lin, error_code, [&] {
        if (from_tc) leave_tc(tc_eip);
      })) {
    if (from_tc && in_tc()) restart_sequence(tc_eip);
    return;
  }
  if (lin >= vmm::hole::kBase) {
    // The hole is the monitor's in the real address space, the guest's in its own: an
    // access there the guest's segments and tables allow is executed for it (at the guest
    // instruction, out of the translation cache).
    if (from_tc) leave_tc(tc_eip);
    const auto hole = emulator_->emulate_hole_access();
    if (hole.verdict != PrivilegedEmulator::Verdict::kNotEmulated) {
      vmm::settle(hole, cpu::vec::PF, error_code, injector_);
      return;
    }
    const auto outcome = shadow_->page_fault(lin, error_code);
    vcpu_.cr2 = lin;
    injector_.reflect_exception(cpu::vec::PF, true, outcome.guest_error_code);
    return;
  }
  const auto outcome = shadow_->page_fault(lin, error_code);
  if (outcome.kind == vmm::ShadowMmu::FaultKind::kHidden) return;  // resume where it was
  const TranslationCache::InsnRecord* rec = from_tc ? cache_->record_at(tc_eip) : nullptr;
  if (from_tc) leave_tc(tc_eip);
  switch (outcome.kind) {
    case vmm::ShadowMmu::FaultKind::kHidden: return;
    case vmm::ShadowMmu::FaultKind::kTrue:
      if (rec && (rec->restore & kEmulateOnFault)) {
        // SGDT's or SIDT's checks (translate_system.cpp): the guest instruction on the
        // scratch processor gives native's fault (the first part that fails, an error
        // code that says "write"); the sequence had changed nothing yet.
        vmm::settle(emulator_->emulate_write(), cpu::vec::PF, error_code, injector_);
        return;
      }
      vcpu_.cr2 = lin;
      injector_.reflect_exception(cpu::vec::PF, true, outcome.guest_error_code);
      return;
    case vmm::ShadowMmu::FaultKind::kTrace:
    case vmm::ShadowMmu::FaultKind::kEmulateWrite:
    case vmm::ShadowMmu::FaultKind::kDevice: {
      const uint32_t guest = rec ? rec->guest : 0;
      const uint32_t fragment = rec ? rec->fragment : 0;
      const uint32_t next_record = rec ? static_cast<uint32_t>(rec - &cache_->record(0)) + 1 : 0;
      const auto result = emulator_->emulate_write();
      vmm::settle(result, cpu::vec::PF, error_code, injector_);
      if (!rec || result.verdict != PrivilegedEmulator::Verdict::kEmulated) return;
      if (outcome.kind == vmm::ShadowMmu::FaultKind::kTrace && adaptive_.on_trace_fault(guest)) {
        // Proven guilty: retranslated as a SIMULATE callout (the old fragment forwards);
        // the guest continues after the store from a fresh translation.
        vm_.recorder().record(EventKind::bt_adapt, {guest, 1, Adaptive::kGuiltyAfter, 0});
        retranslate(fragment);
        return;
      }
      if (outcome.kind == vmm::ShadowMmu::FaultKind::kTrace && rec->how == Translation::kIdent &&
          adaptive_.guilty().count(guest) && stale_ident(guest)) {
        // Guilty already, but this fragment was translated before: units start at branch
        // targets and end after 12 instructions, so one instruction can lie in several (in
        // Linux's xz decoder `mov dword [esp], 8` at 0x01FEE1A3 is in two), and an IDENT
        // copy left behind would trap for ever. Retranslated too, as the first one was.
        vm_.recorder().record(EventKind::bt_adapt, {guest, 1, Adaptive::kGuiltyAfter, 0});
        retranslate(fragment);
        return;
      }
      // Resume in the same fragment, after the store, when its translation is still there.
      const auto& f = cache_->fragment(fragment);
      const uint32_t resume_guest = cpu_.state().seg[cpu::CS].base + cpu_.state().eip;
      if (next_record < f.first_record + f.record_count) {
        const auto& next = cache_->record(next_record);
        if (next.guest == resume_guest && (f.live || next.tc >= f.tc_start + 5)) {
          cpu::CpuState& s = cpu_.state();
          park_guest_gs();
          s.seg[cpu::GS] = gs_data_;
          s.seg[cpu::CS] = tc_cs_;
          s.eip = next.tc;
        }
      }
      return;
    }
  }
}

std::optional<uint32_t> BtMonitor::refused_cs_selector(uint32_t offset) {
  const auto span = emulator_->selector_operand_span();
  if (!span) return std::nullopt;
  uint32_t sel = 0;
  for (uint32_t b = 0; b < 2; ++b) {
    const vmm::GuestWalk w =
        memory_.walk(span->first + offset + b, cpu::Access::kRead, false, false);
    if (!w.ok) return std::nullopt;
    // Outside the guest's RAM the machine's bus answers (all ones where nothing is).
    const uint32_t byte = vmm::is_device_address(memory_.p2m(), w.gpa)
                              ? vmm::device_read(vm_.machine(), w.gpa, 1) & 0xFFu
                              : memory_.read_phys8(w.gpa);
    sel |= byte << (8 * b);
  }
  const uint32_t error = cache_->data32(gsdata::kSelectorTable + sel * 2) & 0xFFFFu;
  if (error == 0) return std::nullopt;
  return error;
}

bool BtMonitor::stale_ident(uint32_t guest) {
  Translator::Attempt status;
  const std::vector<ClassifiedInsn> unit = translator_->decode_unit(guest, status);
  return status.status == Translator::Attempt::Status::kOk && !unit.empty() &&
         unit.front().family == ClassifiedInsn::Family::kAdaptive;
}

// --- Callouts --------------------------------------------------------------------------------

void BtMonitor::callout() {
  cpu::CpuState& s = cpu_.state();
  const TranslationCache::CalloutSite* found = cache_->callout_at(s.eip);
  if (!found) cpu_.unsupported("bt: a callout from TC address " + hex(s.eip) + " nobody emitted");
  const TranslationCache::CalloutSite site = *found;
  ++callouts_;
  // The trampoline's callout into 16-bit guest kernel code interprets one instruction there,
  // and is recorded as such by interpret16(), with the instruction's opcode.
  const bool interpret = site.kind == CalloutKind::kReenter && !guest_cs_cache_.db;
  if (!interpret) {
    vm_.recorder().record(EventKind::bt_callout,
                          {static_cast<uint32_t>(site.kind), site.detail, site.guest_eip, 0});
  }
  switch (site.kind) {
    case CalloutKind::kContinue: {
      // A continuation: translate the exit's target (the guest state is precise: every
      // register is the guest's), then patch the exit into a direct jump.
      const uint32_t epoch = flush_epoch_;
      leave_to_guest(site.guest_eip);
      enter_tc();
      if (in_tc() && epoch == flush_epoch_ && cache_->fragment(site.fragment).live &&
          site.exit < cache_->exits(site.fragment).size() &&
          cache_->lookup(site.guest_eip) == s.eip) {
        auto& exit = cache_->exits(site.fragment)[site.exit];
        cache_->patch_rel32(exit.patch_at, s.eip);
        exit.chained = true;
        vm_.recorder().record(EventKind::bt_chain, {exit.patch_at, site.guest_eip, s.eip, 0});
      }
      return;
    }
    case CalloutKind::kLookupMiss: {
      // The hash table learns the target as it is translated; the inline cache that missed
      // learns it too, if it has not predicted another target already (one entry, the first
      // target wins: deterministic, and right for the call sites and returns that always
      // go to the same place).
      const uint32_t target = cache_->data32(gsdata::kTarget);
      const uint32_t ic_at = cache_->data32(gsdata::kSource);
      const TranslationCache::InsnRecord* branch = cache_->record_at(ic_at);
      vm_.recorder().record(EventKind::bt_lookup_miss, {target, branch ? branch->guest : 0, 0, 0});
      if (!branch) {
        leave_to_guest(target);
        return;
      }
      const uint32_t fragment = branch->fragment;  // (translating may move the records)
      const uint32_t epoch = flush_epoch_;
      leave_to_guest(target);
      enter_tc();
      if (!in_tc() || epoch != flush_epoch_ || cache_->lookup(target) != s.eip) return;
      if (!cache_->fragment(fragment).live) return;
      for (auto& ic : cache_->inline_caches(fragment)) {
        if (ic.at == ic_at && !ic.filled) cache_->fill_inline_cache(ic, target, s.eip);
      }
      return;
    }
    case CalloutKind::kDeadEntry: leave_to_guest(site.guest_eip); return;
    case CalloutKind::kReenter:
      leave_to_guest(cache_->data32(gsdata::kReentry));
      if (interpret && !s.halted) interpret16();
      return;
    case CalloutKind::kEmulate: {
      leave_to_guest(site.guest_eip);
      // A port the guest reads or writes from translated code is a virtual device that the
      // monitor's model answers inside the callout, without the bus cycle a native IN pays
      // (Adams & Agesen 2006, Fig. 4: `in` 216 cycles under BT, 3209 native): the callout is
      // the whole cost (docs/modes/binary-translation.md, "Cost model").
      const bool port_io = is_port_io(site.detail);
      const cpu::ClassCosts costs = cpu_.class_costs();
      if (port_io) {
        cpu::ClassCosts no_bus = costs;
        no_bus[cpu::kCostPortIo] = 0;
        cpu_.set_class_costs(no_bus);
      }
      const auto outcome = emulator_->emulate_privileged();
      if (port_io) cpu_.set_class_costs(costs);
      if (outcome.verdict == PrivilegedEmulator::Verdict::kNotEmulated && far_transfer()) return;
      vmm::settle(outcome, cpu::vec::GP, 0, injector_);
      return;
    }
    case CalloutKind::kIret:
      leave_to_guest(site.guest_eip);
      iret_callout((site.detail & TranslationCache::kIret16) != 0);
      return;
    case CalloutKind::kInt: {
      leave_to_guest(site.guest_eip + site.guest_len);
      if ((site.detail & TranslationCache::kIntInto) && !(s.eflags & cpu::flags::OF)) return;
      // INT1 is delivered as the processor delivers a debug exception: no DPL check.
      const auto kind = (site.detail & TranslationCache::kIntIcebp)
                            ? vmm::GuestEventInjector::Kind::kException
                            : vmm::GuestEventInjector::Kind::kSoftware;
      injector_.deliver(static_cast<uint8_t>(site.detail), kind, false, 0);
      return;
    }
    case CalloutKind::kSimulateWrite: {
      leave_to_guest(site.guest_eip);
      const auto outcome = emulator_->emulate_write();
      const bool traced = emulator_->wrote_traced_frame();
      vmm::settle(outcome, cpu::vec::PF, 0, injector_);
      if (adaptive_.on_simulated(site.guest_eip, traced)) {
        vm_.recorder().record(EventKind::bt_adapt,
                              {site.guest_eip, 0, Adaptive::kInnocentAfter, 0});
        retranslate(site.fragment);
      }
      return;
    }
    case CalloutKind::kSimulate: {
      using Site = TranslationCache;
      // The kit executes the instruction with the guest's CS (and its other segments, its
      // page tables and the hole's rules), as it executes a guilty store; no adaptation.
      leave_to_guest(site.guest_eip);
      if (site.detail & Site::kSimulateLoad) {
        // A segment load: its selector checked first, as the TC's sequence checks it
        // (translate_segment.cpp), so that the kit's processor, which reads the shadow
        // GDT, never loads one of the monitor's descriptors.
        if (const auto error = refused_cs_selector(site.detail >> Site::kSimulateSelectorShift)) {
          injector_.reflect_exception(cpu::vec::GP, true, *error);
          return;
        }
      }
      std::array<uint16_t, cpu::kNumSegRegs> before{};
      for (unsigned r = 0; r < cpu::kNumSegRegs; ++r) before[r] = s.seg[r].selector;
      auto outcome = emulator_->emulate_write();
      if (site.detail & Site::kSimulateLoad) {
        // Never a selector the guest's tables do not hold, whatever the kit's own read of the
        // operand gave (a device register read again): as after self_naming_load. Only the
        // register the instruction loaded: another may keep a selector the guest's LLDT has
        // since put past its table, as natively (--richer seeds 32131 and 32179: FS 0x1F).
        for (const unsigned r : {cpu::DS, cpu::ES, cpu::FS, cpu::GS}) {
          const uint32_t sel = s.seg[r].selector;
          if (sel == before[r]) continue;
          if ((cache_->data32(gsdata::kSelectorTable + sel * 2) & 0xFFFFu) != 0) {
            cpu_.unsupported("bt: a segment load through CS the kit completed gave selector " +
                             hex(sel) + ", which the guest's tables do not hold");
          }
        }
      }
      // A #GP or #SS that only the cut segments of ring compression give (an operand in
      // the hypervisor hole, cs:[0xFC100000]): executed as natively, through the guest's
      // page tables, as a fault in the TC would be (exception()).
      if (outcome.verdict == PrivilegedEmulator::Verdict::kFault &&
          (outcome.vector == cpu::vec::GP || outcome.vector == cpu::vec::SS)) {
        const auto hole = emulator_->emulate_hole_access();
        if (hole.verdict != PrivilegedEmulator::Verdict::kNotEmulated) outcome = hole;
      }
      vmm::settle(outcome, cpu::vec::PF, 0, injector_);
      return;
    }
    case CalloutKind::kMonitorSelector: {
      // The guest kernel named one of the monitor's selectors (the TC's check left its
      // error code): natively past its GDT limit, so #GP(selector) for a load, and ZF
      // clear, with nothing else changed, for LAR, LSL, VERR and VERW (SDM Vol. 2).
      leave_to_guest(site.guest_eip);
      const uint32_t error = cache_->data32(gsdata::kSelectorFault) & 0xFFFCu;
      if (site.detail != 0) {
        s.eflags &= ~cpu::flags::ZF;
        s.eip += site.guest_len;
        return;
      }
      injector_.reflect_exception(cpu::vec::GP, true, error);
      return;
    }
    case CalloutKind::kInterpret16:  // (recorded for the trampoline's callout; no site has it)
    case CalloutKind::kUnsupported: {
      leave_to_guest(site.guest_eip);
      cpu_.unsupported("bt: the translator does not handle the guest kernel instruction at " +
                       hex(site.guest_eip) + " (opcode " + hex(site.detail) + ")");
    }
  }
}

void BtMonitor::iret_callout(bool o16) {
  cpu::CpuState& s = cpu_.state();
  // The guest's IRET ends its blocking by NMI, even one that faults (cpu.h).
  cpu_.nmi_unblocked_by_iret();
  if (s.eflags & cpu::flags::NT) {
    // A return from a nested task whatever the stack holds (SDM Vol. 2, IRET: "IF
    // EFLAGS.NT = 1 THEN GOTO TASK-RETURN"): the emulator's (its checks on the guest's TSS
    // link, then the switch back, emulate_guest_task_switch.cpp); the new task's CS:EIP is
    // outside the TC, entered afresh (enter_tc).
    vmm::settle(emulator_->emulate_privileged(), cpu::vec::GP, 0, injector_);
    return;
  }
  const uint32_t w = o16 ? 2 : 4;
  uint32_t frame_cs = 0;
  uint32_t frame_eflags = 0;
  // The three pops within the guest's own stack segment, else #SS(0) (SDM Vol. 2, IRET).
  if (!emulator_->guest_stack_holds(3, w)) {
    injector_.reflect_exception(cpu::vec::SS, true, 0);
    return;
  }
  const uint32_t sp = s.seg[cpu::SS].base + s.seg[cpu::SS].stack_top(s.gpr[cpu::ESP]);
  if (!memory_.read(sp + w, &frame_cs, 2, false) ||
      !memory_.read(sp + 2 * w, &frame_eflags, w, false)) {
    vmm::settle(emulator_->emulate_privileged(), cpu::vec::GP, 0, injector_);  // it reports the #PF
    return;
  }
  // The guest kernel is at CPL 0, where a 32-bit IRET whose EFLAGS image has VM set
  // returns to virtual-8086 mode whatever the CS image holds (SDM Vol. 2, IRET: the check
  // follows the task-return check and precedes every check of CS), which vmlab does not
  // model: the run stops as natively (engine/cpu/far_transfer.cpp). The processor in ring
  // 1 would ignore VM and return to the CS image (random guest seed 25, issue 12).
  if (!o16 && !(s.eflags & cpu::flags::NT) && (frame_eflags & cpu::flags::VM)) {
    cpu_.unsupported("IRET to virtual-8086 mode: V86 mode is not implemented");
  }
  if ((frame_cs & 3) == 0) {
    // Back into the guest kernel: the emulator restores the virtual IF.
    vmm::settle(emulator_->emulate_privileged(), cpu::vec::GP, 0, injector_);
    return;
  }
  if ((frame_cs & 3) != 3) {
    vmm::settle(emulator_->return_to_middle_ring(static_cast<uint16_t>(frame_cs)), cpu::vec::GP, 0,
                injector_);
    return;
  }
  if (!segments_.guest_slot(static_cast<uint16_t>(frame_cs))) {
    // A CS image past the guest's table (the TC's own code segment, RPL 1, lies there):
    // #GP(selector), as the guest's GDT limit gives natively.
    injector_.reflect_exception(cpu::vec::GP, true, frame_cs & 0xFFFCu);
    return;
  }
  // Back to user mode: the processor's own IRET, from ring 1 to ring 3, with every check
  // (and the guest's %gs, which becomes real again). It reads the frame through the
  // shadow page tables, so it can fault on a page the guest maps and the shadow does not
  // yet: that page fault is the monitor's own, filled like any hidden fault before the
  // IRET is tried again (it reads everything before it changes anything); only a true
  // fault reaches the guest, with the guest's CR2 and error code (issue 12, item 8). The
  // frame spans at most two pages, so two fills always suffice.
  // A return beyond the cut limit of the user code segment but within the guest's own:
  // the guest's limit for the transfer (as in far_transfer()).
  const cpu::Descriptor cut{segments_.descriptor(static_cast<uint16_t>(frame_cs))};
  uint32_t frame_eip = 0;
  const bool past_cut = memory_.read(sp, &frame_eip, w, false) && frame_eip > cut.limit();
  vmm::DeprivilegedSegments::UncutTarget target(segments_, s, static_cast<uint16_t>(frame_cs));
  if (target.widened() && past_cut) {
    vm_.recorder().record(EventKind::hole_access, {cut.base() + frame_eip, 0, 0, 0});
  }
  // A frame beyond the cut SS limit (the guest's ring-0 stack in the hole): the processor
  // pops the guest's own bytes.
  std::vector<uint8_t> hole_frame;
  const auto in_hole = emulator_->return_frame_beyond_cut(w, 0, true, hole_frame);
  if (in_hole.verdict == PrivilegedEmulator::Verdict::kFault) {
    vmm::settle(in_hole, cpu::vec::GP, 0, injector_);
    return;
  }
  for (int fills = 0;; ++fills) {
    try {
      vmm::ReturnFrame from(cpu_, hole_frame);
      cpu_.interrupt_return(o16);
      // IRET in ring 1 leaves IOPL alone (SDM Vol. 2, IRET); natively, at CPL 0, it loads
      // the frame's. User code runs with the guest's IOPL as its real one: it reads it back
      // with PUSHF, and IOPL 3 lets its CLI, STI, POPF and port I/O run as they do natively
      // (on the real IF, which is the guest's in user mode, and the machine's ports, which
      // are the guest's devices).
      // IF likewise: the processor in ring 1 with IOPL 0 leaves it (set, as in the TC),
      // where natively the frame's is loaded; user code runs with it as its real IF
      // (random guest --rich seed 30011: an IRET to ring 3 with IF clear left it set, and
      // the trap gate of user code's #GP gave the kernel IF set).
      vcpu_.iopl =
          static_cast<uint8_t>((frame_eflags & cpu::flags::IOPL) >> cpu::flags::IOPL_SHIFT);
      constexpr uint32_t kLoaded = cpu::flags::IOPL | cpu::flags::IF;
      cpu_.set_eflags((s.eflags & ~kLoaded) | (frame_eflags & kLoaded));
      vm_.recorder().record(EventKind::emulated_insn, {0xCF, 0, s.seg[cpu::CS].base + s.eip, 0});
      return;
    } catch (const cpu::CpuFault& f) {
      if (f.vector != cpu::vec::PF) {
        injector_.reflect_exception(f.vector, f.has_error_code, f.error_code);
        return;
      }
      const uint32_t lin = s.cr2;  // the real CR2: the processor's fault, not the guest's
      // The accessed bit of the CS or SS it loads (DeprivilegedSegments::accessed_write):
      // given to the guest's descriptor, and the IRET made again.
      if (lin >= vmm::hole::kBase && fills < 4) {
        const auto mark = segments_.accessed_write(lin, f.error_code);
        using Kind = vmm::DeprivilegedSegments::AccessedMark::Kind;
        if (mark.kind == Kind::kMarked) continue;
        if (mark.kind == Kind::kGuestFault) {
          vcpu_.cr2 = mark.cr2;
          injector_.reflect_exception(cpu::vec::PF, true, mark.error_code);
          return;
        }
      }
      const auto outcome = shadow_->page_fault(lin, f.error_code);
      if (outcome.kind == vmm::ShadowMmu::FaultKind::kTrue) {
        vcpu_.cr2 = lin;
        injector_.reflect_exception(cpu::vec::PF, true, outcome.guest_error_code);
        return;
      }
      if (outcome.kind != vmm::ShadowMmu::FaultKind::kHidden || fills >= 2) {
        // An IRET to an outer level writes nothing, so a write-tracking outcome cannot
        // come from it; stop rather than loop.
        cpu_.unsupported("bt: the IRET callout keeps faulting at " + hex(lin));
      }
    }
  }
}

bool BtMonitor::far_transfer() {
  // Far JMP and CALL work in ring 1 as they are (RPL 0 <= CPL 1, the compressed DPL is 1),
  // so the processor performs them, with every check; only CS changes under the TC. So
  // does a far RET to an outer ring (to user code, after a call gate brought it in: the
  // RET to the guest kernel itself, RPL 0, is the emulator's).
  PrivilegedEmulator::Outcome fault;
  const auto insn = emulator_->fetch(fault);
  if (!insn ||
      (insn->id != X86_INS_LJMP && insn->id != X86_INS_LCALL && insn->id != X86_INS_RETF)) {
    return false;
  }
  cpu::CpuState& s = cpu_.state();
  const uint32_t at = s.eip;
  if (insn->id == X86_INS_RETF) {
    const unsigned w = insn->o16 ? 2 : 4;
    const uint32_t release =
        insn->op_count > 0 && insn->ops[0].kind == vmm::GuestOperand::Kind::kImm
            ? insn->ops[0].imm & 0xFFFFu
            : 0;
    // The two pops within the guest's own stack segment, else #SS(0) (SDM Vol. 2, RET).
    if (!emulator_->guest_stack_holds(2, w)) {
      injector_.reflect_exception(cpu::vec::SS, true, 0);
      return true;
    }
    uint32_t frame_eip = 0;
    uint16_t frame_cs = 0;
    const uint32_t sp = s.seg[cpu::SS].base + s.seg[cpu::SS].stack_top(s.gpr[cpu::ESP]);
    if (!memory_.read(sp, &frame_eip, w, false) || !memory_.read(sp + w, &frame_cs, 2, false)) {
      return false;  // the emulator reported the #PF already (far_return)
    }
    if ((frame_cs & 3) == 0) return false;
    if ((frame_cs & 3) != 3) {
      vmm::settle(emulator_->return_to_middle_ring(frame_cs), cpu::vec::GP, 0, injector_);
      return true;
    }
    if (!segments_.guest_slot(frame_cs)) {
      // Past the guest's table (the TC's own code segment is there): #GP, as natively.
      injector_.reflect_exception(cpu::vec::GP, true, frame_cs & 0xFFFCu);
      return true;
    }
    vm_.recorder().record(EventKind::emulated_insn,
                          {insn->opcode, insn->modrm_reg, s.seg[cpu::CS].base + at, 0});
    // A return beyond the cut limit of the user code segment but within the guest's own.
    const cpu::Descriptor cut{segments_.descriptor(frame_cs)};
    vmm::DeprivilegedSegments::UncutTarget target(segments_, s, frame_cs);
    if (target.widened() && frame_eip > cut.limit()) {
      vm_.recorder().record(EventKind::hole_access, {cut.base() + frame_eip, 0, 0, 0});
    }
    // A frame beyond the cut SS limit (the guest's ring-0 stack in the hole): the
    // processor pops the guest's own bytes.
    std::vector<uint8_t> hole_frame;
    const auto in_hole = emulator_->return_frame_beyond_cut(w, release, false, hole_frame);
    if (in_hole.verdict == PrivilegedEmulator::Verdict::kFault) {
      vmm::settle(in_hole, cpu::vec::GP, 0, injector_);
      return true;
    }
    const auto outcome = emulator_->transfer_on_processor([&](cpu::Cpu& cpu) {
      vmm::ReturnFrame from(cpu, hole_frame);
      cpu.far_return(static_cast<uint16_t>(release), insn->o16);
    });
    if (outcome.verdict == PrivilegedEmulator::Verdict::kEmulated && s.cpl == 3) {
      // RET leaves EFLAGS alone: user code gets the guest kernel's (virtual) IF and the
      // guest's IOPL as its real ones, as after the IRET callout.
      uint32_t fl = s.eflags & ~(cpu::flags::IF | cpu::flags::IOPL);
      if (vcpu_.interrupts_enabled) fl |= cpu::flags::IF;
      cpu_.set_eflags(fl | uint32_t{vcpu_.iopl} << cpu::flags::IOPL_SHIFT);
    }
    vmm::settle(outcome, cpu::vec::GP, 0, injector_);
    return true;
  }
  uint16_t sel = 0;
  uint32_t off = 0;
  if (insn->ops[0].kind == vmm::GuestOperand::Kind::kImm) {
    sel = static_cast<uint16_t>(insn->ops[0].imm);
    off = insn->ops[1].imm;
  } else {
    const vmm::GuestOperand& m = insn->ops[0];
    uint32_t ea = m.disp;
    if (m.base >= 0) ea += s.gpr[m.base];
    if (m.index >= 0) ea += s.gpr[m.index] * m.scale;
    uint8_t ptr[6] = {};
    vmm::GuestMemory::Fault f;
    if (!memory_.read(s.seg[m.seg].base + ea, ptr, insn->o16 ? 4 : 6, false, &f)) {
      vcpu_.cr2 = f.linear;
      injector_.reflect_exception(cpu::vec::PF, true, f.error_code);
      return true;
    }
    off = insn->o16 ? uint32_t{ptr[0]} | uint32_t{ptr[1]} << 8
                    : uint32_t{ptr[0]} | uint32_t{ptr[1]} << 8 | uint32_t{ptr[2]} << 16 |
                          uint32_t{ptr[3]} << 24;
    sel = static_cast<uint16_t>(insn->o16 ? ptr[2] | ptr[3] << 8 : ptr[4] | ptr[5] << 8);
  }
  if (!cpu::is_null_selector(sel) && !segments_.guest_slot(sel)) {
    // Past the guest's table: the shadow's slot there is empty or the monitor's own (the
    // TC's code segment, DPL 1 like the guest kernel's): #GP(selector), as natively.
    injector_.reflect_exception(cpu::vec::GP, true, sel & 0xFFFCu);
    return true;
  }
  vm_.recorder().record(EventKind::emulated_insn,
                        {insn->opcode, insn->modrm_reg, s.seg[cpu::CS].base + at, 0});
  if (insn->o16) off &= 0xFFFFu;
  // A target beyond the cut limit of its code segment but within the guest's own (in the
  // hypervisor hole, or the gap below it): the slot holds the guest's limit for the
  // transfer, the new CS keeps the cut (the guest kernel's code runs in the TC anyway, its
  // instructions there read through the guest's page tables), a hole_access event
  // (engine/vmm/kit/emulate_far_transfer.cpp).
  const cpu::Descriptor cut{segments_.descriptor(sel)};
  vmm::DeprivilegedSegments::UncutTarget target(segments_, s, sel);
  if (target.widened() && off > cut.limit()) {
    vm_.recorder().record(EventKind::hole_access, {cut.base() + off, 0, 0, 0});
  }
  // The processor's own transfer (PrivilegedEmulator::transfer_on_processor): a page the
  // guest maps and the shadow does not yet is the monitor's own fault, filled before the
  // transfer is tried again; a push onto a page the monitor traces is an emulated store
  // (until issue 12 it stopped the run); only a true fault reaches the guest.
  const uint8_t cpl = s.cpl;
  const bool call = insn->id == X86_INS_LCALL;
  // A CALL whose pushes lie beyond the cut SS limit (the guest kernel's stack in the
  // hole) pushes onto the guest's own pages instead (far_call_onto_hole_stack).
  const auto onto_hole = call ? emulator_->far_call_onto_hole_stack(*insn, sel, off)
                              : std::optional<PrivilegedEmulator::Outcome>{};
  const auto outcome =
      onto_hole ? *onto_hole : emulator_->transfer_on_processor([&](cpu::Cpu& cpu) {
        cpu.state().eip = at + insn->length;
        if (call) {
          cpu.far_call(sel, off, insn->o16);
        } else {
          cpu.far_jump(sel, off, insn->o16);
        }
      });
  if (outcome.verdict == PrivilegedEmulator::Verdict::kEmulated && call && s.cpl == cpl) {
    // The return address holds the real CS, RPL 1; the guest kernel pushed its own, RPL
    // 0 (and a RET far to RPL 1 would not be its return).
    const uint32_t at_cs =
        s.seg[cpu::SS].base + s.seg[cpu::SS].stack_top(s.gpr[cpu::ESP]) + (insn->o16 ? 2 : 4);
    uint16_t image = 0;
    if (memory_.read(at_cs, &image, 2, false)) {
      image = vmm::VirtualCpu::guest_selector(image);
      memory_.write(at_cs, &image, 2, false);
    }
  }
  vmm::settle(outcome, cpu::vec::GP, 0, injector_);
  return true;
}

// --- Self-modifying code and adaptation ------------------------------------------------------

std::vector<uint8_t> BtMonitor::dead_entry(uint32_t at, uint32_t guest) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment(asmjit::Arch::kX86));
  asmjit::x86::Assembler a(&code);
  a.int_(asmjit::Imm(layout::kCalloutVector));
  std::vector<uint8_t> bytes(code.codeSize());
  code.copyFlattenedData(bytes.data(), bytes.size());
  TranslationCache::CalloutSite site;
  site.kind = CalloutKind::kDeadEntry;
  site.guest_eip = guest;
  cache_->add_callout(at + static_cast<uint32_t>(bytes.size()), site);
  return bytes;
}

void BtMonitor::on_code_page_write(uint32_t page) {
  if (page == cache_->data_physical(gsdata::kDoorbell) / 4096) {
    doorbell();
    return;
  }
  if (!p2m_.guest_frame(page)) return;  // the TC itself, or the monitor's data
  const std::vector<uint32_t> stale = cache_->fragments_on_page(page);
  if (stale.empty()) return;
  // The store is being executed; EIP already holds the next TC address. If that lies in
  // a fragment going stale, the rest of it must not run: the guest leaves the TC at the
  // next precise point (at_event_check), so that the very next guest instruction, even one
  // in this unit, is translated again from the bytes as they are now.
  const uint32_t eip = cpu_.state().eip;
  for (const uint32_t f : stale) {
    const auto& frag = cache_->fragment(f);
    if (in_tc() && eip >= frag.tc_start && eip <= frag.tc_end) smc_exit_ = true;
    cache_->retire(f, dead_entry(frag.tc_start, frag.guest_eip));
  }
  vm_.recorder().record(EventKind::bt_invalidate, {*p2m_.guest_frame(page) * 4096,
                                                   static_cast<uint32_t>(stale.size()), 0, 0});
}

uint32_t BtMonitor::guest_eip(uint32_t eip) const {
  if (!in_tc()) return eip;
  uint32_t linear = 0;
  if (eip == layout::kTcReenter) {
    linear = cache_->data32(gsdata::kReentry);
  } else if (const TranslationCache::InsnRecord* r = cache_->record_at(eip)) {
    linear = r->guest;
  } else {
    return eip;
  }
  return linear - guest_cs_cache_.base;
}

void BtMonitor::at_event_check() {
  if (!smc_exit_) return;
  if (!in_tc()) {
    smc_exit_ = false;
    return;
  }
  const uint32_t eip = cpu_.state().eip;
  if (!cache_->precise(eip)) {
    cpu_.look_again_after_one_instruction();  // inside an in-TC sequence: one more
    return;
  }
  smc_exit_ = false;
  collect_in_tc_events();
  leave_tc(eip);
  enter_tc();
  if (in_tc()) sync_out();
}

void BtMonitor::retranslate(uint32_t fragment) {
  const auto& old = cache_->fragment(fragment);
  if (!old.live) return;
  const uint32_t guest = old.guest_eip;
  const uint32_t old_tc = old.tc_start;
  cache_->retire(fragment, dead_entry(old_tc, guest), TranslationCache::DropReason::kReplaced);
  const uint32_t epoch = flush_epoch_;
  const Translator::Attempt r = translator_->translate(guest);
  record_translation(guest, r);
  if (r.status != Translator::Attempt::Status::kOk || epoch != flush_epoch_) return;
  // The old fragment's entry becomes a forwarding jump: chained jumps into it still work,
  // and adaptation takes constant time.
  asmjit::CodeHolder code;
  code.init(asmjit::Environment(asmjit::Arch::kX86));
  asmjit::x86::Assembler a(&code);
  a.jmp(asmjit::Imm(r.tc));
  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(old_tc);
  std::vector<uint8_t> bytes(code.codeSize());
  code.copyFlattenedData(bytes.data(), bytes.size());
  cache_->write(old_tc, bytes.data(), bytes.size());
}

}  // namespace vmlab::modes::bt
