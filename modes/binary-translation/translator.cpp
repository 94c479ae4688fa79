#include "modes/binary-translation/translator.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "engine/cpu/decoder.h"

namespace vmlab::modes::bt {

namespace x86 = asmjit::x86;

const char* translation_name(Translation t) {
  switch (t) {
    case Translation::kIdent: return "IDENT";
    case Translation::kRemapped: return "remapped";
    case Translation::kInTc: return "in-TC";
    case Translation::kCallout: return "callout";
  }
  return "?";
}

const char* callout_name(CalloutKind k) {
  switch (k) {
    case CalloutKind::kContinue: return "continue";
    case CalloutKind::kLookupMiss: return "lookup_miss";
    case CalloutKind::kDeadEntry: return "dead_entry";
    case CalloutKind::kEmulate: return "emulate";
    case CalloutKind::kIret: return "iret";
    case CalloutKind::kInt: return "int";
    case CalloutKind::kSimulateWrite: return "simulate_write";
    case CalloutKind::kUnsupported: return "unsupported";
    case CalloutKind::kReenter: return "reenter";
    case CalloutKind::kMonitorSelector: return "monitor_selector";
    case CalloutKind::kSimulate: return "simulate";
    case CalloutKind::kInterpret16: return "interpret16";
  }
  return "?";
}

const char* in_tc_name(InTcKind k) {
  static const char* const kNames[] = {
      "cli",      "sti",         "pushf",       "popf",    "mov_from_cs", "push_cs",
      "sgdt",     "sidt",        "smsw",        "str",     "sldt",        "load_gs",
      "store_gs", "mov_from_ss", "gs_override", "in_port", "pte_write",   "table_write"};
  const auto i = static_cast<unsigned>(k);
  return i < static_cast<unsigned>(InTcKind::kCount) ? kNames[i] : "?";
}

uint16_t guest_opcode(const ClassifiedInsn& insn) {
  for (unsigned i = 0; i < insn.length; ++i) {
    const uint8_t b = insn.bytes[i];
    const bool prefix = b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 ||
                        b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
    if (prefix) continue;
    if (b == 0x0F && i + 1 < insn.length) return static_cast<uint16_t>(0x100 | insn.bytes[i + 1]);
    return b;
  }
  return 0;
}

// --- FragmentEmitter -----------------------------------------------------------------------

FragmentEmitter::FragmentEmitter(TranslationCache& tc, asmjit::CodeHolder& code,
                                 FragmentBuffers& buffers, uint32_t base, uint32_t lookup_routine)
    : tc_(tc), base_(base), lookup_(lookup_routine), code_(code), buf_(buffers) {
  buf_.clear();
  code_.reset(asmjit::ResetPolicy::kSoft);
  code_.init(asmjit::Environment(asmjit::Arch::kX86));
  code_.attach(&as_);
}

FragmentEmitter::~FragmentEmitter() {
  code_.detach(&as_);
}

x86::Mem FragmentEmitter::gs(uint32_t offset, uint32_t size) {
  x86::Mem m = x86::ptr_abs(offset, size);
  m.setSegment(x86::gs);
  return m;
}

void FragmentEmitter::guest_gs_begin() {
  as_.mov(x86::gs, gs(gsdata::kVgsLoad, 2));
}

void FragmentEmitter::guest_gs_end() {
  x86::Mem selector = x86::ptr_abs(layout::kTcGsSelector, 2);
  selector.setSegment(x86::cs);
  as_.mov(x86::gs, selector);
}

void FragmentEmitter::begin(const ClassifiedInsn& insn, Translation how, uint8_t restore) {
  insn_start_ = here();
  TranslationCache::InsnRecord r;
  r.tc = insn_start_;
  r.guest = insn.eip;
  r.guest_len = insn.length;
  r.how = how;
  r.restore = restore;
  buf_.records.push_back(r);
  buf_.precise.push_back(insn_start_);
}

void FragmentEmitter::end() {
  buf_.records.back().tc_len = static_cast<uint16_t>(here() - insn_start_);
  insn_start_ = 0;
}

void FragmentEmitter::ident(const ClassifiedInsn& insn) {
  as_.embed(insn.bytes.data(), insn.length);
}

void FragmentEmitter::exit(uint32_t target, std::optional<x86::CondCode> cond) {
  const bool standalone = insn_start_ == 0;
  if (standalone) {
    // The unit's fall-through: the guest state here is the one before `target`.
    TranslationCache::InsnRecord r;
    r.tc = here();
    r.guest = target;
    r.how = Translation::kRemapped;
    buf_.records.push_back(r);
    buf_.precise.push_back(r.tc);
  }
  const uint32_t start = here();
  PendingExit x;
  x.target = target;
  if (const auto tc = tc_.lookup(target)) {
    // Already translated: chained from the start.
    x.chained = true;
    if (!cond) {
      as_.jmp(asmjit::Imm(*tc));
    } else {
      as_.j(*cond, asmjit::Imm(*tc));
    }
  } else {
    x.stub = as_.newLabel();
    if (!cond) {
      as_.long_().jmp(x.stub);
    } else {
      as_.long_().j(*cond, x.stub);
    }
  }
  x.patch_offset = static_cast<uint32_t>(as_.offset()) - 4;
  buf_.exits.push_back(x);
  if (standalone) buf_.records.back().tc_len = static_cast<uint16_t>(here() - start);
}

void FragmentEmitter::callout(CalloutKind kind, const ClassifiedInsn& insn, uint32_t detail) {
  as_.int_(asmjit::Imm(layout::kCalloutVector));
  TranslationCache::CalloutSite site;
  site.kind = kind;
  site.guest_eip = insn.eip;
  site.guest_len = insn.length;
  site.detail = detail;
  buf_.callouts.emplace_back(static_cast<uint32_t>(as_.offset()), site);
}

void FragmentEmitter::indirect(uint32_t release, std::optional<uint32_t> push, bool word) {
  // The one-entry inline cache (docs/modes/binary-translation.md, "Indirect branches"):
  //     lea ecx, [ecx - P]   ; ECX = 0 iff the target is the predicted P (no flag changes)
  //     jecxz hit            ; rel8 0 until the monitor fills the cache: falls through
  //     lea ecx, [ecx + P]   ; the target again
  //     (pop or push)  mov gs:[kSource], <this cache>  jmp <hash lookup>
  // hit:
  //     (pop or push)  count the hit  mov ecx, gs:[kSaveEcx]  jmp <P's translation>
  // P starts as the TC base (outside any guest segment) so that both displacements are
  // disp32 fields the monitor can patch; even a target equal to it is handled right.
  TranslationCache::InlineCache ic;
  const auto stack = [&] {
    if (push) push_return(*push, word);
    if (release) as_.lea(x86::esp, x86::ptr(x86::esp, static_cast<int32_t>(release)));
  };
  ic.at = static_cast<uint32_t>(as_.offset());
  as_.lea(x86::ecx, x86::ptr(x86::ecx, static_cast<int32_t>(0u - layout::kTcBase)));
  ic.neg_disp = static_cast<uint32_t>(as_.offset()) - 4;
  asmjit::Label miss = as_.newLabel();
  as_.jecxz(x86::ecx, miss);
  ic.jecxz = static_cast<uint32_t>(as_.offset()) - 1;
  as_.bind(miss);
  as_.lea(x86::ecx, x86::ptr(x86::ecx, static_cast<int32_t>(layout::kTcBase)));
  ic.pos_disp = static_cast<uint32_t>(as_.offset()) - 4;
  stack();
  as_.mov(gs(gsdata::kSource), asmjit::Imm(base_ + ic.at));
  as_.jmp(asmjit::Imm(lookup_));
  ic.hit = static_cast<uint32_t>(as_.offset());
  stack();
  as_.mov(x86::ecx, gs(gsdata::kIcHits));
  as_.lea(x86::ecx, x86::ptr(x86::ecx, 1));
  as_.mov(gs(gsdata::kIcHits), x86::ecx);
  as_.mov(x86::ecx, gs(gsdata::kSaveEcx));
  as_.long_().jmp(miss);  // until filled, never taken
  ic.hit_jump = static_cast<uint32_t>(as_.offset()) - 4;
  buf_.ics.push_back(ic);
}

void FragmentEmitter::push_return(uint32_t address, bool word) {
  if (!word) {
    as_.push(asmjit::Imm(address));
    return;
  }
  // A 16-bit CALL pushes IP, two bytes. The store goes first, so that a fault on the stack
  // leaves ESP as it was.
  as_.mov(x86::word_ptr(x86::esp, -2), asmjit::Imm(address & 0xFFFF));
  as_.lea(x86::esp, x86::ptr(x86::esp, -2));
}

void FragmentEmitter::count(InTcKind kind, const x86::Gp& scratch) {
  const uint32_t at = gsdata::kInTcCounts + 4 * static_cast<uint32_t>(kind);
  as_.mov(scratch, gs(at));
  as_.lea(scratch, x86::ptr(scratch, 1));  // LEA: no flags change
  as_.mov(gs(at), scratch);
}

FragmentEmitter::Committed FragmentEmitter::commit(uint32_t guest_eip, uint16_t guest_bytes,
                                                   uint8_t insns, const uint32_t machine_pages[2]) {
  TranslationCache::Fragment f;
  for (uint32_t i = 0; i < buf_.exits.size(); ++i) {
    PendingExit& x = buf_.exits[i];
    if (x.chained) continue;
    as_.bind(x.stub);
    as_.int_(asmjit::Imm(layout::kCalloutVector));
    TranslationCache::CalloutSite site;
    site.kind = CalloutKind::kContinue;
    site.guest_eip = x.target;
    site.exit = i;
    buf_.callouts.emplace_back(static_cast<uint32_t>(as_.offset()), site);
  }
  // Room for a forwarding jump over the entry (adaptive BT, invalidation).
  while (as_.offset() < 5) as_.int3();
  code_.flatten();
  code_.resolveUnresolvedLinks();
  code_.relocateToBase(base_);
  std::vector<uint8_t>& bytes = buf_.bytes;
  bytes.resize(code_.codeSize());
  code_.copyFlattenedData(bytes.data(), bytes.size());
  tc_.write(base_, bytes.data(), bytes.size());

  f.guest_eip = guest_eip;
  f.tc_start = base_;
  f.tc_end = base_ + static_cast<uint32_t>(bytes.size());
  f.guest_bytes = guest_bytes;
  f.insns = insns;
  f.machine_pages[0] = machine_pages[0];
  f.machine_pages[1] = machine_pages[1];
  for (const PendingExit& x : buf_.exits) {
    buf_.exit_records.push_back({base_ + x.patch_offset, x.target, x.chained});
  }
  for (TranslationCache::InlineCache& ic : buf_.ics) {
    for (uint32_t* field : {&ic.at, &ic.neg_disp, &ic.jecxz, &ic.pos_disp, &ic.hit, &ic.hit_jump}) {
      *field += base_;
    }
  }
  std::vector<std::pair<uint32_t, TranslationCache::CalloutSite>>& sites = buf_.sites;
  for (const auto& [off, site] : buf_.callouts) sites.emplace_back(base_ + off, site);
  const uint32_t index =
      tc_.commit(std::move(f), {buf_.records, sites, buf_.precise, buf_.exit_records, buf_.ics});
  return {index, base_, static_cast<uint32_t>(bytes.size())};
}

// --- Translator ----------------------------------------------------------------------------

Translator::Translator(TranslationCache& tc, vmm::GuestMemory& memory, const vmm::P2m& p2m)
    : tc_(tc), memory_(memory), p2m_(p2m) {
  unit_.reserve(kMaxUnit);
  csh h = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) == CS_ERR_OK) {
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    handle_ = h;
    insn_ = cs_malloc(h);
  }
}

