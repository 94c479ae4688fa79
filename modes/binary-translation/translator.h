// Translator: guest kernel code to compiled code fragments in the translation cache
// (Adams & Agesen 2006, section 3.2; references/papers.md 1e; docs/modes/binary-
// translation.md follows one block through this file).
//
// translate(eip) reads guest bytes through the guest's own page tables, decodes them with
// Capstone (detail mode) into one ClassifiedInsn per instruction, and groups them into a
// translation unit (TU) of at most 12 instructions or up to a terminating one (control
// flow, and every callout). Each instruction's family file (translate_*.cpp, named after
// the processor's exec_*.cpp) decides how it is translated: IDENT (its bytes copied),
// remapped control flow, an in-TC sequence or a callout. Non-IDENT code is emitted with
// asmjit (32-bit x86); the TU becomes one fragment (CCF) in the TranslationCache with a
// record per instruction, so that a fault in its middle maps back to the guest's EIP.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/vmm/core/p2m.h"
#include "engine/vmm/kit/guest_memory.h"
#include "modes/binary-translation/classified_insn.h"
#include "modes/binary-translation/translation_cache.h"

namespace vmlab::modes::bt {

// The per-fragment working storage of a FragmentEmitter, kept by the Translator from
// fragment to fragment so that its vectors keep their capacity (cleared, not reallocated).
struct FragmentBuffers {
  struct PendingExit {
    asmjit::Label stub;
    uint32_t target = 0;
    uint32_t patch_offset = 0;  // offset of the rel32 field
    bool chained = false;
  };
  std::vector<TranslationCache::InsnRecord> records;
  std::vector<TranslationCache::InlineCache> ics;  // fragment offsets, made TC addresses at commit
  std::vector<TranslationCache::Exit> exit_records;
  std::vector<std::pair<uint32_t, TranslationCache::CalloutSite>> callouts;  // by offset
  std::vector<uint32_t> precise;                                             // offsets
  std::vector<PendingExit> exits;
  std::vector<std::pair<uint32_t, TranslationCache::CalloutSite>> sites;  // by TC address
  std::vector<uint8_t> bytes;                                             // the flattened code
  void clear() {
    records.clear();
    callouts.clear();
    precise.clear();
    exits.clear();
    ics.clear();
    exit_records.clear();
    sites.clear();
    bytes.clear();
  }
};

// Builds one fragment: the per-instruction records, the exits and the callout sites,
// around an asmjit assembler whose code will be placed at `base`. The family files emit
// through it.
class FragmentEmitter {
 public:
  // `code` and `buffers` are reused from fragment to fragment (their memory stays
  // allocated).
  FragmentEmitter(TranslationCache& tc, asmjit::CodeHolder& code, FragmentBuffers& buffers,
                  uint32_t base, uint32_t lookup_routine);
  ~FragmentEmitter();
  FragmentEmitter(const FragmentEmitter&) = delete;
  FragmentEmitter& operator=(const FragmentEmitter&) = delete;

  asmjit::x86::Assembler& a() { return as_; }
  uint32_t here() const { return base_ + static_cast<uint32_t>(as_.offset()); }
  uint32_t lookup_routine() const { return lookup_; }

