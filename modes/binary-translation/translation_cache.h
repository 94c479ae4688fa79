// TranslationCache: where translated guest kernel code lives and how it is found
// (Adams & Agesen 2006, section 3.2; references/papers.md 1e).
//
// The TC is ordinary memory of the monitor (frames of its reserve) mapped in the
// hypervisor hole of every shadow address space, supervisor-only, through the hole's page
// table that DeprivilegedSegments owns. The simulated processor fetches and executes it
// like any code, at ring 1, with CS = the monitor's TC code segment (the guest's own code
// segments are cut below the hole). Beside it lies the translator's data, reached only
// through %gs (the paper's "%gs escape"): the virtual IF and %gs of the guest, scratch
// slots, counters of the in-TC sequences, and the guest-to-TC hash table that indirect
// jumps and returns look up without leaving the TC.
//
// The cache keeps, per compiled code fragment (CCF): its guest start, the guest pages its
// code came from (a write there invalidates it), one record per guest instruction (TC
// range, guest EIP, how it was translated) to map a fault or an interrupt at a TC address
// back to the guest's state, its exits (continuations, later chained), and the callout
// sites. It is append-only; when it is full everything is flushed (the bt_flush event).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/cpu/state_codec.h"
#include "engine/machine/result.h"
#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/kit/monitor_frames.h"
#include "modes/binary-translation/classified_insn.h"