Translator::~Translator() {
  if (handle_ != 0) {
    cs_free(static_cast<cs_insn*>(insn_), 1);
    csh h = handle_;
    cs_close(&h);
  }
}

void Translator::emit_permanent() {
  // The indirect-lookup routine (references/papers.md 1e: "indirect control flow uses a
  // dynamic hash lookup"). In: ECX = the guest target; the guest's ECX in kSaveEcx. The
  // flags are saved with LAHF/SETO and restored with ADD AL,0x7F/SAHF, so that a lookup
  // leaves the guest's EFLAGS exactly as they were.
  FragmentEmitter e(tc_, code_, buffers_, layout::kTcBase, layout::kTcLookup);
  auto& a = e.a();
  using FE = FragmentEmitter;
  const uint16_t selector = layout::kGsData;
  a.embed(&selector, sizeof selector);
  while (layout::kTcBase + a.offset() < layout::kTcReenter) a.int3();
  a.int_(asmjit::Imm(layout::kCalloutVector));  // the re-entry trampoline
  TranslationCache::CalloutSite reenter;
  reenter.kind = CalloutKind::kReenter;
  tc_.add_callout(layout::kTcBase + static_cast<uint32_t>(a.offset()), reenter, true);
  tc_.set_permanent_precise(layout::kTcReenter);
  while (layout::kTcBase + a.offset() < layout::kTcLookup) a.int3();
  asmjit::Label miss = a.newLabel();
  a.mov(FE::gs(gsdata::kSaveEax), x86::eax);
  a.lahf();
  a.seto(x86::al);
  a.mov(FE::gs(gsdata::kSaveFlags), x86::eax);
  a.movzx(x86::eax, x86::cx);
  x86::Mem tag = x86::dword_ptr(layout::kHashOffset, x86::eax, 3);
  tag.setSegment(x86::gs);
  a.cmp(tag, x86::ecx);
  a.jne(miss);
  x86::Mem to = x86::dword_ptr(layout::kHashOffset + 4, x86::eax, 3);
  to.setSegment(x86::gs);
  a.mov(x86::eax, to);
  a.mov(FE::gs(gsdata::kJumpTo), x86::eax);
  a.inc(FE::gs(gsdata::kLookupHits));
  a.mov(x86::eax, FE::gs(gsdata::kSaveFlags));
  a.add(x86::al, 0x7F);
  a.sahf();
  a.mov(x86::eax, FE::gs(gsdata::kSaveEax));
  a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
  a.jmp(FE::gs(gsdata::kJumpTo));
  a.bind(miss);
  a.mov(FE::gs(gsdata::kTarget), x86::ecx);
  a.mov(x86::eax, FE::gs(gsdata::kSaveFlags));
  a.add(x86::al, 0x7F);
  a.sahf();
  a.mov(x86::eax, FE::gs(gsdata::kSaveEax));
  a.mov(x86::ecx, FE::gs(gsdata::kSaveEcx));
  a.int_(asmjit::Imm(layout::kCalloutVector));
  const uint32_t miss_return = layout::kTcBase + static_cast<uint32_t>(a.offset());
  asmjit::CodeHolder& code = *a.code();
  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(layout::kTcBase);
  std::vector<uint8_t> bytes(code.codeSize());
  code.copyFlattenedData(bytes.data(), bytes.size());
  tc_.write(layout::kTcBase, bytes.data(), bytes.size());
  TranslationCache::CalloutSite site;
  site.kind = CalloutKind::kLookupMiss;
  tc_.add_callout(miss_return, site, true);
  tc_.set_permanent((static_cast<uint32_t>(bytes.size()) + 15) & ~15u);
  lookup_ = layout::kTcLookup;
}

