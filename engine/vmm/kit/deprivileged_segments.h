// DeprivilegedSegments: ring compression's half of the monitor (DESIGN.md, "engine/vmm").
//
// The real GDTR points at a shadow GDT in the monitor's memory that copies the guest's
// code and data descriptors with DPL 0 compressed to DPL 1 and every limit cut below the
// hypervisor hole, as Xen does for 32-bit PV guests (exactly: a page-granular cut is
// rounded down, never into the hole; an expand-down segment that reaches the hole is
// loaded empty, and the monitor executes its accesses); it is rebuilt when the guest runs LGDT.
// System descriptors (TSS, LDT, gates) are not copied: the real TR names the monitor's own TSS,
// whose SS1:ESP1 follow the guest TSS's SS0:ESP0, and the real IDT is the monitor's (in vmlab the
// cpu::Monitor interface: every event enters the monitor first). The guest can read all three real
// registers with SGDT, SIDT and STR, which do not trap: it sees the monitor's values (Robin &
// Irvine 2000).
//
// The shadow follows the guest's later writes too: once attached to the shadow MMU, the
// guest-physical frames of the guest's GDT are traced (write-protected in every shadow),
// and each store to them recompresses the descriptors it touched (table_written), as
// VMware's monitor traced the guest's descriptor tables (Adams & Agesen 2006;
// references/papers.md 1e). The frames are resolved through the guest's page tables at
// LGDT and again at every change of address space (CR3 load, paging on or off). The
// guest's IDT needs no shadow (every event enters the monitor, which reads the guest's
// gate at delivery, guest_event_injector.h), nor its TSS (read at LTR and at each delivery). The
// guest's LDT is copied into a shadow LDT in the hole at LLDT, and traced the same way.
//
// All of it lives in the hypervisor hole, 0xFC000000 and up, mapped supervisor-only in
// every shadow address space by one monitor page table (hole_pt_mfn()).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/machine/result.h"
#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/kit/guest_memory.h"
#include "engine/vmm/kit/monitor_frames.h"
#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {

class DeprivilegedSegments : public TracedTables {
 public:
  // Where its structures lie in the hole (hypervisor_hole.h, the one map of it).
  static constexpr uint32_t kHoleBase = hole::kBase;
  static constexpr uint32_t kHoleLimit =
      hole::kLastGuestByte;                               // the last byte a guest segment reaches
  static constexpr uint32_t kGdtBase = hole::kShadowGdt;  // 64 KiB: 8192 descriptors
  static constexpr uint32_t kGdtPages = hole::kShadowGdtPages;
  static constexpr uint32_t kTssBase = hole::kMonitorTss;
  static constexpr uint32_t kIdtBase = hole::kMonitorIdt;
  // The shadow LDT: 64 KiB, 8192 descriptors, its frames taken at the first LLDT.
  static constexpr uint32_t kLdtBase = hole::kShadowLdt;
  static constexpr uint32_t kLdtPages = hole::kShadowLdtPages;
  // The monitor's TSS descriptor: the last GDT slot, which no guest selector below the
  // guest's own limit can name.
  static constexpr uint16_t kMonitorTss = 0xFFF8;
  static constexpr uint16_t kTssLimit = 103;  // no I/O bitmap: every port faults at CPL > IOPL
  // Flat ring-1 code and data at the Multiboot boot selectors, used until the guest's
  // first LGDT (Multiboot leaves GDTR undefined; the kernel must load its own).
  static constexpr uint16_t kBootCode = 0x08;
  static constexpr uint16_t kBootData = 0x10;

  DeprivilegedSegments(cpu::Cpu& cpu, MonitorFrames& frames);
  // Allocates the monitor's GDT, TSS, IDT and the page table of the hole.
  machine::Result<void> init();
  uint32_t hole_pt_mfn() const { return hole_pt_mfn_; }

  // Sets the real GDTR, IDTR and TR to the monitor's structures and the real segment
  // registers to the flat ring-1 boot descriptors.
  void enter_boot_state();
  // LGDT: copies the guest's descriptors from its GDT (through guest memory), compressed.
  // False, with a message, when the guest's GDT cannot be read.
  bool rebuild(GuestMemory& mem, const VirtualCpu& vcpu, std::string& error);
  // LLDT of `selector`, whose descriptor `ldt` the caller has checked (a present LDT
  // descriptor in the guest's GDT, SDM Vol. 2, LLDT): copies the guest's LDT compressed
  // into the shadow LDT and points the real LDTR at it, keeping the guest's selector
  // (which SLDT, unprivileged, returns). False, with a message, when the monitor's
  // reserve holds no frame for the shadow LDT.
  bool load_ldt(uint16_t selector, uint64_t ldt, GuestMemory& mem, std::string& error);
  // LLDT of a null selector: no LDT; every LDT selector faults.
  void clear_ldt(uint16_t selector);