namespace vmlab::modes::bt {

// The translator's part of the hypervisor hole (engine/vmm/core/hypervisor_hole.h, the one map
// of it) and of the shadow GDT.
namespace layout {
inline constexpr uint32_t kHoleBase = vmm::hole::kBase;
// %gs base: one page of data, then the hash table.
inline constexpr uint32_t kDataBase = vmm::hole::kTranslatorData;
inline constexpr uint32_t kHashOffset = 0x40000u;  // %gs-relative
inline constexpr uint32_t kHashEntries = 65536;    // indexed by the low 16 bits of the target
inline constexpr uint32_t kDataLimit = kHashOffset + kHashEntries * 8 - 1;
inline constexpr uint32_t kDataPages = (kDataLimit + 1) / 4096;
inline constexpr uint32_t kTcBase = vmm::hole::kTranslationCache;
inline constexpr uint32_t kTcSize = vmm::hole::kTranslationCacheSize;
// The TC's first bytes: the %gs data selector (kGsData), read CS-relative to put the
// monitor's %gs back after an instruction that used the guest's own (translate_segment.cpp);
// then the re-entry trampoline, and at kTcLookup the indirect-lookup routine.
inline constexpr uint32_t kTcGsSelector = kTcBase;
// The re-entry trampoline, `int 0xBD` (CalloutKind::kReenter): where the guest waits, as
// one precise instruction, to enter the TC at the guest EIP in gsdata::kReentry, after the
// translation of its next instruction raised a fault that was reflected to the guest.
inline constexpr uint32_t kTcReenter = kTcBase + 8;
inline constexpr uint32_t kTcLookup = kTcBase + 16;
// Selectors of the monitor's own descriptors (DeprivilegedSegments::install_monitor_
// descriptor), RPL 1: the TC code segment (flat, 4 GiB) and the %gs data segment.
inline constexpr uint16_t kTcCode = 0xFFE8 | 1;
inline constexpr uint16_t kGsData = 0xFFF0 | 1;
// The cached copy of the guest kernel's %gs descriptor (RPL added from the guest's
// selector): the descriptor as the guest loaded it, once its slot has changed since (a
// store to the guest's GDT, an LGDT), which natively leaves the loaded %gs alone (SDM Vol.
// 3A, 3.4.3). A non-reversible segment, kept as VMware's monitor kept one (Bugnion et al.,
// ACM TOCS 30(4), 2012); BtMonitor::descriptor_changing and park_guest_gs fill it.
inline constexpr uint16_t kGsCache = 0xFFE0;
// The software-interrupt vector of callouts (cpu::Monitor::is_monitor_call).
inline constexpr uint8_t kCalloutVector = 0xBD;
}  // namespace layout

// Fields of the %gs data page (offsets from the %gs base).
namespace gsdata {
inline constexpr uint32_t kVif = 0x00;      // the guest's IF: 0 or 0x200 (EFLAGS.IF)
inline constexpr uint32_t kVgs = 0x04;      // the guest's %gs selector
inline constexpr uint32_t kVcs = 0x08;      // the guest's CS selector as it believes it (RPL 0)
inline constexpr uint32_t kSaveEax = 0x0C;  // scratch slots of the in-TC sequences
inline constexpr uint32_t kSaveEcx = 0x10;
inline constexpr uint32_t kSaveFlags = 0x14;  // AH = SF ZF AF PF CF (LAHF), AL = OF (SETO)
inline constexpr uint32_t kTarget = 0x18;     // the guest target of a lookup that missed
inline constexpr uint32_t kJumpTo = 0x1C;     // the TC target of a lookup that hit
inline constexpr uint32_t kGdtr = 0x20;       // the guest's GDTR image (6 bytes), for SGDT
inline constexpr uint32_t kIdtr = 0x28;       // the guest's IDTR image, for SIDT
inline constexpr uint32_t kCr0 = 0x30;        // the guest's CR0, for SMSW
inline constexpr uint32_t kTr = 0x34;         // the guest's TR, for STR
inline constexpr uint32_t kLdtr = 0x38;       // the guest's LDTR, for SLDT
inline constexpr uint32_t kViopl = 0x3C;      // the guest's IOPL: EFLAGS.IOPL (bits 12-13)
inline constexpr uint32_t kLookupHits = 0x40;
inline constexpr uint32_t kInTcCounts = 0x44;  // one 32-bit counter per InTcKind
inline constexpr uint32_t kSaveEdx = 0x80;
static_assert(kInTcCounts + 4 * kCountedInTcKinds <= kSaveEdx);
inline constexpr uint32_t kSource = 0x84;     // the inline cache (its TC address) that missed
inline constexpr uint32_t kVss = 0x88;        // the guest's SS as it believes it (RPL 0)
inline constexpr uint32_t kIcHits = 0x8C;     // lookups that hit in an inline cache
inline constexpr uint32_t kReentry = 0x90;    // the guest EIP the re-entry trampoline enters
inline constexpr uint32_t kPortValue = 0x94;  // what the last in-TC port read returned
// The in-TC page-table store (translate_pte_write.cpp): the store's offset in its segment
// and the value, left by the sequence before it rings the doorbell; kPteFallback, left by
// the monitor, is 0 when it performed the store and 1 when the sequence must call out.
inline constexpr uint32_t kPteOffset = 0x98;
inline constexpr uint32_t kPteValue = 0x9C;
inline constexpr uint32_t kPteFallback = 0xA0;
// The check of the guest kernel's segment loads (translate_segment.cpp): the selector
// table, one 16-bit entry per selector, 0 for one the guest may name and the #GP error
// code (the selector with RPL 0) for a GDT selector the guest's table does not hold (past
// its limit, or one of the monitor's own slots: BtMonitor::sync_selector_table); where the check
// leaves that error code for the monitor before it calls out (kMonitorSelector).
inline constexpr uint32_t kSelectorFault = 0xA4;
// The stack's top for the check of a POP: the check stores ESP at kStackTop, then a zero
// word at kStackTop + 2 + the value of kStackHighSkip, which the monitor keeps at 0 while
// the guest's SS is a 16-bit stack (SS.B = 0: the processor pops from [SS:SP]) and at 4
// while it is a 32-bit one (the word lands in the unused kStackTop + 4..7).
inline constexpr uint32_t kStackTop = 0xA8;
inline constexpr uint32_t kStackHighSkip = 0xB0;
// The selector a %gs-relative access and the way out of the TC load for the guest's %gs:
// kVgs itself, or layout::kGsCache (with kVgs's RPL) while the guest's %gs is a cached
// copy. Every load of the virtual %gs sets it to the new selector.
inline constexpr uint32_t kVgsLoad = 0xB4;
// The selector a load of the virtual %gs (POP GS, LGS, MOV GS from memory) read and the
// selector table passed: the sequence stores it into kVgs and kVgsLoad once the processor's
// own load of it succeeded, never a second read of the guest's memory (which the monitor's
// write of an accessed bit, at that load, may have changed: translate_segment.cpp).
inline constexpr uint32_t kGsChecked = 0xB8;
inline constexpr uint32_t kSelectorTable = 0x10000;
static_assert(kSelectorTable >= 0x2000 &&  // past the doorbell page (below)
              kSelectorTable + 0x10000 * 2 <= layout::kHashOffset);
// The device doorbell: the %gs data's second page, a frame of its own that the processor
// watches (in_tc_port.cpp). An in-TC port read stores its request here (kPortRequest: the
// port, the size in bits 16-23, bit 31 set); the store reaches the monitor's device model
// at once, which leaves the value in kPortValue before the sequence's next instruction.
inline constexpr uint32_t kDoorbell = 0x1000;
inline constexpr uint32_t kPortRequest = 0x80000000u;
// The in-TC page-table store's request: this bit, and the store's segment register
// (cpu::SegReg) in bits 0-2.
inline constexpr uint32_t kPteRequest = 0x40000000u;
}  // namespace gsdata

// Registers an in-TC sequence saved in the scratch slots: restored when a fault inside
// the sequence (after its first instruction) is mapped back to the guest instruction.
// kEmulateOnFault (not a register): every fault of the sequence is settled by executing
// the guest instruction on the scratch processor, which raises what the processor raises
// (SGDT and SIDT, whose sequence checks the destination with stores that change nothing
// and whose fault's error code and order are then native's: translate_system.cpp).
// kSelectorLoad: a segment load whose selector comes from memory (MOV, POP, LDS, LES, LFS
// of DS, ES, FS; POP GS, LGS, MOV GS from memory): an accessed bit that the processor's
// load sets in a descriptor holding the operand itself has the monitor complete the load
// (BtMonitor::self_naming_load) rather than restart it at its selector check.
enum RestoreMask : uint8_t {
  kRestoreNone = 0,
  kRestoreEax = 1,
  kRestoreEcx = 2,
  kRestoreEdx = 4,
  kEmulateOnFault = 8,
  kSelectorLoad = 16
};

// guest EIP -> fragment index: open addressing with linear probing (a translation is
// looked up for every exit the translator emits and at every continuation, and std::
// unordered_map allocated a node per fragment).
class FragmentIndex {
 public:
  FragmentIndex() { slots_.assign(kInitial, Slot{}); }
  std::optional<uint32_t> find(uint32_t guest) const;
  void set(uint32_t guest, uint32_t fragment);
  // Removes guest's entry if it names `fragment`.
  void erase(uint32_t guest, uint32_t fragment);
  void clear();
  // Its entries (guest EIP, fragment), by guest EIP: what a saved state carries
  // (bt_state.cpp).
  std::vector<std::pair<uint32_t, uint32_t>> entries() const;