namespace {

bool reads_or_writes_gs(const cs_insn* ci) {
  const cs_x86& x = ci->detail->x86;
  if (x.prefix[1] == X86_PREFIX_GS || ci->id == X86_INS_LGS) return true;  // (LGS: implicit)
  for (unsigned i = 0; i < x.op_count; ++i) {
    const cs_x86_op& o = x.operands[i];
    if (o.type == X86_OP_REG && o.reg == X86_REG_GS) return true;
    if (o.type == X86_OP_MEM && o.mem.segment == X86_REG_GS) return true;
  }
  return false;
}

// A memory operand with a CS segment override (an explicit one, or 2E before a string
// instruction's source). A 2E before a Jcc is a branch hint, not a segment: a Jcc has no
// memory operand.
bool reads_through_cs(const cs_insn* ci) {
  const cs_x86& x = ci->detail->x86;
  for (unsigned i = 0; i < x.op_count; ++i) {
    const cs_x86_op& o = x.operands[i];
    if (o.type == X86_OP_MEM &&
        (o.mem.segment == X86_REG_CS || (x.prefix[1] == X86_PREFIX_CS && o.mem.segment == 0))) {
      return true;
    }
  }
  return false;
}

void to_ir(const cs_insn* ci, ClassifiedInsn& out) {
  const cs_x86& x = ci->detail->x86;
  out.eip = static_cast<uint32_t>(ci->address);
  out.length = static_cast<uint8_t>(ci->size);
  std::memcpy(out.bytes.data(), ci->bytes, std::min<size_t>(ci->size, out.bytes.size()));
  out.id = ci->id;
  out.o16 = x.prefix[2] == X86_PREFIX_OPSIZE;
  out.a16 = x.prefix[3] == X86_PREFIX_ADDRSIZE;
  out.rep = x.prefix[0] == X86_PREFIX_REP || x.prefix[0] == X86_PREFIX_REPNE;
  out.op_count = static_cast<uint8_t>(std::min<unsigned>(x.op_count, 4));
  for (unsigned i = 0; i < out.op_count; ++i) {
    const cs_x86_op& o = x.operands[i];
    InsnOperand& op = out.ops[i];
    op.size = o.size;
    switch (o.type) {
      case X86_OP_REG:
        op.kind = InsnOperand::Kind::kReg;
        op.reg = static_cast<uint16_t>(o.reg);
        break;
      case X86_OP_IMM:
        op.kind = InsnOperand::Kind::kImm;
        op.imm = static_cast<uint32_t>(o.imm);
        break;
      case X86_OP_MEM:
        op.kind = InsnOperand::Kind::kMem;
        op.base = static_cast<uint16_t>(o.mem.base);
        op.index = static_cast<uint16_t>(o.mem.index);
        op.scale = static_cast<uint8_t>(o.mem.scale);
        op.disp = static_cast<int32_t>(o.mem.disp);
        op.segment = static_cast<uint16_t>(o.mem.segment);
        break;
      default: break;
    }
  }
  out.uses_gs = reads_or_writes_gs(ci);
  out.cs_operand = reads_through_cs(ci);
}

// Stores that adaptive BT may turn into SIMULATE callouts: instructions with a memory
// destination (operand 0), which is how a page-table write looks.
bool stores_to_memory(const ClassifiedInsn& insn) {
  return insn.op_count > 0 && insn.ops[0].kind == InsnOperand::Kind::kMem &&
         insn.id != X86_INS_PUSH;
}

}  // namespace