  // Keeps the shadow GDT coherent with the guest's GDT from now on: traces its frames
  // through `shadow` (and becomes its table listener). `mem` and `vcpu` are the guest's,
  // as given to rebuild(); all three outlive this object's use of them.
  void attach(ShadowMmu& shadow, GuestMemory& mem, const VirtualCpu& vcpu);
  // TracedTables: a guest store to its GDT; a change of the guest's address space.
  void table_written(uint32_t gpa, unsigned size) override;
  void address_space_changed() override;
  // The guest frame of each page of the guest's GDT and LDT (kNoFrame: not mapped).
  static constexpr uint32_t kNoFrame = 0xFFFFFFFFu;
  const std::vector<uint32_t>& gdt_frames() const { return gdt_.frames; }
  const std::vector<uint32_t>& ldt_frames() const { return ldt_.frames; }

  // A descriptor of the shadow GDT, or of the shadow LDT for a selector with TI set
  // (what the hardware will use for `selector`; 0 outside the table).
  uint64_t descriptor(uint16_t selector) const;
  // The guest's own descriptor for `selector`, as its GDT or LDT holds it now (before
  // compression), for a selector the shadow copied; nullopt for a null selector, one past
  // the copied entries, one the guest's tables do not map, or before attach(). Before the
  // guest's first LGDT, the flat 4 GiB descriptors Multiboot leaves at kBootCode and
  // kBootData (the segments a kernel finds at entry, SDM Vol. 3A, 3.4.5).
  std::optional<uint64_t> guest_descriptor(uint16_t selector) const;
  // The guest's own descriptor that the segment register `seg` was loaded from, as far as
  // the shadow can tell: the guest's descriptor now when it compresses to what `seg` holds;
  // else the last guest descriptor of the slot whose cut copy it holds (the guest rewrote
  // the slot since the load, which natively leaves the register alone: the cut copies of
  // the last 64 descriptors the cut shortened are kept for this); else the one now.
  std::optional<uint64_t> guest_descriptor_loaded(const cpu::SegmentCache& seg) const;
  // The guest's own descriptor of the code segment `selector` names, where the cut
  // shortened it: a code segment with the same `base` whose limit is longer than
  // `cut_limit`. An offset beyond the cut but within its limit (in the hole, or the gap
  // below it) is the guest's right: a far transfer's target, a return's, a handler's.
  std::optional<cpu::Descriptor> guest_code_beyond_cut(uint16_t selector, uint32_t base,
                                                       uint32_t cut_limit) const;
  // The accessed bit (SDM Vol. 3A, 3.4.5.1: a segment load sets the descriptor's accessed
  // bit, type bit 0, in the table in memory). The processor sets it in the shadow, which the
  // guest never reads: so the shadow GDT's and LDT's pages are mapped read-only in the hole
  // (nothing else of the processor writes them: LTR is emulated, the monitor's TSS
  // descriptor is busy from the start) and its write of the bit faults into the monitor,
  // which sets the bit in the guest's own descriptor first, through the guest's page tables
  // and the traced path that keeps the shadow coherent (the shadow copy then has it, and the
  // processor's load, restarted, writes nothing). A load the monitor makes itself (an
  // emulated IRET, far RET, POP SS, a gate, an event's delivery) calls mark_accessed.
  struct AccessedMark {
    enum class Kind : uint8_t {
      kNotTable,    // not a guest descriptor of the shadow: nothing done
      kMarked,      // the guest's descriptor has the bit, and so has the shadow's copy
      kGuestFault,  // the guest's own write would fault natively: #PF with cr2, error_code
    };
    Kind kind = Kind::kNotTable;
    uint32_t cr2 = 0;
    uint32_t error_code = 0;
  };
  // A #PF of the real processor at hole-linear `linear` with `error_code`: its write of an
  // accessed bit into the shadow GDT or LDT (a supervisor write to a present page), or
  // kNotTable.
  AccessedMark accessed_write(uint32_t linear, uint32_t error_code);
  // Sets the accessed bit of the guest's descriptor that the shadow slot of `selector` copies
  // (kNotTable: a null selector, one past the copied slots, or a monitor slot).
  AccessedMark mark_accessed(uint16_t selector);
  // The scratch processor's view of the same write: the guest-linear address of the byte
  // of the guest's table that the shadow's byte at hole-linear `linear` copies, or nullopt.
  std::optional<uint32_t> guest_table_linear(uint32_t linear) const;
  // After the scratch processor wrote machine address `ma`: when it lies in the shadow GDT
  // or LDT, the accessed bit it set is the guest's too (mark_accessed of that slot).
  void machine_written(uint32_t ma);