 private:
  static constexpr uint32_t kInitial = 8192;  // a power of two
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  static constexpr uint32_t kErased = 0xFFFFFFFEu;
  struct Slot {
    uint32_t guest = 0;
    uint32_t fragment = kEmpty;
  };
  uint32_t home(uint32_t guest) const {
    return (guest * 0x9E3779B1u) >> (32 - log2_) & (static_cast<uint32_t>(slots_.size()) - 1);
  }
  void grow();
  std::vector<Slot> slots_;
  uint32_t log2_ = 13;
  uint32_t used_ = 0;  // live and erased slots
};

class TranslationCache {
 public:
  // One guest instruction in the TC.
  struct InsnRecord {
    uint32_t tc = 0;     // first TC byte of its translation
    uint32_t guest = 0;  // guest-linear EIP
    uint16_t tc_len = 0;
    uint8_t guest_len = 0;
    Translation how = Translation::kIdent;
    uint8_t restore = kRestoreNone;
    bool sti = false;  // an in-TC STI: the interrupt shadow covers the next instruction
    uint32_t fragment = 0;
  };
  // A fragment exit: a jump (rel32 at patch_at) to a continuation stub, or to a fragment.
  struct Exit {
    uint32_t patch_at = 0;  // TC address of the rel32 field
    uint32_t target = 0;    // guest-linear target
    bool chained = false;
  };
  struct CalloutSite {
    CalloutKind kind = CalloutKind::kEmulate;
    uint32_t guest_eip = 0;  // the instruction (kContinue: the exit's target)
    uint8_t guest_len = 0;
    uint32_t fragment = 0;
    uint32_t exit = 0;    // kContinue: index into the fragment's exits
    uint32_t detail = 0;  // kInt: the vector | kIntInto | kIntIcebp; otherwise the guest opcode
  };
  // kInt's detail tells the one-byte forms from INT n with the same vector: INTO delivers
  // only when OF is set, and INT1 (ICEBP) skips the gate's DPL check as a privileged
  // software exception does (SDM Vol. 3A 6.12.1.1; Vol. 2A, INT n/INTO/INT3/INT1).
  static constexpr uint32_t kIntInto = 0x100;
  static constexpr uint32_t kIntIcebp = 0x200;
  // kSimulate's detail: besides the opcode's first byte, a segment load whose selector the
  // monitor checks against the selector table before the kit executes it
  // (translate_segment.cpp), and the selector's offset in the memory operand (after a far
  // pointer's offset), in the bits from kSimulateSelectorShift.
  static constexpr uint32_t kSimulateLoad = 0x100;
  static constexpr uint32_t kSimulateSelectorShift = 12;
  // kIret's detail: the 16-bit form (an operand-size prefix), whose frame holds words.
  static constexpr uint32_t kIret16 = 0x10000;
  // The one-entry inline cache of an indirect branch (FragmentEmitter::indirect): the
  // patchable fields of `lea ecx,[ecx-P]; jecxz hit; lea ecx,[ecx+P]` and of the hit
  // path's `jmp rel32`, filled by the monitor with the first target that missed there.
  struct InlineCache {
    uint32_t at = 0;         // the first LEA: what the miss path leaves in kSource
    uint32_t neg_disp = 0;   // the first LEA's disp32 (-P)
    uint32_t jecxz = 0;      // the JECXZ's rel8 (0 until filled: both ways lead to the miss)
    uint32_t pos_disp = 0;   // the second LEA's disp32 (+P)
    uint32_t hit = 0;        // the hit path
    uint32_t hit_jump = 0;   // the rel32 of its jump to the predicted target's translation
    uint32_t predicted = 0;  // the guest target, once filled
    bool filled = false;
  };
  struct Fragment {
    uint32_t guest_eip = 0;
    uint32_t tc_start = 0;
    uint32_t tc_end = 0;
    uint16_t guest_bytes = 0;
    uint8_t insns = 0;
    bool live = true;
    uint32_t machine_pages[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};  // where its guest code lies
    uint32_t first_record = 0;
    uint32_t record_count = 0;
    uint32_t first_exit = 0;  // its exits and inline caches, in the cache's flat arrays
    uint32_t exit_count = 0;
    uint32_t first_ic = 0;
    uint32_t ic_count = 0;
  };