void Translator::classify(ClassifiedInsn& insn) const {
  if (classify_control(insn)) {
    insn.family = ClassifiedInsn::Family::kControl;
  } else if (classify_interrupt(insn)) {
    insn.family = ClassifiedInsn::Family::kInterrupt;
  } else if (classify_system(insn)) {
    insn.family = ClassifiedInsn::Family::kSystem;
  } else if (classify_io(insn)) {
    insn.family = ClassifiedInsn::Family::kIo;
  } else if (classify_segment(insn)) {
    insn.family = ClassifiedInsn::Family::kSegment;
  } else if (guilty_ && guilty_->count(insn.eip) && stores_to_memory(insn)) {
    // Guilty: a 32-bit MOV has its traced store (page table, GDT or LDT page) performed in
    // the TC (and calls out only when that store turns out not to be one the TC may
    // perform); every other store is a SIMULATE callout.
    insn.family = ClassifiedInsn::Family::kAdaptive;
    const bool in_tc = is_in_tc_pte_write(insn);
    insn.how = in_tc ? Translation::kInTc : Translation::kCallout;
    insn.terminates = !in_tc;
  } else {
    insn.family = ClassifiedInsn::Family::kNone;
    insn.how = Translation::kIdent;
  }
  if (insn.cs_operand) classify_cs_operand(insn);
}