  // Brackets the translation of one guest instruction. `restore`: the scratch slots the
  // sequence saves guest registers in (RestoreMask).
  void begin(const ClassifiedInsn& insn, Translation how, uint8_t restore = kRestoreNone);
  void end();
  // Marks the instruction being emitted as STI (the interrupt shadow follows it).
  void mark_sti() { buf_.records.back().sti = true; }
  // Copies the instruction's bytes (IDENT).
  void ident(const ClassifiedInsn& insn);
  // A direct exit to guest `target`: a jump (kJmp) or conditional jump (a Jcc condition)
  // to the target's translation when it exists (chained at once), else to a continuation
  // stub that translates it on first use and is then patched into a direct jump.
  void exit_jump(uint32_t target) { exit(target, std::nullopt); }
  void exit_jump_if(asmjit::x86::CondCode cond, uint32_t target) { exit(target, cond); }
  // An indirect branch whose guest target is in ECX (the guest's ECX saved in kSaveEcx):
  // a one-entry inline cache, then the in-TC hash lookup when it misses. `release`: the
  // bytes a RET pops (0 for JMP and CALL); `push`: CALL's return address (`word`: as IP).
  void indirect(uint32_t release, std::optional<uint32_t> push, bool word = false);
  // CALL's push of the guest's return address: 4 bytes, or IP alone for a 16-bit CALL.
  void push_return(uint32_t address, bool word);
  // INT to the monitor, with the callout's description.
  void callout(CalloutKind kind, const ClassifiedInsn& insn, uint32_t detail = 0);
  // Adds one to the in-TC counter of `kind`, through `scratch` (already saved by the
  // sequence), without touching the flags.
  void count(InTcKind kind, const asmjit::x86::Gp& scratch);
  // A %gs-relative operand of the translator's data.
  static asmjit::x86::Mem gs(uint32_t offset, uint32_t size = 4);
  // Loads the guest's own %gs (its selector, kept virtual in the %gs data), so that the
  // instructions after it use the guest's segment; guest_gs_end() puts the monitor's %gs
  // back, read CS-relative from the TC's first bytes. Neither touches a register or a flag.
  void guest_gs_begin();
  void guest_gs_end();

  // Emits the stubs, resolves the code at `base` and commits the fragment.
  struct Committed {
    uint32_t fragment = 0;
    uint32_t tc = 0;
    uint32_t bytes = 0;
  };
  Committed commit(uint32_t guest_eip, uint16_t guest_bytes, uint8_t insns,
                   const uint32_t machine_pages[2]);

 private:
  void exit(uint32_t target, std::optional<asmjit::x86::CondCode> cond);

  using PendingExit = FragmentBuffers::PendingExit;

  TranslationCache& tc_;
  uint32_t base_;
  uint32_t lookup_;
  asmjit::CodeHolder& code_;
  FragmentBuffers& buf_;
  asmjit::x86::Assembler as_;
  uint32_t insn_start_ = 0;
};

// The family files (translate_*.cpp). classify_* claims an instruction (setting how and
// terminates) or returns false; emit_* emits an instruction it claimed.
bool classify_control(ClassifiedInsn& insn);
void emit_control(FragmentEmitter& e, const ClassifiedInsn& insn);
bool classify_interrupt(ClassifiedInsn& insn);
void emit_interrupt(FragmentEmitter& e, const ClassifiedInsn& insn);
bool classify_system(ClassifiedInsn& insn);
void emit_system(FragmentEmitter& e, const ClassifiedInsn& insn);
bool classify_io(ClassifiedInsn& insn);
void emit_io(FragmentEmitter& e, const ClassifiedInsn& insn);
bool classify_segment(ClassifiedInsn& insn);
void emit_segment(FragmentEmitter& e, const ClassifiedInsn& insn);
// For a segment load (MOV, LDS, LES, LFS, LGS of DS, ES, FS or GS) whose selector operand
// is read through CS: the SIMULATE callout's detail bits that have the monitor check the
// selector first (TranslationCache::kSimulateLoad, the selector's offset in the operand);
// 0 for any other instruction.
uint32_t cs_selector_check(const ClassifiedInsn& insn);
// Adaptive BT (translate_pte_write.cpp): whether a guilty store has the form whose
// page-table write the TC performs itself (MOV of a 32-bit register or immediate to a
// 32-bit-addressed memory operand), and its translation.
bool is_in_tc_pte_write(const ClassifiedInsn& insn);
void emit_pte_write(FragmentEmitter& e, const ClassifiedInsn& insn);
// The opcode as the emulated_insn event numbers it (0x0F-prefixed as 0x1nn).
uint16_t guest_opcode(const ClassifiedInsn& insn);
// A memory operand of the IR as asmjit's (translate_segment.cpp).
asmjit::x86::Mem to_mem(const InsnOperand& op);
// Capstone's register as asmjit's 32-bit register (translate_segment.cpp).
asmjit::x86::Gp gp32(unsigned capstone_reg);
// A 16-bit address size (translate_segment.cpp). a16_address: ECX = the 16-bit effective
// address of the instruction's memory operand, plus `add`, wrapped at 64 KiB as the
// processor wraps it: a LEA of the guest's own ModRM and displacement with ECX as its
// register (16-bit addressing names BX, BP, SI and DI only), then `lea cx, [ecx+add]`.
// Neither changes a flag. (to_mem builds a 32-bit address from the 32-bit registers,
// which is not where the processor reads or writes.) a16_operand: the operand at [ECX],
// in its segment (its override; SS for a BP-based form without one; else DS).
void a16_address(FragmentEmitter& e, const ClassifiedInsn& insn, uint32_t add);
asmjit::x86::Mem a16_operand(const InsnOperand& op);

class Translator {
 public:
  static constexpr unsigned kMaxUnit = 12;  // Adams & Agesen 2006, 3.2