  TranslationCache(cpu::Cpu& cpu, vmm::MonitorFrames& frames);
  cpu::Cpu& cpu() { return cpu_; }

  // Takes the frames of the data, the hash table and the TC from the monitor's reserve
  // and maps them in the hole's page table.
  machine::Result<void> init(uint32_t hole_pt_mfn);

  // --- The %gs data (translation_cache.cpp) --------------------------------------------
  uint32_t data32(uint32_t offset) const;
  void set_data32(uint32_t offset, uint32_t value);
  // The physical address of a %gs data byte (the doorbell's frame, for the processor's
  // write watch).
  uint32_t data_physical(uint32_t offset) const {
    return machine_address(layout::kDataBase + offset);
  }
  // The in-TC hash table: the guest-to-TC map that indirect lookups read.
  void hash_insert(uint32_t guest, uint32_t tc);
  void hash_remove(uint32_t guest, uint32_t tc);

  // --- TC memory ------------------------------------------------------------------------
  uint32_t next_address() const { return layout::kTcBase + used_; }
  uint32_t free_bytes() const { return used_ < capacity_ ? capacity_ - used_ : 0; }
  // A cache smaller than the hole's kTcSize bytes (at most that), which fills and flushes
  // sooner: for tests of what a flush does (bt_run_record_test.cpp). Not saved in a snapshot.
  void set_capacity(uint32_t bytes) { capacity_ = std::min(bytes, layout::kTcSize); }
  uint32_t used_bytes() const { return used_; }
  void write(uint32_t tc, const uint8_t* bytes, size_t n);
  void read(uint32_t tc, uint8_t* out, size_t n) const;
  // Reserves the first bytes for code that lives as long as the cache (the lookup routine).
  void set_permanent(uint32_t bytes) {
    permanent_ = bytes;
    used_ = bytes;
  }
  // Marks an address of the permanent code as a precise point (the trampoline).
  void set_permanent_precise(uint32_t tc) { mark_precise(tc); }
  // Points the rel32 jump whose field is at `patch_at` to `target_tc`.
  void patch_rel32(uint32_t patch_at, uint32_t target_tc);
  // Makes inline cache `ic` predict guest target `guest`, translated at `target_tc`.
  void fill_inline_cache(InlineCache& ic, uint32_t guest, uint32_t target_tc);