  // The listener told before a guest slot of the shadow changes (a traced store, LGDT,
  // LLDT, a change of address space): bt keeps the descriptor of the guest's virtual %gs
  // as it was loaded (modes/binary-translation, BtMonitor::descriptor_changing), and
  // rechecks the slot's RPL-1 selector (BtMonitor::slot_copied).
  class SlotListener {
   public:
    virtual void descriptor_changing(uint16_t selector, uint64_t old_shadow) = 0;
    // After the shadow slot of a guest selector (RPL 0) was written from the guest's table,
    // changed or not (DPL 0 and DPL 1 compress alike): bt's selector table rechecks it.
    virtual void slot_copied(uint16_t selector) { (void)selector; }

   protected:
    ~SlotListener() = default;
  };
  void set_slot_listener(SlotListener* listener) { slot_listener_ = listener; }

  // Keeps the monitor TSS's SS1:ESP1 equal to the guest TSS's SS0:ESP0 (compressed).
  void sync_tss(uint16_t guest_ss0, uint32_t guest_esp0);

  // The compression of one guest descriptor (a pure function, for tests and docs).
  static uint64_t compress(uint64_t guest_descriptor);
  // Whether compress() loads this guest descriptor empty: an expand-down data segment
  // whose valid range reaches the hole (its top cannot be cut), every access through
  // which the monitor executes with the guest's own limit.
  static bool empty_expand_down(uint64_t guest_descriptor);

  // A far transfer (JMP, CALL, RET, IRET) whose target lies beyond the cut limit of its
  // code segment but within the guest's own (in the hole, or in the gap a page-granular
  // cut leaves below it): the monitor has the real processor perform it, with all its
  // checks, while this object lives. The shadow slot of `selector` holds the guest's own
  // limit from construction to destruction (the monitor runs no guest instruction in
  // between); then the cut is back, in the slot and in the CS cache the transfer loaded,
  // so that the processor fetches nothing beyond it (each instruction there faults and
  // is executed by the monitor). Nothing changes for any other selector.
  class UncutTarget {
   public:
    UncutTarget(DeprivilegedSegments& segments, cpu::CpuState& state, uint16_t selector);
    ~UncutTarget();
    UncutTarget(const UncutTarget&) = delete;
    UncutTarget& operator=(const UncutTarget&) = delete;
    // Whether the slot was widened (a code segment the cut shortened).
    bool widened() const { return cut_.has_value(); }

   private:
    DeprivilegedSegments& segments_;
    cpu::CpuState& state_;
    uint16_t selector_;
    std::optional<uint64_t> cut_;
  };

  // Whether `selector` names a slot the shadow copied from the guest's GDT or LDT: within
  // the guest's table limit and below the monitor's own slots (the null GDT slot is not;
  // before the first LGDT, the boot selectors are). A far transfer the monitor has the
  // processor make for the guest to any other selector is #GP(selector), as the guest's
  // table limit gives natively: the shadow's slots past it are empty or the monitor's own
  // (its TSS; bt's TC code and %gs data segments, DPL 1), which no guest selector may name.
  bool guest_slot(uint16_t selector) const;
  // The GDT slots the shadow copied at the guest's last LGDT (0 before the first): its
  // limit's, capped below the monitor's own slots.
  uint32_t gdt_entries() const { return gdt_.entries; }
  // The LDT slots the shadow LDT copied at the guest's last LLDT (0: no LDT).
  uint32_t ldt_entries() const { return ldt_.entries; }
  // The shadow copy of a guest call gate (the processor takes it for one transfer,
  // GateInSlot): DPL 0 as 1, like the descriptors of compress(); the rest as the guest's.
  static uint64_t compress_gate(uint64_t guest_gate);
  // A far JMP or CALL through a guest call gate (emulate_call_gate.cpp): the slot of
  // `selector`, a guest slot (guest_slot()), holds `gate` from construction to destruction,
  // while the monitor has the processor make the one transfer (no guest instruction runs
  // in between); then the slot is empty again, as compress() leaves system descriptors.
  class GateInSlot {
   public:
    GateInSlot(DeprivilegedSegments& segments, uint16_t selector, uint64_t gate);
    ~GateInSlot();
    GateInSlot(const GateInSlot&) = delete;
    GateInSlot& operator=(const GateInSlot&) = delete;

