// ShadowMmu: shadow page tables, the software MMU of trap-and-emulate and of first-
// generation VT-x (Adams & Agesen 2006, sections 2 and 4.3; references/papers.md 1d, 1e).
//
// The real CR3 never holds the guest's page directory. It holds a shadow directory in the
// monitor's memory whose entries map guest-linear pages to *machine* frames (guest frames
// through the P2M), filled lazily:
//   - a hidden fault is a miss in the shadow (the guest's tables allow the access): the
//     monitor walks the guest's tables, sets the guest's A (and D) bits as the hardware
//     would, fills the shadow entry and resumes; the guest sees nothing;
//   - a true fault is one the guest's own tables refuse: it is reflected to the guest with
//     the guest's error code, and CR2 = the faulting address;
//   - a trace fault is a write to a guest page-table page: every such page is mapped read-
//     only in every shadow, the write traps, is emulated (by the caller's instruction
//     emulator, which hands the store to write_traced()) and the shadow entries it makes
//     stale are dropped, to be refilled by the next hidden fault.
// Clean pages are mapped read-only so that the first write comes back to set the guest's
// D bit. Shadow roots are cached by guest CR3, so a context switch back to a known address
// space costs no rebuild. With the guest's paging off the shadow is a physical-mode map
// (guest-linear = guest-physical). 4 MiB guest pages are shadowed as 4 KiB pieces. Under
// ring compression the hypervisor hole (0xFC000000 and up) maps the monitor's own pages,
// supervisor-only, and never anything of the guest's. A monitor whose guest runs in a
// guest mode of its own (the VT-like CPU) needs no hole: built without one (hole_pt_mfn
// 0), the shadow covers the guest's whole linear space, the local APIC's page at
// 0xFEE00000 included, as the guest's own page tables say (issue 12, item 12).
//
// The same tracing keeps ring compression's shadow GDT and LDT coherent: the frames of the
// guest's GDT and LDT are traced like page tables (trace_tables), and each emulated store to them
// is handed to a TracedTables listener (DeprivilegedSegments) after it is performed, as VMware's
// monitor traced the guest's descriptor tables (Adams & Agesen 2006; references/papers.md 1e).
//
// Nothing here is specific to ring compression: a VT-x-like monitor running the guest in
// guest mode with shadow paging uses the same calls (activate, page_fault, write_traced,
// invlpg, flush_all) from its exit handlers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/recorder.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/core/write_tracker.h"
#include "engine/vmm/kit/guest_apic.h"
#include "engine/vmm/kit/guest_memory.h"
#include "engine/vmm/kit/monitor_frames.h"

namespace vmlab::vmm {

// Who keeps a shadow of guest tables other than page tables (the shadow GDT).
class TracedTables {
 public:
  virtual ~TracedTables() = default;
  // The guest stored `size` bytes at guest-physical `gpa`, on a frame of trace_tables();
  // the store has been performed.
  virtual void table_written(uint32_t gpa, unsigned size) = 0;
  // The guest's address space changed (activate: a CR3 load, paging on or off): the
  // guest-linear tables may now lie in other frames.
  virtual void address_space_changed() = 0;
};

// Write tracking for live migration (shadow_dirty.cpp; docs/migration.md, "Write tracking"):
// while it is on, every shadow PTE of a guest frame not yet written in the round is
// read-only, so the guest's first write to the frame is a hidden fault that logs it and
// fills the entry writable.
class ShadowMmu : public WriteTracker, public TracedFrames {
 public:
  static constexpr uint32_t kMaxRoots = 32;
  // A cached root that takes this many traced writes while it is not in use is taken to
  // be a freed page directory and is dropped (VMware's "drop traces" heuristic, 1e).
  static constexpr uint32_t kStaleRootWrites = 64;

  ShadowMmu(cpu::Cpu& cpu, Recorder& recorder, const P2m& p2m, MonitorFrames& frames,
            GuestMemory& memory, const VirtualCpu& vcpu, uint32_t hole_pt_mfn);
  ~ShadowMmu();
  // Whether the top 64 MiB are the monitor's (ring compression) or the guest's (VT).
  bool has_hole() const { return hole_pt_mfn_ != 0; }
  ShadowMmu(const ShadowMmu&) = delete;
  ShadowMmu& operator=(const ShadowMmu&) = delete;