  struct Attempt {
    enum class Status : uint8_t { kOk, kFault, kUndecodable };
    Status status = Status::kOk;
    uint32_t tc = 0;
    uint32_t fragment = 0;
    uint32_t insns = 0;
    uint32_t bytes_in = 0;
    uint32_t bytes_out = 0;
    bool flushed = false;  // the cache was full and was flushed first
    uint32_t flushed_count = 0;
    vmm::GuestMemory::Fault fault;  // kFault: the guest's #PF
  };

  Translator(TranslationCache& tc, vmm::GuestMemory& memory, const vmm::P2m& p2m);
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  // Emits the permanent code at the start of the TC: the indirect-lookup routine.
  void emit_permanent();
  uint32_t lookup_routine() const { return lookup_; }

  // Decodes and classifies the TU at guest-linear `eip` without emitting it.
  std::vector<ClassifiedInsn> decode_unit(uint32_t eip, Attempt& status);
  // Translates the TU at `eip` into a new fragment.
  Attempt translate(uint32_t eip);

  // Adaptive BT (adaptive.h): instructions translated as SIMULATE callouts.
  void set_guilty(const std::unordered_set<uint32_t>* guilty) { guilty_ = guilty; }
  uint64_t instructions_translated() const { return translated_; }
  // A loaded state's count (bt_state.cpp).
  void set_instructions_translated(uint64_t n) { translated_ = n; }

  // Decodes a buffer (tests, the benchmark): one ClassifiedInsn, classified; false when Capstone
  // cannot decode it.
  bool decode_one(const uint8_t* bytes, size_t size, uint32_t eip, ClassifiedInsn& out) const;

 private:
  void classify(ClassifiedInsn& insn) const;
  // A memory operand with a CS override (insn.cs_operand): SIMULATE, or the run stops.
  static void classify_cs_operand(ClassifiedInsn& insn);
  // decode_one into an ClassifiedInsn that is still default-constructed.
  bool decode_fresh(const uint8_t* bytes, size_t size, uint32_t eip, ClassifiedInsn& out) const;
  // The encodings the processor defines and Capstone rejects (translator.cpp).
  bool decode_past_capstone(const uint8_t* bytes, size_t size, uint32_t eip,
                            ClassifiedInsn& out) const;
  // decode_unit into `unit` (cleared first).
  void decode_into(uint32_t eip, Attempt& status, std::vector<ClassifiedInsn>& unit);
  // GuestMemory::read of `n` bytes within one page (the same walk, the same bytes), the
  // bytes copied from RAM at once rather than one by one.
  bool read_code(uint32_t lin, uint8_t* out, uint32_t n, vmm::GuestMemory::Fault* fault);

  TranslationCache& tc_;
  vmm::GuestMemory& memory_;
  const vmm::P2m& p2m_;
  size_t handle_ = 0;     // Capstone's csh
  void* insn_ = nullptr;  // one cs_insn, reused
  uint32_t lookup_ = 0;
  const std::unordered_set<uint32_t>* guilty_ = nullptr;
  uint64_t translated_ = 0;
  asmjit::CodeHolder code_;
  FragmentBuffers buffers_;
  std::vector<ClassifiedInsn> unit_;  // the unit being translated, reused
};

}  // namespace vmlab::modes::bt
