// DebugTarget: a Vm as a debugger sees it, in every mode, through the Vm's front-end
// seams only (docs/architecture.md, "Front-end seams"): the guest's registers and memory
// (through the guest's own paging), breakpoints and watchpoints kept beside the guest
// (never written into its memory), and run control that stops at guest instructions.
//
// Under bt the registers and EIP are the guest's, never the translation cache's: a stop
// happens only where the processor is at a guest instruction boundary
// (GuestCpuView::at_insn_boundary: outside the TC, or at the first byte of one guest
// instruction's translation), so a breakpoint inside a translated block is found at the
// translation of its instruction and a single step is one guest instruction.
//
// Breakpoints and watchpoints are checked after every processor instruction while any is
// set (Vm::step); without them the guest runs in chunks (Vm::run_for) and a run continued
// to its end is the same run as one without a debugger (tests/gdb, determinism).
#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "engine/debug/memory_access.h"
#include "engine/vmm/core/event.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::debug {

// The registers gdb's i386 target description numbers (target_description.h).
inline constexpr unsigned kNumGdbRegs = 36;
// The byte size of register `n` in the g packet.
unsigned gdb_register_size(unsigned n);

// Why a resume ended.
struct StopInfo {
  enum Kind : uint8_t {
    kStep,        // the single step is done
    kBreakpoint,  // a Z0/Z1 breakpoint's address was reached
    kWatchpoint,  // a Z2 watched range changed, or a Z3/Z4 range was read or accessed
    kInterrupt,   // the debugger asked (Ctrl-C)
    kMonitor,     // a `monitor break ...` stop: `detail` says which event
    kExited,      // the machine stopped (Vm::last_stop)
  };
  Kind kind = kStep;
  uint32_t address = 0;     // kWatchpoint: the watched address
  std::string detail;       // kMonitor: one line naming the event
  unsigned watch_type = 2;  // kWatchpoint: 2 write, 3 read, 4 access (the Z packet's type)
};

// A monitor-level stop armed by `monitor break ...`: the next event of `kind` whose
// payload word `field` (0..3: a..d) is `value` (any when none).
struct EventBreak {
  vmm::EventKind kind;
  std::optional<uint32_t> value;
  unsigned field = 0;
};

// One event as a line: "#SEQ cycle C eip 0x... cpl N KIND field=0x... ..." (the payload's
// field names of docs/trace-format.md). With the processor's monitor (bt), an EIP in the
// translation cache is shown as the guest's, the TC's in parentheses.
std::string format_event(const vmm::Event& e, const cpu::Monitor* monitor);

class DebugTarget {
 public:
  // Keeps the last events in the recorder's ring (`monitor events N`).
  static constexpr size_t kEventRing = 4096;
  static constexpr size_t kMaxBreakpoints = 1024;
  static constexpr size_t kMaxHardwareBreakpoints = 4;  // as the four debug registers
  static constexpr size_t kMaxWatchpoints = 4;
  static constexpr uint32_t kMaxWatchLength = 8;

  explicit DebugTarget(vmm::Vm& vm);
  ~DebugTarget();
  DebugTarget(const DebugTarget&) = delete;
  DebugTarget& operator=(const DebugTarget&) = delete;

  vmm::Vm& vm() { return *vm_; }

  // `monitor savevm FILE` (QEMU's savevm, as a file `vmlab run --restore` loads): who writes
  // the snapshot, since the run's identity (its configuration's fingerprint) is the front
  // end's. It returns the line to show, or a text starting with "error: ". Unset: none.
  using SaveVm = std::function<std::string(const std::string& file)>;
  void set_save_vm(SaveVm save) { save_vm_ = std::move(save); }
  const SaveVm& save_vm() const { return save_vm_; }

  // `monitor loadvm FILE` (QEMU's loadvm): who builds the snapshot's machine, since the
  // run's configuration (and the checks a restore makes against it) are the front end's.
  // On success `vm` is the new machine, loaded and paused at the snapshot; the front end
  // owns it, and keeps the machine it replaces alive until the target has let go of it
  // (the next loadvm, or the run's end). Otherwise `vm` is null and `line` an error text
  // starting with "error: ". Unset: refused.
  struct LoadedVm {
    vmm::Vm* vm = nullptr;
    std::string line;
  };
  using LoadVm = std::function<LoadedVm(const std::string& file)>;
  void set_load_vm(LoadVm load) { load_vm_ = std::move(load); }
  // Loads FILE through the LoadVm and goes on with its machine: breakpoints, watchpoints
  // and an armed event break are kept (a watchpoint's bytes are read anew from the loaded
  // memory), the event ring starts empty. Returns the line to show.
  std::string load_vm(const std::string& file);