  // --- Fragments ------------------------------------------------------------------------
  // Adds a fragment whose code has been written at next_address(); records are in TC
  // order and callout sites keyed by the TC address after their INT.
  struct FragmentParts {
    const std::vector<InsnRecord>& records;
    const std::vector<std::pair<uint32_t, CalloutSite>>& callouts;
    const std::vector<uint32_t>& precise;
    const std::vector<Exit>& exits;
    const std::vector<InlineCache>& ics;
  };
  uint32_t commit(Fragment fragment, const FragmentParts& parts);
  std::span<Exit> exits(uint32_t fragment) {
    const Fragment& f = fragments_[fragment];
    return {exits_.data() + f.first_exit, f.exit_count};
  }
  std::span<InlineCache> inline_caches(uint32_t fragment) {
    const Fragment& f = fragments_[fragment];
    return {ics_.data() + f.first_ic, f.ic_count};
  }
  // The live translation starting at a guest EIP.
  std::optional<uint32_t> lookup(uint32_t guest) const;
  std::optional<uint32_t> fragment_of(uint32_t guest) const;
  Fragment& fragment(uint32_t index) { return fragments_[index]; }
  const Fragment& fragment(uint32_t index) const { return fragments_[index]; }
  uint32_t fragment_count() const { return static_cast<uint32_t>(fragments_.size()); }
  uint32_t live_fragments() const { return live_; }
  // The record of the guest instruction whose translation contains `tc`.
  const InsnRecord* record_at(uint32_t tc) const;
  const InsnRecord& record(uint32_t index) const { return records_[index]; }
  // Whether an interrupt may be taken at `tc`: the guest state is exactly the one before
  // some guest instruction (the start of its translation, an exit, a callout's INT).
  bool precise(uint32_t tc) const {
    const uint32_t off = tc - layout::kTcBase;
    return off < layout::kTcSize && (precise_[off >> 3] >> (off & 7) & 1);
  }
  const CalloutSite* callout_at(uint32_t return_tc) const;
  // A callout site of code the monitor emitted itself: a dead entry, or (permanent) the
  // lookup routine's miss.
  void add_callout(uint32_t return_tc, const CalloutSite& site, bool permanent = false) {
    set_callout(return_tc, site);
    if (permanent) permanent_callouts_.emplace_back(return_tc, site);
  }