void Translator::classify_cs_operand(ClassifiedInsn& insn) {
  // A memory operand through CS: the TC's CS is the monitor's code segment, whose base and
  // limit are not the guest's, and which reaches the translation cache and the rest of the
  // hypervisor hole (random guest --rich seed 30196 read the TC through cs:[0xFC100000]).
  // What the kit emulates in a callout (far transfers, system and I/O instructions, INT)
  // reads its operand with the guest's CS already. A plain instruction, a guilty store or
  // a near indirect branch is executed for the guest by the kit (SIMULATE), with the
  // guest's CS: it loads no segment, so no selector of the monitor's can come of it. What
  // runs in the TC otherwise would read through the monitor's CS: a segment load is
  // SIMULATE too, the monitor first checking the selector as the TC's sequence does (the
  // selector table: never one of the monitor's); for the rest (the in-TC system
  // sequences) the run stops there instead (exit 74).
  using F = ClassifiedInsn::Family;
  const bool plain = insn.family == F::kNone || insn.family == F::kAdaptive ||
                     (insn.family == F::kControl && insn.how == Translation::kRemapped);
  if (!plain && insn.how == Translation::kCallout) return;
  insn.cs_selector = insn.family == F::kSegment ? cs_selector_check(insn) : 0;
  insn.cs_refused = !plain && insn.cs_selector == 0;
  insn.family = F::kSimulate;
  insn.how = Translation::kCallout;
  insn.terminates = true;
}