  // --- Address spaces -------------------------------------------------------------------
  // Points the real CR3 at the shadow of the guest's current paging state: the cached
  // root of vcpu.cr3 (built empty when new), or the physical-mode map with paging off.
  // Call after the guest loads CR3 or turns paging on or off.
  void activate();
  // Drops every shadow (the guest changed CR0.WP or CR4.PSE, which change what every
  // shadow entry means; or the monitor ran out of frames) and activates afresh.
  void flush_all();
  // The guest's INVLPG. The shadows are kept coherent by tracing, so only the real TLB
  // entry goes.
  void invlpg(uint32_t lin);
  // Ring compression: the guest-physical page of the guest's local APIC, which is never
  // shadowed (every access there is executed for the guest: FaultKind::kDevice), after
  // the guest moved it with IA32_APIC_BASE (guest_apic.h; kNoApicPage: none). A change
  // drops every shadow, so that neither page keeps a mapping made for the other meaning.
  void set_apic_page(uint32_t gpa);

  // --- Page faults ----------------------------------------------------------------------
  enum class FaultKind : uint8_t {
    kHidden,        // filled; resume the guest
    kTrue,          // reflect #PF(guest_error_code) with CR2 = the address
    kTrace,         // a write to a tracked guest page-table page: emulate it (write_traced)
    kEmulateWrite,  // a supervisor write the guest allows only because its CR0.WP is clear
    // An access the guest allows to a device page (device_pages.h: the I/O APIC's, and
    // under a monitor with a hole the local APIC's): never mapped in the shadow, so every
    // access comes here to be emulated (under VT the local APIC's page is mapped: its
    // accesses exit as APIC accesses instead).
    kDevice,
  };
  struct FaultOutcome {
    FaultKind kind;
    uint32_t guest_error_code = 0;
    uint32_t gpa = 0;  // the guest-physical address written (kTrace, kEmulateWrite)
  };
  // A #PF the real processor raised on the shadow tables. Records hidden_fault or
  // true_fault.
  FaultOutcome page_fault(uint32_t lin, uint32_t error_code);
  // Performs an emulated store of `size` bytes (1, 2 or 4, within one page) to a tracked
  // guest page-table page and drops the shadow entries it makes stale. Records
  // guest_pt_write, and shadow_update for each shadow entry dropped. True when the page was
  // a guest page table (a traced descriptor table alone is not).
  bool write_traced(uint32_t gpa, uint32_t value, unsigned size) override;

  // --- Traced descriptor tables ---------------------------------------------------------
  // The listener of writes to the frames of trace_tables() (at most one; null: none).
  void set_table_listener(TracedTables* listener) { tables_ = listener; }
  // Replaces the set of guest frames traced for the listener: from now on every shadow
  // maps them read-only and a guest store to them is a kTrace fault.
  void trace_tables(const std::vector<uint32_t>& gfns);
  const std::vector<uint32_t>& traced_tables() const { return table_frames_; }

  // --- Inspection (tests, the GUI) ------------------------------------------------------
  bool tracked(uint32_t gfn) const override;
  uint32_t cached_roots() const { return static_cast<uint32_t>(roots_.size()); }
  uint32_t root_machine_frame() const;
  // The shadow PTE for `lin` in the current root (0 when none).
  uint32_t shadow_pte(uint32_t lin) const;

  // --- Write tracking (WriteTracker; shadow_dirty.cpp) ----------------------------------
  std::string mechanism() const override { return "shadow write protection"; }
  void start_tracking() override;
  void take_dirty(std::vector<uint8_t>& dirty) override;
  void peek_dirty(std::vector<uint8_t>& dirty) const override;
  void stop_tracking() override;
  uint64_t tracking_faults() const override { return track_faults_; }
  uint64_t tracking_cycles() const override { return track_cycles_; }
  // What the exit that hands the monitor a #PF costs beyond the trap event's own cost (a
  // VT-x monitor's entry and VMCS accesses), counted in tracking_cycles.
  void set_fault_entry_extra(uint64_t cycles) { fault_entry_extra_ = cycles; }