  // --- Registers (the g packet's order and sizes) --------------------------------------
  std::vector<uint8_t> read_registers() const;
  std::optional<std::vector<uint8_t>> read_register(unsigned n) const;
  // Writes what the guest's state allows: the general registers, EFLAGS' status flags,
  // EIP where the processor runs the guest's own code (not bt's translation cache).
  // Anything else may only be written with its current value. False: nothing written.
  bool write_registers(std::span<const uint8_t> bytes);
  bool write_register(unsigned n, std::span<const uint8_t> bytes);

  // --- Memory: guest-linear addresses through the guest's paging ------------------------
  // Reads as many bytes as are mapped from `linear` on (stops at the first unmapped one).
  size_t read_memory(uint32_t linear, std::span<uint8_t> out) const;
  // Writes only when every byte lies on a page the guest maps to a frame of its own (under
  // direct paging: writably, as the PV monitor's page-table rules demand). False: nothing
  // written.
  bool write_memory(uint32_t linear, std::span<const uint8_t> bytes);

  // --- Breakpoints (Z packets: 0 software, 1 hardware, 2 write, 3 read, 4 access
  // watchpoints). A write watchpoint stops when the watched bytes change; read and access
  // watchpoints when the guest instruction's explicit memory operands (memory_access.h)
  // touch the range. All stop after the instruction, at the next guest boundary.
  bool insert(unsigned type, uint32_t address, uint32_t length);
  bool remove(unsigned type, uint32_t address, uint32_t length);
  void clear_breakpoints();
  void arm_event_break(const EventBreak& b) { event_break_ = b; }
  void disarm_event_break() { event_break_.reset(); }
  const std::optional<EventBreak>& event_break() const { return event_break_; }

  // --- Run control ---------------------------------------------------------------------
  // `poll` is called every so often while the guest runs; true asks for a kInterrupt stop.
  StopInfo step(const std::function<bool()>& poll);
  StopInfo resume(const std::function<bool()>& poll);
  // Runs the processor to the next guest instruction boundary (bt: out of the middle of a
  // translation), where the registers are exactly the guest's; nothing elsewhere. For a
  // debugger that attaches to a guest paused anywhere.
  void settle();
  // Whether the guest has stopped for good (the machine stopped).
  bool exited() const { return vm_->state() == vmm::VmState::kStopped; }
  // The last `n` events, oldest first (at most kEventRing).
  std::vector<vmm::Event> last_events(size_t n) const;

 private:
  struct Watch {
    uint32_t address, length;
    std::vector<uint8_t> last;  // empty: unmapped when last looked at
  };
  // The machine (or, under direct paging, guest-owned machine) address of a linear one.
  std::optional<uint64_t> translate(uint32_t linear, bool for_write) const;
  bool owned_machine_frame(uint64_t machine) const;
  std::vector<uint8_t> watch_bytes(const Watch& w) const;
  // One guest instruction; then whether a breakpoint, watchpoint or event break hit.
  std::optional<StopInfo> step_and_check(bool check_breakpoints);
  // After an event break's watch fired: whether an event since `seq_` matches it.
  std::optional<StopInfo> matched_event();
  bool at_boundary() const;
  // Vm::step (one guest instruction), watching the event break's kind.
  vmm::VmState one_step();

  // Follows the machine `monitor loadvm` swapped in.
  void attach(vmm::Vm& vm);

  vmm::Vm* vm_;
  std::set<uint32_t> soft_, hard_;
  std::vector<Watch> watches_;
  struct AccessWatch {
    uint32_t address, length;
    unsigned type;  // 3 read, 4 access
  };
  std::vector<AccessWatch> access_watches_;
  AccessDecoder decoder_;
  // A read or access watchpoint the instruction being stepped touches.
  std::optional<StopInfo> access_hit() const;
  std::optional<StopInfo> pending_access_;
  std::optional<EventBreak> event_break_;
  bool event_seen_ = false;
  uint64_t seen_seq_ = 0;  // events with a smaller seq were looked at
  SaveVm save_vm_;
  LoadVm load_vm_;
};

}  // namespace vmlab::debug