  // Why a fragment leaves the cache: a guest write to its code's page, an adaptive
  // retranslation that replaces it, or a flush of the full cache.
  enum class DropReason : uint8_t { kInvalidated, kReplaced, kFlushed };
  // Told of each fragment just before the cache drops it, with its code and records still
  // in place (bt_run_record.h keeps them for the run directory). A flush tells its live
  // fragments newest first, then flush_done(); dropping() returning false skips the rest
  // of that flush's fragments. None by default: nothing is called.
  class DropObserver {
   public:
    virtual ~DropObserver() = default;
    virtual bool dropping(const TranslationCache& cache, uint32_t index, DropReason why) = 0;
    virtual void flush_done() {}
  };
  void set_drop_observer(std::shared_ptr<DropObserver> observer) {
    drop_observer_ = std::move(observer);
  }
  DropObserver* drop_observer() const { return drop_observer_.get(); }

  // Makes a fragment unreachable: out of the hashes, its entry overwritten by `entry`
  // (a dead-entry callout or a forwarding jump) so that chained jumps into it still land.
  void retire(uint32_t index, const std::vector<uint8_t>& entry,
              DropReason why = DropReason::kInvalidated);
  // Live fragments with guest code on machine page `mfn`.
  std::vector<uint32_t> fragments_on_page(uint32_t mfn) const;
  // Drops every translation (keeps the permanent code). Returns how many were live.
  uint32_t flush();

  // Saved state (bt_state.cpp, docs/snapshots.md): the host-side index of the TC (its
  // fragments, records, precise points, exits, inline caches, callout sites, the guest and
  // page maps). The TC's bytes and the %gs data are in machine memory. load() is into a
  // cache that init() built and that has translated nothing; it validates every index and
  // TC address and fails `r` otherwise, leaving the cache as it was.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  uint32_t machine_address(uint32_t linear) const;
  void mark_precise(uint32_t tc) {
    const uint32_t off = tc - layout::kTcBase;
    precise_[off >> 3] = static_cast<uint8_t>(precise_[off >> 3] | (1u << (off & 7)));
  }
  // callouts_[at] = site, as one map: appended to the sorted vector when `at` lies past
  // every site there (commits, in TC order), else kept in the map of the others.
  void set_callout(uint32_t at, const CalloutSite& site);

  cpu::Cpu& cpu_;
  vmm::MonitorFrames& frames_;
  std::vector<uint32_t> data_mfn_;  // %gs data and hash pages
  std::vector<uint32_t> tc_mfn_;
  uint32_t used_ = 0;
  uint32_t permanent_ = 0;
  std::vector<Fragment> fragments_;
  std::vector<InsnRecord> records_;
  std::vector<uint8_t> precise_;  // one bit per TC byte
  std::vector<Exit> exits_;
  std::vector<InlineCache> ics_;
  FragmentIndex by_guest_;  // guest EIP -> live fragment
  // The callout sites by return TC address: in TC order (binary search), and the few that
  // came out of order (a dead entry over a retired fragment), which take precedence.
  std::vector<std::pair<uint32_t, CalloutSite>> callouts_ordered_;
  std::unordered_map<uint32_t, CalloutSite> callouts_;
  std::vector<std::pair<uint32_t, CalloutSite>> permanent_callouts_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_page_;  // machine page -> fragments
  uint32_t live_ = 0;
  std::shared_ptr<DropObserver> drop_observer_;
  uint32_t capacity_ = layout::kTcSize;
};

}  // namespace vmlab::modes::bt