bool Translator::decode_one(const uint8_t* bytes, size_t size, uint32_t eip,
                            ClassifiedInsn& out) const {
  out = ClassifiedInsn{};
  return decode_fresh(bytes, size, eip, out);
}

bool Translator::decode_fresh(const uint8_t* bytes, size_t size, uint32_t eip,
                              ClassifiedInsn& out) const {
  // decode_one into a default-constructed ClassifiedInsn: no second reset.
  if (handle_ == 0) return false;
  const uint8_t* code = bytes;
  uint64_t address = eip;
  auto* ci = static_cast<cs_insn*>(insn_);
  if (cs_disasm_iter(handle_, &code, &size, &address, ci)) {
    to_ir(ci, out);
  } else if (!decode_past_capstone(bytes, size, eip, out)) {
    return false;
  }
  classify(out);
  return true;
}

bool Translator::decode_past_capstone(const uint8_t* bytes, size_t size, uint32_t eip,
                                      ClassifiedInsn& out) const {
  // Encodings the processor defines that Capstone 4 rejects (engine/cpu/tests/
  // decoder_capstone_test.cpp lists what it found): they run in the TC as the guest wrote
  // them, exactly as natively, so that a guest kernel never stops on them. The processor's
  // own decoder says whether the bytes are an instruction and how long; bytes it does not
  // define stay undecodable (the guest's #UD, bt_monitor.cpp).
  cpu::Insn insn;
  if (cpu::decode(bytes, std::min<size_t>(size, 15), true, insn) != cpu::DecodeStatus::kOk ||
      !cpu::encoding_defined(insn) || insn.len > out.bytes.size()) {
    return false;
  }
  const auto keep_bytes = [&] {
    out.eip = eip;
    out.length = insn.len;
    out.bytes = {};
    std::memcpy(out.bytes.data(), bytes, insn.len);
  };
  // The reserved hint NOPs 0F 0D and 0F 18-1F with any ModRM (SDM Vol. 2D, table A-3;
  // ENDBR32 is one of them on an i686): no operand is read or written.
  const uint16_t op = insn.opcode();
  if (op == 0x10D || (op >= 0x118 && op <= 0x11F)) {
    keep_bytes();
    out.id = X86_INS_NOP;
    out.o16 = insn.o16();
    out.a16 = insn.a16();
    return true;
  }
  // F2 and F3 before an instruction they mean nothing to (MOV A0-A3 with 66 as well, for
  // Capstone 4): the operands are those of the instruction without them.
  if (!insn.rep() && !insn.repne()) return false;
  uint8_t stripped[16] = {};
  size_t n = 0;
  size_t i = 0;
  for (; i < insn.len; ++i) {
    const uint8_t b = bytes[i];
    const bool prefix = b == 0xF2 || b == 0xF3 || b == 0xF0 || b == 0x66 || b == 0x67 ||
                        b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
    if (!prefix) break;
    if (b != 0xF2 && b != 0xF3) stripped[n++] = b;
  }
  for (; i < insn.len; ++i) stripped[n++] = bytes[i];
  const uint8_t* code = stripped;
  size_t avail = n;
  uint64_t address = eip;
  auto* ci = static_cast<cs_insn*>(insn_);
  if (!cs_disasm_iter(handle_, &code, &avail, &address, ci) || ci->size != n) return false;
  to_ir(ci, out);
  keep_bytes();
  return true;
}