  // --- Saved state (kit_state.cpp, docs/snapshots.md) ------------------------------------
  // The cached roots with their shadow tables' frames, the current root, the LRU clock,
  // the reverse maps (which roots use a guest frame as PD or PT, which shadow entries map a
  // frame writable) and the traced descriptor-table frames. The shadow tables' contents are
  // in machine memory. load() validates every frame and index and fails `r` otherwise.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  static constexpr uint32_t kPhysicalKey = 0xFFFFFFFFu;  // the paging-off root
  static constexpr uint32_t kLargeTag = 0xFFFFFFFEu;     // a shadow PT of a 4 MiB page
  static constexpr uint32_t kPhysTag = 0xFFFFFFFDu;      // a shadow PT of the physical map

  struct Root {
    uint32_t key = 0;     // guest CR3 (page-directory base) or kPhysicalKey
    uint32_t pd_mfn = 0;  // the shadow page directory
    uint64_t last_use = 0;
    uint32_t stale_writes = 0;
    std::array<uint32_t, 1024> pt_mfn{};   // shadow page tables (0: none)
    std::array<uint32_t, 1024> shadows{};  // the guest PT frame each one shadows, or a tag
  };
  // Who shadows a guest frame: the roots of which it is the page directory, the shadow
  // page tables of which it is the guest page table.
  struct Users {
    std::vector<Root*> as_pd;
    std::vector<std::pair<Root*, uint16_t>> as_pt;
    bool empty() const { return as_pd.empty() && as_pt.empty(); }
  };

  uint32_t fill(uint32_t lin, const GuestWalk& walk);
  Root* create_root(uint32_t key);
  void drop_root(Root* root);
  void drop_pt(Root& root, uint32_t index);
  void add_user(uint32_t gfn, Root* root, int pt_index);
  void remove_user(uint32_t gfn, Root* root, int pt_index);
  void revoke_writable(uint32_t gfn);
  void ensure_frames();
  uint32_t machine_frame_of(uint32_t gfn) const;
  void load_real_cr3(uint32_t pd_mfn);
  void real_tlb_flush();
  void real_invlpg(uint32_t lin);

  cpu::Cpu& cpu_;
  Recorder& recorder_;
  const P2m& p2m_;
  MonitorFrames& frames_;
  GuestMemory& memory_;
  const VirtualCpu& vcpu_;
  uint32_t hole_pt_mfn_;  // 0: no hole
  uint32_t guest_pdes_;   // the page-directory entries that shadow the guest: 1008 or 1024
  uint32_t apic_gfn_ = kApicPage / 4096;  // set_apic_page()
  std::vector<std::unique_ptr<Root>> roots_;
  Root* current_ = nullptr;
  uint64_t use_clock_ = 0;
  std::unordered_map<uint32_t, Users> users_;
  // Machine addresses of shadow PTEs that map a guest frame writable, so that they can be
  // made read-only when the frame becomes a tracked page table. Entries may be stale
  // (checked on use).
  std::unordered_map<uint32_t, std::vector<uint32_t>> writable_;
  TracedTables* tables_ = nullptr;
  std::vector<uint32_t> table_frames_;  // sorted, unique
  bool table_frame(uint32_t gfn) const;

  // Write tracking (shadow_dirty.cpp). Per guest frame: kUnprotected, kProtected (its
  // shadow entries lost R/W for the round), kWritten (logged this round).
  enum TrackState : uint8_t { kUnprotected = 0, kProtected = 1, kWritten = 2 };
  // Before a fill: whether this fault is one the tracking caused (the entry is present and
  // read-only only because the frame is protected).
  bool tracking_fault(uint32_t lin, uint32_t gfn, bool write) const;
  // After a fill of `lin` (the shadow PTE `spte`): logs a write, or keeps the entry
  // read-only for a frame not yet written in the round.
  void track_fill(uint32_t lin, uint32_t gfn, bool write, uint32_t spte);
  void protect_written();
  bool tracking_ = false;
  std::vector<uint8_t> track_;  // TrackState per guest frame
  uint64_t track_faults_ = 0;
  uint64_t track_cycles_ = 0;
  uint64_t fault_entry_extra_ = 0;
};

}  // namespace vmlab::vmm