   private:
    DeprivilegedSegments& segments_;
    uint16_t selector_;
    uint64_t before_;
  };

  // --- Added for binary translation (modes/binary-translation) -----------------------
  // Writes one of the monitor's own descriptors into the shadow GDT: the translation
  // cache's code segment and the %gs segment of the translator's data. Their slots lie
  // just below kMonitorTss, above any descriptor a guest GDT of normal size fills.
  // Guest descriptors are never copied into or above the lowest such slot.
  // Saved state (kit_state.cpp): the frames of the shadow GDT, LDT, TSS and IDT, the first
  // monitor slot, and the guest tables being traced. load() fails `r` on a bad frame.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

  // A code or data descriptor goes in with its accessed bit set: the processor's loads of it
  // then never write the shadow's read-only pages.
  void install_monitor_descriptor(uint16_t selector, uint64_t raw) {
    if (cpu::Descriptor{raw}.s()) raw |= uint64_t{1} << 40;
    write_desc(selector >> 3, raw);
    if ((selector >> 3) < first_monitor_slot_) first_monitor_slot_ = selector >> 3;
  }

 private:
  void write_desc(uint32_t index, uint64_t raw);
  void write_slot(uint16_t selector, uint64_t raw);
  // UncutTarget: the guest's limit into the slot (returning the cut descriptor), and back.
  std::optional<uint64_t> uncut_code(uint16_t selector);
  void recut(uint16_t selector, uint64_t cut);
  uint32_t machine_addr(uint32_t hole_offset) const;

  cpu::Cpu& cpu_;
  MonitorFrames& frames_;
  uint32_t hole_pt_mfn_ = 0;
  uint32_t gdt_mfn_[kGdtPages] = {};
  uint32_t tss_mfn_ = 0;
  uint32_t idt_mfn_ = 0;
  uint32_t ldt_mfn_[kLdtPages] = {};  // 0 until the first LLDT
  uint32_t first_monitor_slot_ = kMonitorTss >> 3;
  SlotListener* slot_listener_ = nullptr;

  // A guest descriptor table the shadow copies: its guest-linear base and the entries
  // copied (at the last LGDT or LLDT), and the guest frame of each of its pages.
  struct Table {
    bool ldt = false;
    uint32_t base = 0;
    uint32_t entries = 0;
    std::vector<uint32_t> frames;
  };
  Table gdt_;
  Table ldt_{true, 0, 0, {}};
  // Tracing (attach): the shadow MMU, the guest's memory and registers.
  ShadowMmu* shadow_ = nullptr;
  GuestMemory* mem_ = nullptr;
  const VirtualCpu* vcpu_ = nullptr;
  std::vector<uint32_t> resolve_frames(const Table& t) const;
  void trace_frames();
  void copy_entry(GuestMemory& mem, const Table& t, uint32_t index);
  void write_ldt_desc(uint32_t index, uint64_t raw);
  void table_written(Table& t, uint32_t gpa, unsigned size);
  // The shadow slot that hole-linear `linear` lies in: the table and the index (nullopt
  // outside the shadow GDT and LDT, or past the guest's copied entries).
  struct ShadowSlot {
    const Table* table;
    uint32_t index;
  };
  std::optional<ShadowSlot> shadow_slot(uint32_t linear) const;
  AccessedMark mark_slot(const Table& t, uint32_t index);
  // The slot whose accessed bit mark_slot is writing into the guest's table.
  struct MarkingSlot {
    const Table* table;
    uint32_t index;
  };
  std::optional<MarkingSlot> marking_;
  // guest_descriptor_loaded's memory: a shadow copy the cut shortened, the slot it went to
  // (selector with TI, RPL 0), and the guest's descriptor it came from.
  struct CutCopy {
    uint16_t slot = 0;
    uint64_t shadow = 0;  // accessed bit clear
    uint64_t guest = 0;
  };
  std::array<CutCopy, 64> cut_copies_{};
  uint32_t next_cut_ = 0;
  void remember_cut(uint16_t slot, uint64_t guest, uint64_t cut);
};

}  // namespace vmlab::vmm