bool Translator::read_code(uint32_t lin, uint8_t* out, uint32_t n, vmm::GuestMemory::Fault* fault) {
  // GuestMemory::read for a range within one page: one walk (setting the accessed bits as
  // it does), then the bytes through the P2M, all of them from RAM when they lie there.
  if (n == 0) return true;
  const vmm::GuestWalk w = memory_.walk(lin, cpu::Access::kRead, false);
  if (!w.ok) {
    if (fault) *fault = {lin, w.error_code};
    return false;
  }
  if (const auto ma = p2m_.to_machine(w.gpa)) {
    const std::span<uint8_t> ram = tc_.cpu().ram();
    if (*ma < ram.size() && ram.size() - *ma >= n) {
      std::memcpy(out, ram.data() + *ma, n);
      return true;
    }
  }
  for (uint32_t i = 0; i < n; ++i) out[i] = memory_.read_phys8(w.gpa + i);
  return true;
}

std::vector<ClassifiedInsn> Translator::decode_unit(uint32_t eip, Attempt& r) {
  std::vector<ClassifiedInsn> unit;
  decode_into(eip, r, unit);
  return unit;
}

void Translator::decode_into(uint32_t eip, Attempt& r, std::vector<ClassifiedInsn>& unit) {
  unit.clear();
  // The bytes, read as the decoder needs them: most units are a few dozen bytes. The first
  // must be readable (the guest would fault fetching there); a later page that is not ends
  // the unit before the instruction that reaches into it.
  uint8_t buf[kMaxUnit * 15 + 16];
  constexpr uint32_t kChunk = 64;
  uint32_t have = 0;
  bool end_of_readable = false;
  auto fill = [&](uint32_t want) {
    while (have < want && !end_of_readable) {
      const uint32_t at = eip + have;
      const uint32_t n = std::min<uint32_t>(
          {want - have, 4096 - (at & 0xFFFu), static_cast<uint32_t>(sizeof buf) - have});
      if (n == 0) break;
      if (!read_code(at, buf + have, n, nullptr)) {
        end_of_readable = true;
        break;
      }
      have += n;
    }
  };
  vmm::GuestMemory::Fault fault;
  if (!read_code(eip, buf, 1, &fault)) {
    r.status = Attempt::Status::kFault;
    r.fault = fault;
    return;
  }
  fill(kChunk);
  uint32_t off = 0;
  while (unit.size() < kMaxUnit) {
    if (have - off < 16) fill(std::min<uint32_t>(have + kChunk, sizeof buf));
    if (off >= have) break;
    ClassifiedInsn& insn = unit.emplace_back();
    if (!decode_fresh(buf + off, have - off, eip + off, insn)) {
      unit.pop_back();
      break;
    }
    off += insn.length;
    if (insn.terminates) break;
  }
  if (unit.empty()) {
    if (end_of_readable && have < 15) {
      // The first instruction straddles into a page the guest cannot read: its fetch
      // faults there.
      memory_.read(eip + have, buf, 1, false, &fault);
      r.status = Attempt::Status::kFault;
      r.fault = fault;
    } else {
      r.status = Attempt::Status::kUndecodable;
    }
  }
}

