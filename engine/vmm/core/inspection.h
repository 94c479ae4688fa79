// Inspection: what a front end (the GUI, a lab checker, `vmlab bt-dump`) may look at in a
// Vm, in every mode, without knowing the mode's classes. Each mode fills in the virtuals of
// vmm::Mode that return these (mode.h, "Inspection"); Vm (vm.h) adds bounds-checked reads
// of guest-physical and machine memory. Everything is plain data: rows, not text.
//
// Threading: call these on the thread that owns the Vm, while it does not run (paused,
// stopped, or between calls) — docs/architecture.md, "Threading".
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/cpu/cpu_state.h"

namespace vmlab::vmm {

// The processor as it is, and the virtual CPU the guest believes it runs on. Under native
// and the VT modes the guest's registers are the processor's (CR0/CR4 read through the
// read shadows; CR3 is the guest's own under nested paging, the monitor keeps it under
// shadow paging); under ring compression (trap --cpu classic, bt) and pv the kernel runs
// in ring 1 and the monitor keeps the virtual CPL, IF, control and table registers.
struct GuestCpuView {
  cpu::CpuState hardware;           // the real processor's registers
  uint32_t eip = 0;                 // the guest's EIP (bt: the guest instruction of the TC's)
  uint8_t cpl = 0;                  // the CPL the guest believes in
  bool interrupts_enabled = false;  // the guest's IF (virtual where the monitor keeps one)
  uint32_t eflags = 0;              // EFLAGS as the guest would read it (IF its own)
  uint32_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0;
  cpu::TableRegister gdtr, idtr;
  bool deprivileged = false;  // the guest kernel runs outside ring 0 (the view is virtual)
  // The CS selector as the guest knows it (ring compression: RPL 1 shown as 0; bt in the
  // translation cache: the guest kernel's, not the TC's).
  uint16_t cs = 0;
  // The processor is at a guest instruction boundary, where `hardware`'s general registers
  // and `eip` are exactly the guest's: always, but under bt inside the translation cache
  // only at the first byte of a guest instruction's translation (a debugger stops there).
  bool at_insn_boundary = true;
};

// Which tables the hardware walks for the guest's linear addresses.
enum class RealPaging : uint8_t {
  kGuestTables,  // the guest's own (native)
  kShadow,       // shadow tables the monitor builds from the guest's (classic, VT, bt)
  kNested,       // the guest's tables, then a nested table for every guest-physical address
  kDirect,       // the guest's tables hold machine frames, validated by the monitor (pv)
};
std::string_view to_string(RealPaging paging);

// The P2M as ranges: guest frames [first_gfn, first_gfn + count) are machine frames
// [first_mfn, ...). Frames not listed are unbacked.
struct P2mRange {
  uint32_t first_gfn = 0;
  uint32_t first_mfn = 0;
  uint32_t count = 0;
};

// One 4 KiB page of the guest's linear address space, as the guest maps it and as the
// hardware does. Entries are raw 32-bit PDE/PTE values (a 4 MiB page: pte = pde).
struct PageRow {
  uint32_t linear = 0;  // the page's address
  uint32_t guest_pde = 0, guest_pte = 0;
  // The guest's translation: a guest-physical address (pv: a machine address).
  std::optional<uint32_t> guest_address;
  // Shadow and direct: the hardware's entries. Nested: the guest's (pde, pte) and here the
  // nested table's entries for the guest-physical page (nested_pde, nested_pte).
  uint32_t real_pde = 0, real_pte = 0;
  // The machine address the hardware reaches for this page (none: it faults first).
  std::optional<uint32_t> machine_address;
  enum Flag : uint8_t {
    kGuestWritable = 1,  // the guest's entries allow writes
    kGuestUser = 2,
    kRealWritable = 4,  // the hardware's (shadow, nested or direct) allow writes
    kRealUser = 8,
    kLarge = 16,  // a 4 MiB page in the guest's directory
  };
  uint8_t flags = 0;
  // The hardware's mapping is not the guest's mapping sent through the P2M with the
  // guest's rights: a shadow entry not yet filled (hidden fault), a write-protected
  // page-table page, a frame elsewhere.
  bool differs = false;
};

// A BT translation (fragment) of the translation cache.
struct TranslationRow {
  uint32_t index = 0;
  uint32_t guest_start = 0;  // guest-linear
  uint32_t guest_bytes = 0;
  uint32_t tc_start = 0;  // TC addresses (linear, in the hypervisor hole)
  uint32_t tc_end = 0;
  uint32_t guest_insns = 0;
  uint32_t translated_insns = 0;  // instructions of translated code, exit stubs included
  uint32_t callouts = 0;          // call sites into the monitor
};

// One guest instruction of a translation and its translated code.
struct TranslatedInsn {
  uint32_t guest = 0;     // guest-linear (an exit stub's record: its target)
  uint8_t guest_len = 0;  // 0: an exit stub, not a guest instruction
  std::array<uint8_t, 16> guest_bytes{};
  uint32_t tc = 0;
  std::vector<uint8_t> tc_bytes;
  std::string_view how;  // "IDENT", "remap", "in-TC", "callout", ... (static names)
};

// A call into the monitor from translated code: the TC address after the call.
struct CalloutSite {
  uint32_t return_address = 0;
  std::string_view kind;   // static name
  uint32_t guest_eip = 0;  // the guest instruction (a continuation: its target)
  bool continuation = false;
};

// A translation with everything bt-dump and the GUI's code view show.
struct TranslationDetail {
  TranslationRow fragment;
  std::vector<TranslatedInsn> insns;
  uint32_t stubs_tc = 0;  // the code after the last instruction's: exit stubs
  std::vector<uint8_t> stubs;
  std::vector<CalloutSite> callouts;
  struct Exit {
    uint32_t target = 0;
    bool chained = false;
  };
  std::vector<Exit> exits;
  struct InlineCache {
    uint32_t at = 0;
    uint32_t predicted = 0;
    bool filled = false;
  };
  std::vector<InlineCache> inline_caches;
};

// Walks 32-bit two-level tables (no PAE) at `root` for `linear`: `read32(address)` reads
// one entry (nothing: outside memory, which ends the walk as not present). `pse`: 4 MiB
// pages (CR4.PSE).
struct TableWalk {
  uint32_t pde = 0, pte = 0;
  std::optional<uint32_t> address;  // the translation, when present at both levels
  bool large = false, writable = false, user = false;
};
class Vm;
struct VirtualCpu;
// The view of a guest under ring compression (trap --cpu classic, bt): the kernel runs in
// ring 1, and the monitor's VirtualCpu holds CPL 0's IF, IOPL, control and table registers.
GuestCpuView ring_compressed_view(const Vm& vm, const VirtualCpu& vcpu);

TableWalk walk_tables(const std::function<std::optional<uint32_t>(uint32_t)>& read32, uint32_t root,
                      uint32_t linear, bool pse);
// The same for PAE tables (SDM Vol. 3A, 4.4): the PDPT at CR3[31:5], then 64-bit PDEs and
// PTEs, 2 MiB pages (`large`). `pde` and `pte` hold the entries' low halves. A frame or a
// table above 4 GiB is unbacked (no translation: the processor reads all ones there). The
// PDPTEs are read from memory, not the processor's PDPTE registers: a guest that changed
// its PDPT without reloading CR3 is shown what its next CR3 load would use.
TableWalk walk_tables_pae(const std::function<std::optional<uint32_t>(uint32_t)>& read32,
                          uint32_t cr3, uint32_t linear);
// The guest's walk as its CR4 selects it: PAE tables with CR4.PAE, else 32-bit ones (with
// 4 MiB pages under CR4.PSE).
TableWalk walk_guest_tables(const std::function<std::optional<uint32_t>(uint32_t)>& read32,
                            uint32_t cr3, uint32_t cr4, uint32_t linear);

}  // namespace vmlab::vmm