Translator::Attempt Translator::translate(uint32_t eip) {
  Attempt r;
  // A unit never needs more than a few hundred bytes; keep a page of headroom.
  if (tc_.free_bytes() < 4096) {
    r.flushed = true;
    r.flushed_count = tc_.flush();
  }
  std::vector<ClassifiedInsn>& unit = unit_;
  decode_into(eip, r, unit);
  if (r.status != Attempt::Status::kOk) return r;

  FragmentEmitter e(tc_, code_, buffers_, tc_.next_address(), lookup_);
  for (const ClassifiedInsn& insn : unit) {
    switch (insn.family) {
      case ClassifiedInsn::Family::kControl: emit_control(e, insn); break;
      case ClassifiedInsn::Family::kInterrupt: emit_interrupt(e, insn); break;
      case ClassifiedInsn::Family::kSystem: emit_system(e, insn); break;
      case ClassifiedInsn::Family::kIo: emit_io(e, insn); break;
      case ClassifiedInsn::Family::kSegment: emit_segment(e, insn); break;
      case ClassifiedInsn::Family::kAdaptive:
        if (insn.how == Translation::kInTc) {
          emit_pte_write(e, insn);
          break;
        }
        e.begin(insn, Translation::kCallout);
        e.callout(CalloutKind::kSimulateWrite, insn, insn.bytes[0]);
        e.end();
        break;
      case ClassifiedInsn::Family::kSimulate:
        e.begin(insn, Translation::kCallout);
        e.callout(insn.cs_refused ? CalloutKind::kUnsupported : CalloutKind::kSimulate, insn,
                  insn.cs_refused ? guest_opcode(insn) : insn.bytes[0] | insn.cs_selector);
        e.end();
        break;
      case ClassifiedInsn::Family::kNone:
        e.begin(insn, Translation::kIdent);
        e.ident(insn);
        e.end();
        break;
    }
  }
  const ClassifiedInsn& last = unit.back();
  const uint32_t end = last.eip + last.length;
  if (!last.terminates) e.exit_jump(end);

  uint32_t pages[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};
  const vmm::GuestWalk w0 = memory_.walk(eip, cpu::Access::kRead, false, false);
  const vmm::GuestWalk w1 = memory_.walk(end - 1, cpu::Access::kRead, false, false);
  if (w0.ok) {
    if (auto ma = p2m_.to_machine(w0.gpa)) pages[0] = *ma >> 12;
  }
  if (w1.ok) {
    if (auto ma = p2m_.to_machine(w1.gpa); ma && (*ma >> 12) != pages[0]) pages[1] = *ma >> 12;
  }
  const auto c =
      e.commit(eip, static_cast<uint16_t>(end - eip), static_cast<uint8_t>(unit.size()), pages);
  translated_ += unit.size();
  r.tc = c.tc;
  r.fragment = c.fragment;
  r.insns = static_cast<uint32_t>(unit.size());
  r.bytes_in = end - eip;
  r.bytes_out = c.bytes;
  return r;
}

}  // namespace vmlab::modes::bt
