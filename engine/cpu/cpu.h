// The simulated IA-32 processor: protected mode as a kernel sees it, and real-address mode.
//
// This header is the table of contents of the processor. Each group of declarations
// names the source file that defines it; the instruction semantics themselves are in
// the exec_*.cpp family files and reach the processor only through this interface.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/cpu/bus.h"
#include "engine/cpu/cost_class.h"
#include "engine/cpu/cpu_identity.h"
#include "engine/cpu/cpu_observer.h"
#include "engine/cpu/cpu_state.h"
#include "engine/cpu/insn.h"
#include "engine/cpu/monitor.h"
#include "engine/cpu/state_codec.h"
#include "engine/cpu/task_switch.h"
#include "engine/cpu/vmx.h"

namespace vmlab::cpu {

// A processor exception raised while executing an instruction. Semantic routines throw
// it (through Cpu::fault) before changing architectural state; the run loop catches it,
// rewinds EIP to the faulting instruction and delivers the exception through the IDT.
struct CpuFault {
  uint8_t vector;
  bool has_error_code;
  uint32_t error_code;
};

// A VM exit on its way to the run loop (Cpu::vm_exit): thrown before the instruction
// changes architectural state, like CpuFault; the run loop rewinds EIP to the instruction
// and calls the VmxMonitor (vmx.h).
struct VmExitSignal {
  VmExit exit;
};

// Why Cpu::run returned.
enum class RunEnd : uint8_t {
  kBudget,       // the instruction budget of this call ran out
  kHalted,       // HLT: waiting for an interrupt; the machine advances time and calls run again
  kTripleFault,  // a fault while delivering a double fault: the processor shuts down
  kRequested,    // request_stop() was called (exit port, front end)
  kUnsupported,  // the guest asked for something this model does not implement (see stop_message())
};

// How an interrupt or exception came to be; decides the privilege check on the gate
// (software INT n checks gate DPL against CPL, SDM Vol. 3A, 6.12.1.1) and the return EIP.
enum class EventSource : uint8_t {
  kException,  // a fault or trap raised by an instruction
  kExternal,   // INTR from the interrupt controller
  kSoftware,   // INT n
  kInt3,       // INT3 (one-byte breakpoint): a software interrupt for the DPL check
  kInto,       // INTO
  kNmi,        // the NMI input (vector 2), SDM Vol. 3A 6.7
};

enum class Access : uint8_t { kRead, kWrite, kExecute };

// An event in the format of the VMCS interruption-information fields (interrupts.cpp).
vmx::Interruption interruption_info(uint8_t vector, EventSource source, bool has_error_code,
                                    uint32_t error_code);

// The architectural state as snapshots carry it (cpu_snapshot.cpp): the registers, the
// segment registers with their descriptor caches, GDTR/IDTR/LDTR/TR, CR0-CR4, the MSRs,
// x87 (80 bits a register), HLT and the interrupt shadow. The snapshot's CPU section and
// the first part of save_internal are this.
void save_architectural(ByteWriter& w, const CpuState& s);

class Cpu {
 public:
  Cpu(std::span<uint8_t> ram, Bus& bus);

  CpuState& state() { return s_; }
  const CpuState& state() const { return s_; }

  // Attaches the observer that sees interrupts, CR writes, TLB flushes and page faults
  // (cpu_observer.h); nullptr detaches. Not owned.
  void set_observer(CpuObserver* observer) { observer_ = observer; }
  CpuObserver* observer() const { return observer_; }
  // Attaches the monitor that sees every exception and interrupt before the real IDT
  // (monitor.h); nullptr detaches. Not owned.
  void set_monitor(Monitor* monitor) { monitor_ = monitor; }
  Monitor* monitor() const { return monitor_; }
  // EIP as the guest knows it (Monitor::guest_eip), for reports.
  uint32_t guest_eip() const { return monitor_ ? monitor_->guest_eip(s_.eip) : s_.eip; }

  // --- Execution (cpu.cpp) -------------------------------------------------------------
  // Runs until `max_instructions` retire or `max_units` budget units are used up
  // (budget_units(): the machine's budget, which also counts REP iterations and delivered
  // events, so that a storm in which nothing retires still ends), the processor halts or
  // shuts down, or a stop is requested.
  RunEnd run(uint64_t max_instructions, uint64_t max_units);
  RunEnd run(uint64_t max_instructions) { return run(max_instructions, UINT64_MAX); }
  // Executes exactly one instruction (or delivers one pending interrupt).
  RunEnd step() { return run(1); }
  void request_stop() {
    stop_requested_ = true;
    check_events_ = true;
  }
  // Leaves run() at the next instruction boundary with kBudget, as if its budget had run
  // out there: unlike request_stop() the machine's slice goes on (a pausing
  // machine::Machine::run_until pauses there when asked to). vmm::Vm::step uses it after an
  // instruction that a monitor completed without it retiring on the processor. Events are
  // looked at first in the next run(), as they would have been at that boundary.
  void request_yield() {
    yield_requested_ = true;
    check_events_ = true;
  }
  // The interrupt controller changed its INTR output; recognize it at the next boundary.
  void notify_interrupt_line() { check_events_ = true; }
  // The NMI input (SDM Vol. 3A, 6.7 and 6.7.1): an NMI message (the local APIC's ICR or an
  // LVT entry in NMI mode, an I/O APIC entry in NMI mode) latches one NMI pending; another
  // one while it is pending is lost (at most one waits). A pending NMI is taken at the next
  // instruction boundary outside an STI/MOV SS shadow through IDT vector 2, whatever IF
  // says, unless NMIs are blocked: from the delivery of an NMI until the next IRET
  // (cpu.cpp). It wakes a halted processor. Under a monitor (monitor.h) the NMI enters the
  // monitor, whose handler is host code that returns at once: the blocking stands for its
  // guest's, which the guest's own IRET ends, or the monitor when it emulates that IRET
  // (engine/vmm/kit); in guest mode it is the guest's virtual-NMI blocking (vmx.h).
  void raise_nmi() {
    nmi_pending_ = true;
    check_events_ = true;
  }
  bool nmi_pending() const { return nmi_pending_; }
  bool nmi_blocked() const { return nmi_blocked_; }
  // IRET ends blocking by NMI, even an IRET that faults (SDM Vol. 3C, 27.1: "any blocking
  // by NMI is cleared before the VM exit commences" for a fault during IRET; QEMU clears
  // it only once the IRET completed, a difference no test kernel depends on).
  void nmi_unblocked_by_iret() {
    if (nmi_blocked_) {
      nmi_blocked_ = false;
      check_events_ = true;
    }
  }
  // For a VT monitor's entry (the guest interruptibility state's blocking by NMI) and tests.
  void set_nmi_blocked(bool blocked) {
    nmi_blocked_ = blocked;
    check_events_ = true;
  }
  // Something that affects interrupt recognition changed (IF set, TF set, shadow).
  void request_event_check() { check_events_ = true; }
  // From Monitor::at_event_check: run exactly one more instruction, then look for events
  // (and call at_event_check) again. (request_event_check() there would look again at
  // once, before any instruction.)
  void look_again_after_one_instruction() { window_closed_ = true; }
  const std::string& stop_message() const { return stop_message_; }
  // Stops the run loop with kUnsupported and a message for the user.
  [[noreturn]] void unsupported(const std::string& what);
  // Shuts the processor down (triple fault): run() returns kTripleFault from now on.
  void shutdown(const std::string& why) {
    if (observer_ && !shutdown_) observer_->on_shutdown();
    shutdown_ = true;
    stop_message_ = why;
    check_events_ = true;
  }
  bool is_shut_down() const { return shutdown_; }

  uint64_t instructions_retired() const { return icount_; }
  // The instruction budget's units (run()'s `max_instructions` and the machine's
  // --max-instructions count these): one per retired instruction, one per iteration of a
  // REP string instruction (a REP of n iterations costs n), and one per exception or
  // external interrupt delivered, so that a guest whose every instruction faults, or a
  // monitor that emulates on its behalf, still uses the budget up.
  uint64_t budget_units() const { return units_; }
  // Work done on the guest's behalf outside the run loop (a monitor emulating the
  // iterations of a string instruction): charged to the budget.
  void charge_budget(uint64_t n) { units_ += n; }
  // Budget units left in the current run() call (at least the current instruction may
  // use them): a REP dispatch or an emulated batch stops there, so a run ends exactly.
  uint64_t budget_left() const { return budget_end_ > units_ ? budget_end_ - units_ : 0; }
  // The guest made progress without an instruction retiring in the run loop (a monitor
  // completed an emulated instruction or an iteration batch of one): the no-progress
  // guard starts counting again.
  void note_progress() { progress_streak_ = 0; }
  // Modeled time. RDTSC and the PIT read it; it never depends on the host.
  uint64_t cycles() const { return cycles_; }
  void add_cycles(uint64_t n) { cycles_ += n; }
  // The cycles each instruction class costs (cost_class.h); one cycle each by default.
  void set_class_costs(const ClassCosts& costs) { class_cost_ = costs; }
  const ClassCosts& class_costs() const { return class_cost_; }
  // Advances modeled time while the processor is halted.
  void advance_idle(uint64_t n) { cycles_ += n; }
  // EIP of the instruction being executed (its first prefix byte).
  uint32_t insn_eip() const { return insn_eip_; }
  // Tells the observer that a sensitive, unprivileged instruction retired outside ring 0
  // (cpu_observer.h, on_sensitive). One test when nothing watches.
  void report_sensitive(const Insn& insn) {
    if (observer_ && s_.cpl != 0) observer_->on_sensitive(insn.op, insn.reg);
  }

  // Sets the machine state Multiboot 1 promises a kernel (Multiboot spec 3.2): protected
  // mode, flat 4 GiB code and data segments, paging off, IF clear.
  void reset_multiboot(uint32_t entry, uint32_t eax, uint32_t ebx);

  // --- Registers ------------------------------------------------------------------------
  uint32_t r32(unsigned i) const { return s_.gpr[i]; }
  void set_r32(unsigned i, uint32_t v) { s_.gpr[i] = v; }
  uint16_t r16(unsigned i) const { return static_cast<uint16_t>(s_.gpr[i]); }
  void set_r16(unsigned i, uint16_t v) { s_.gpr[i] = (s_.gpr[i] & 0xFFFF0000u) | v; }
  // 8-bit registers: AL CL DL BL AH CH DH BH.
  uint8_t r8(unsigned i) const {
    return static_cast<uint8_t>(i < 4 ? s_.gpr[i] : s_.gpr[i - 4] >> 8);
  }
  void set_r8(unsigned i, uint8_t v) {
    if (i < 4) {
      s_.gpr[i] = (s_.gpr[i] & 0xFFFFFF00u) | v;
    } else {
      s_.gpr[i - 4] = (s_.gpr[i - 4] & 0xFFFF00FFu) | (uint32_t{v} << 8);
    }
  }
  // Writes EFLAGS as a whole and notices when IF or TF turns on. POPF, IRET and the
  // interrupt gates use it; arithmetic writes the status bits of s_.eflags directly.
  void set_eflags(uint32_t value);

  // --- Faults (cpu.cpp) -----------------------------------------------------------------
  [[noreturn]] void fault(uint8_t vector, uint32_t error_code);
  [[noreturn]] void fault(uint8_t vector);
  [[noreturn]] void fault_gp(uint32_t error_code = 0) { fault(vec::GP, error_code); }
  [[noreturn]] void fault_ud() { fault(vec::UD); }
  // A fault raised without a C++ throw: the run loop delivers it as soon as the routine
  // returns. Only for a routine that returns at once, having changed nothing (the #UD of
  // an undefined opcode). A throw costs over a microsecond of unwinding, which made an
  // exception storm (a handler that faults again) spend four fifths of its time in the
  // unwinder; these faults, the common ones of a storm, skip it.
  void post_fault(uint8_t vector, bool has_error_code, uint32_t error_code) {
    posted_fault_ = CpuFault{vector, has_error_code, error_code};
    fault_posted_ = true;
    posted_kind_ = PostedKind::kFault;
  }
  // A fault or a VM exit raised without a C++ throw but delivered exactly as a thrown one:
  // the run loop leaves the block and takes it where its catch would have. For the port
  // I/O instructions, whose #GP (a deprivileged guest's IN and OUT) and I/O exit (a guest
  // in VT guest mode) are a monitor's commonest events: thrown, they spent a quarter of a
  // `vmlab compare --modes all` in the unwinder (docs/performance.md). Only for a routine
  // that returns at once, having changed nothing.
  void post_fault_as_thrown(uint8_t vector, uint32_t error_code) {
    post_fault(vector, true, error_code);
    posted_kind_ = PostedKind::kAsThrown;
  }
  void post_vm_exit(vmx::ExitReason reason, uint32_t qualification, uint8_t instruction_length) {
    posted_exit_ = VmExit{};
    posted_exit_.reason = reason;
    posted_exit_.qualification = qualification;
    posted_exit_.instruction_length = instruction_length;
    fault_posted_ = true;
    posted_kind_ = PostedKind::kVmExit;
  }
  // For a caller that runs a semantic routine itself (the unit tests): the fault it
  // posted, if any, now taken back.
  bool take_posted_fault(CpuFault& f) {
    if (!fault_posted_ || posted_kind_ == PostedKind::kVmExit) return false;
    fault_posted_ = false;
    posted_kind_ = PostedKind::kFault;
    f = posted_fault_;
    return true;
  }

  // --- Memory through segmentation and paging (memory.cpp) -------------------------------
  // Offsets are checked against the segment's cached limit and rights; a violation raises
  // #GP(0), or #SS(0) for the stack segment. Then the linear address goes through paging.
  uint8_t read8(uint8_t seg, uint32_t offset);
  uint16_t read16(uint8_t seg, uint32_t offset);
  uint32_t read32(uint8_t seg, uint32_t offset);
  void write8(uint8_t seg, uint32_t offset, uint8_t value);
  void write16(uint8_t seg, uint32_t offset, uint16_t value);
  void write32(uint8_t seg, uint32_t offset, uint32_t value);
  // Segment check only: the linear address of [offset, offset+size) in `seg`.
  uint32_t linear(uint8_t seg, uint32_t offset, unsigned size, Access access);

  // Linear accesses with the paging checks of the current CPL. `supervisor` marks the
  // processor's implicit system accesses (GDT, LDT, IDT, TSS), which are made at
  // supervisor privilege whatever the CPL (SDM Vol. 3A, 4.6).
  //
  // fence_system_accesses(from): an implicit system access at a linear address at or above
  // `from` stops the processor (kUnsupported) before it is translated; 0 turns the fence
  // off. A monitor's scratch processor (vmm::ScratchExecution) that executes a guest
  // instruction whose own accesses reach the hypervisor hole sets it, so that the guest's
  // mapping there serves every explicit access and no implicit one ever reads the
  // monitor's tables in the guest's place (or the guest's pages as the monitor's tables).
  void fence_system_accesses(uint32_t from) { system_fence_ = from; }
  uint8_t lin_read8(uint32_t lin, bool supervisor = false);
  uint16_t lin_read16(uint32_t lin, bool supervisor = false);
  uint32_t lin_read32(uint32_t lin, bool supervisor = false);
  void lin_write8(uint32_t lin, uint8_t value, bool supervisor = false);
  void lin_write16(uint32_t lin, uint16_t value, bool supervisor = false);
  void lin_write32(uint32_t lin, uint32_t value, bool supervisor = false);

  // Physical accesses: RAM, else the bus (MMIO or nothing). Writes keep the decoded-
  // instruction cache coherent.
  uint8_t phys_read8(uint32_t pa);
  uint32_t phys_read32(uint32_t pa);
  void phys_write8(uint32_t pa, uint8_t value);
  void phys_write32(uint32_t pa, uint32_t value);
  // A device or the monitor wrote RAM behind the processor's back (DMA, a loader).
  void notify_phys_write(uint32_t pa, uint32_t len);
  // Asks to be told (Monitor::on_code_page_write) at the next write to the RAM page holding
  // `pa`: a binary translator watches the guest pages it translated code from.
  void watch_code_page(uint32_t pa) {
    if (pa / 4096 < page_has_code_.size()) page_has_code_[pa / 4096] = 1;
  }
  std::span<uint8_t> ram() { return ram_; }
  // The dirty log (docs/migration.md, "Write tracking"): one byte per 4 KiB RAM page, set
  // by every store of the processor to RAM and by every notify_phys_write (a device's or a
  // monitor's write), until clear_dirty_log(). Live migration's pre-copy rounds read it.
  std::span<const uint8_t> dirty_log() const { return page_dirty_; }
  void clear_dirty_log() { std::fill(page_dirty_.begin(), page_dirty_.end(), uint8_t{0}); }

  // The stack (memory.cpp). Pushes and pops use SS and ESP, or SP with a 16-bit stack
  // segment (SS.B = 0).
  void push16(uint16_t v);
  void push32(uint32_t v);
  uint16_t pop16();
  uint32_t pop32();

  // --- Paging and the TLB (mmu.cpp) -----------------------------------------------------
  // Linear to physical. Walks the page tables on a TLB miss, sets accessed and dirty bits,
  // raises #PF with CR2 and the error code.
  uint32_t translate(uint32_t lin, Access access, bool user);
  void tlb_flush(
      bool include_global);  // MOV CR3 keeps global entries (CR4.PGE); CR0/CR4 writes do not
  void tlb_invlpg(uint32_t lin);
  // Writes of CR0, CR3 and CR4 with their side effects (TLB flush, paging on/off).
  void write_cr0(uint32_t v);
  void write_cr3(uint32_t v);
  void write_cr4(uint32_t v);
  // Software-TLB statistics: translations served from the TLB, page walks, whole-TLB
  // flushes (CR3 reloads and paging-mode changes) and single-page INVLPGs.
  uint64_t tlb_hits() const { return tlb_hits_; }
  uint64_t tlb_misses() const { return tlb_misses_; }
  uint64_t tlb_flushes() const { return tlb_flushes_; }
  uint64_t tlb_invlpgs() const { return tlb_invlpgs_; }

  // --- Segmentation (segmentation.cpp) --------------------------------------------------
  // MOV/POP Sreg, LDS/LES/LFS/LGS/LSS: the protected-mode checks of SDM Vol. 3A, 5.5-5.6.
  void load_segment(uint8_t sreg, uint16_t selector);
  // Reads the 8-byte descriptor `selector` names in the GDT or LDT (supervisor access).
  // False when the selector lies outside the table limit or names the LDT while LDTR is
  // null; the caller raises the fault its instruction defines. `addr` receives the
  // descriptor's linear address (for the accessed and busy bits).
  bool fetch_descriptor(uint16_t selector, uint64_t& raw, uint32_t* addr = nullptr);
  // LLDT and LTR with their checks (SDM Vol. 3A, 7.2.4 and LLDT/LTR in Vol. 2).
  void load_ldtr(uint16_t selector);
  void load_task_register(uint16_t selector);
  // After a return to an outer privilege level (far RET, IRET): DS, ES, FS and GS that
  // hold data or non-conforming code segments more privileged than the new CPL are
  // nulled, so the outer level cannot keep using them (SDM Vol. 2, RET and IRET).
  void null_inner_data_segments();

  // --- Far control transfers (far_transfer.cpp) -----------------------------------------
  // JMP/CALL ptr16:32 and m16:32 to a code segment or through a call gate, RET far and
  // IRET. `o16` is the operand size of the instruction (16-bit frame and offset).
  void far_jump(uint16_t selector, uint32_t offset, bool o16);
  void far_call(uint16_t selector, uint32_t offset, bool o16);
  void far_return(uint16_t release_bytes, bool o16);
  // IRET returns true when it dropped a change of IOPL or IF that its EFLAGS image asked
  // for: at CPL > 0 the processor changes IOPL only at CPL 0 and IF only at CPL <= IOPL,
  // silently (a Popek-Goldberg hole under ring compression, reported as sensitive).
  bool interrupt_return(bool o16);
  // The frame a far RET or IRET pops, when a monitor supplies it: the bytes at SS:ESP
  // onwards, read where the processor cannot read them (the guest's own page at a linear
  // address of the monitor's hole). Every check and every other effect of the return is
  // the processor's. nullptr (the default): the stack, through SS.
  void set_return_frame(const std::vector<uint8_t>* frame) { return_frame_ = frame; }
  const std::vector<uint8_t>* return_frame() const { return return_frame_; }

  // --- Real-address mode (real_mode.cpp) ------------------------------------------------
  // With CR0.PE clear, load_segment, the far transfers and the IDT delivery above take
  // these instead: the selector and base (selector << 4) change, the cached limit and
  // attributes stay ("unreal mode"); interrupts go through the interrupt vector table at
  // IDTR.base with a FLAGS, CS, IP frame (SDM Vol. 1, chapter 20; Vol. 3A, 9.9.2).
  void real_mode_load_segment(uint8_t sreg, uint16_t selector);
  void real_mode_far_jump(uint16_t selector, uint32_t offset, bool o16);
  void real_mode_far_call(uint16_t selector, uint32_t offset, bool o16);
  void real_mode_far_return(uint16_t release_bytes, bool o16);
  void real_mode_interrupt_return(bool o16);
  void real_mode_deliver(uint8_t vector);

  // --- Hardware task switching (task_switch.cpp; task_switch.h) ------------------------
  // Switches to the task `target` (checked by task_checks.h) for a far JMP or CALL, IRET
  // with NT or an event through an IDT task gate, whose error code, if any, goes on the new
  // task's stack. A fault before the commit point is the old task's (EIP rewound to the
  // instruction); after it, the new task's, at the new task's EIP.
  void switch_task(const TaskTarget& target, TaskSource source, bool has_error_code = false,
                   uint32_t error_code = 0);
  // What a switch that passed its checks does (TaskSwitching, task_switch.h); kPerform by
  // default. A monitor's scratch processor, which runs a guest instruction only for its
  // checks (engine/vmm/kit/scratch_execution.h), stops there.
  void set_task_switching(TaskSwitching mode) { task_switching_ = mode; }
  TaskSwitching task_switching() const { return task_switching_; }
  // Whether the last switch_task passed its commit point (a fault after it is the new
  // task's), and the CR3 of its new task under kMonitorKeepsCr3 (none before the commit
  // point, or for a 16-bit TSS).
  bool task_switch_committed() const { return task_committed_; }
  std::optional<uint32_t> task_switch_cr3() const { return task_cr3_; }

  // --- Interrupts and exceptions (interrupts.cpp) ---------------------------------------
  // Delivers through the IDT: gate checks, stack switch through the TSS on a privilege
  // change, the frame, IF/TF/NT clearing, double and triple fault.
  void deliver_interrupt(uint8_t vector, EventSource source, bool has_error_code,
                         uint32_t error_code);
  // The delivery through the current IDT alone (the gate, the stack switch, the frame):
  // no monitor, no VM exit, no double fault; a fault of it is thrown as CpuFault. For a
  // monitor that has a second processor perform an event's delivery for its guest
  // (engine/vmm/kit/scratch_execution.h), as a VT monitor does when the delivery's pushes
  // land on a page it write-protects.
  void deliver_through_idt(uint8_t vector, EventSource source, bool has_error_code,
                           uint32_t error_code);

  // --- Port I/O (io.cpp) ----------------------------------------------------------------
  // IN/OUT/INS/OUTS: CPL > IOPL consults the TSS I/O permission bitmap (SDM Vol. 1, 19.5).
  uint32_t io_in(uint16_t port, unsigned size);
  void io_out(uint16_t port, unsigned size, uint32_t value);
  // #GP(0) unless CPL <= IOPL or the TSS I/O bitmap allows every accessed port.
  void check_io_permission(uint16_t port, unsigned size);
  // The same check, false where it would raise the #GP(0) (a fault reading the TSS is
  // still thrown).
  bool io_permitted(uint16_t port, unsigned size);
  // IN and OUT: io_in and io_out with the #GP(0) posted (post_fault_as_thrown), not
  // thrown; false then, and nothing was read or written.
  bool io_in_posting(uint16_t port, unsigned size, uint32_t& value);
  bool io_out_posting(uint16_t port, unsigned size, uint32_t value);

  // --- Guest mode: the VT-x-like extensions (vmx.cpp; vmx.h) ---------------------------
  // The control block the monitor fills before entering guest mode, and may change at
  // any exit (call vm_controls_changed() after changing nested paging).
  VmControls& vm_controls() { return vmcs_; }
  const VmControls& vm_controls() const { return vmcs_; }
  void set_vmx_monitor(VmxMonitor* monitor) { vmx_monitor_ = monitor; }
  VmxMonitor* vmx_monitor() const { return vmx_monitor_; }
  // VM entry and leaving guest mode for good. The current architectural state is the
  // guest's; entering flushes the TLB (the translation regime changes).
  void enter_guest_mode();
  void leave_guest_mode();
  void vm_controls_changed();
  bool guest_mode() const { return guest_mode_; }
  // After an APIC-access exit (reason 44): the instruction at the guest's EIP runs once
  // more with its accesses to the APIC-access page reaching the bus, where the monitor's
  // device model of the guest's local APIC decodes them. It applies to that instruction
  // only (the same EIP before any instruction retires); any other access exits again.
  // The same pass lets the instruction's accesses to a guest-physical page the nested
  // table leaves unmapped (a device page, engine/vmm/kit/device_pages.h, whose access
  // exited as an EPT violation) reach the bus at that address, without a TLB entry, so
  // that the next instruction's access exits again.
  void pass_apic_access_once();
  bool nested_paging_active() const { return nested_active_; }
  // Leaves guest mode for the monitor. Instruction exits pass the instruction's length;
  // the exit reports the instruction's own EIP (SDM Vol. 3C, 27.3.3).
  [[noreturn]] void vm_exit(vmx::ExitReason reason, uint32_t qualification,
                            uint8_t instruction_length = 0);
  [[noreturn]] void vm_exit(const VmExit& exit);
  // CR0 and CR4 as a guest reads them: monitor-owned bits come from the read shadows.
  uint32_t guest_cr0() const {
    return guest_mode_ ? (s_.cr0 & ~vmcs_.cr0_mask) | (vmcs_.cr0_shadow & vmcs_.cr0_mask) : s_.cr0;
  }
  uint32_t guest_cr4() const {
    return guest_mode_ ? (s_.cr4 & ~vmcs_.cr4_mask) | (vmcs_.cr4_shadow & vmcs_.cr4_mask) : s_.cr4;
  }
  // Guest-physical to machine through the nested table, as the 2-D walker does it (for a
  // monitor that emulates an access); a nested fault exits with reason 48.
  uint32_t nested_translate(uint32_t gpa, Access access, uint32_t lin, bool lin_valid,
                            bool final_translation, bool* writable = nullptr);
  // VM exits taken, and paging-structure references made by 2-D walks.
  uint64_t vm_exits() const { return vm_exits_; }
  uint64_t nested_walk_references() const { return nested_refs_; }
  // Every paging-structure entry the page walks read: the guest's entries of a walk
  // without nested paging, plus every reference of the 2-D walks (nested_walk_references).
  // Per TLB miss: 2 for a 4 KiB page natively, 8 for a 2-level guest on the 2-level nested
  // table (Bhargava et al. 2008: nm + n + m).
  uint64_t walk_references() const { return walk_refs_ + nested_refs_; }

  // --- What CPUID and RDMSR/WRMSR return, for monitors that emulate them ----------------
  // CPUID leaf `leaf` into {EAX, EBX, ECX, EDX} (exec_misc.cpp).
  std::array<uint32_t, 4> cpuid(uint32_t leaf) const;
  // The vendor and signature CPUID reports (cpu_identity.h); the default until set.
  void set_identity(const CpuIdentity& identity) { identity_ = identity; }
  const CpuIdentity& identity() const { return identity_; }
  // The MSRs this processor has (exec_system.cpp); false for an unknown MSR (#GP).
  bool read_msr(uint32_t index, uint64_t& value);
  bool write_msr(uint32_t index, uint64_t value);

  // --- Debug registers and model-specific registers (exec_system.cpp) -------------------
  uint32_t dr(unsigned i) const { return dr_[i & 7]; }
  void set_dr(unsigned i, uint32_t v) { dr_[i & 7] = v; }
  // The time-stamp counter: modeled cycles plus the offset a WRMSR to IA32_TSC set.
  uint64_t tsc() const { return cycles_ + tsc_offset_; }
  void set_tsc(uint64_t v) { tsc_offset_ = v - cycles_; }

  // --- Saved state (cpu_snapshot.cpp; docs/snapshots.md) --------------------------------
  // The whole processor at an instruction boundary: registers, the TLB's entries, the run
  // loop's counters and pending events, the VMX controls. load_internal validates every
  // field and changes nothing unless all of it is good (false: malformed); the RAM, the
  // bus, the observer, the monitors, the cost classes and the CPUID identity are the
  // configuration's, not saved.
  void save_internal(ByteWriter& w) const;
  bool load_internal(ByteReader& r);

 private:
  const std::vector<uint8_t>* return_frame_ = nullptr;
  // cpu.cpp
  struct DecodedBlock;
  const DecodedBlock& fetch_block();
  const DecodedBlock& decode_straddling(uint32_t lin);
  void decode_block(DecodedBlock& block, uint32_t pa);
  bool service_events();  // true when run() must return
  // vmx.cpp: interrupt recognition, injection and the exits between instructions in guest
  // mode; a fault delivered in guest mode (it may exit); the call into the monitor.
  bool service_guest_events();
  void deliver_fault_in_guest(const CpuFault& f);
  void exit_to_monitor(VmExit exit);
  void invalidate_code_page(uint32_t page);
  // Delivers a fault of the instruction at insn_eip_ (thrown or posted).
  void take_fault(const CpuFault& f);

  CpuState s_;
  CpuObserver* observer_ = nullptr;
  Monitor* monitor_ = nullptr;
  std::span<uint8_t> ram_;
  Bus& bus_;

  uint64_t icount_ = 0;
  uint64_t units_ = 0;       // budget units (budget_units())
  uint64_t budget_end_ = 0;  // units_ at which the current run() call ends
  uint64_t cycles_ = 0;
  ClassCosts class_cost_ = {1, 1, 1, 1, 1, 1, 1};
  CpuIdentity identity_ = default_identity();
  uint32_t insn_eip_ = 0;
  bool check_events_ = true;
  bool fault_posted_ = false;  // post_fault(), post_fault_as_thrown(), post_vm_exit()
  CpuFault posted_fault_{};
  // What fault_posted_ holds: a fault delivered in the block's loop (post_fault), or one
  // delivered (or a VM exit taken) as its throw would have been.
  enum class PostedKind : uint8_t { kFault, kAsThrown, kVmExit };
  PostedKind posted_kind_ = PostedKind::kFault;
  VmExit posted_exit_{};
  bool window_closed_ = false;  // a monitor held a pending interrupt back (monitor.h)
  bool nmi_pending_ = false;    // raise_nmi()
  bool nmi_blocked_ = false;    // blocking by NMI (or virtual-NMI blocking in guest mode)
  // The instruction count at which the instruction now executing began inside an STI or
  // MOV SS shadow (UINT64_MAX: none); a VM exit saves that blocking (vmx.cpp).
  uint64_t shadowed_icount_ = UINT64_MAX;
  bool stop_requested_ = false;
  bool yield_requested_ = false;
  bool shutdown_ = false;
  RunEnd run_end_ = RunEnd::kBudget;
  std::string stop_message_;

  // The decoded-block cache. A block is a run of instructions decoded from one physical
  // page, ending at the first control transfer or at anything that may change CS,
  // paging or interrupt recognition; it is keyed by the physical address of its first
  // instruction. Every RAM page has a generation; a write to a page that holds decoded
  // code bumps it, so stale blocks miss (self-modifying code works), and the write also
  // makes the run loop leave the block it is executing.
  static constexpr unsigned kMaxBlockInsns = 32;
  struct DecodedBlock {
    uint32_t paddr = 0xFFFFFFFFu;
    uint32_t generation = 0;
    bool default32 = true;
    uint8_t count = 0;
    Insn insns[kMaxBlockInsns];
  };
  static constexpr uint32_t kBlockCacheBits = 12;
  std::vector<DecodedBlock> block_cache_;
  std::vector<uint32_t> page_generation_;
  std::vector<uint8_t> page_has_code_;
  std::vector<uint8_t> page_dirty_;
  DecodedBlock scratch_block_;  // an instruction that straddles a page, decoded uncached

  // The last code page fetched from: its linear and physical page, valid while
  // tlb_epoch_ and the CPL are unchanged.
  uint32_t fetch_lin_page_ = 0xFFFFFFFFu;
  uint32_t fetch_phys_page_ = 0;
  uint32_t fetch_epoch_ = 0;
  uint8_t fetch_cpl_ = 0xFF;

  // Bumped by every TLB flush and paging-mode change (mmu.cpp); the fetch fast path
  // and any other cached translation compare against it.
  uint32_t tlb_epoch_ = 0;

  // --- State of mmu.cpp, segmentation.cpp, interrupts.cpp (the system files) ----------
  // The software TLB: direct-mapped by linear page number. An entry caches the final
  // translation with the accesses it allows, one bit per (user, write) pair. The write
  // bits are granted only once the dirty bit is set in memory, so the first write to a
  // clean page goes through the walker, which sets D. 4 MiB pages are cached as their
  // 4 KiB pieces, marked `large` so INVLPG can drop every piece.
  struct TlbEntry {
    uint32_t tag = 0xFFFFFFFFu;  // linear page (low 12 bits zero), or all ones when empty
    uint32_t phys = 0;           // physical page
    uint8_t perm = 0;            // tlb_perm_bit(access, user): that access is allowed
    bool global = false;
    bool large = false;
  };
  static constexpr uint32_t kTlbBits = 12;
  static constexpr uint32_t kTlbSize = 1u << kTlbBits;
  // Bit 3*user + access: read, write and fetch for CPL < 3, then the same for CPL 3. A
  // fetch has its own bits for NX (paging_pae.cpp); 32-bit paging grants it with read.
  static constexpr uint8_t tlb_perm_bit(Access access, bool user) {
    return static_cast<uint8_t>(1u << ((user ? 3u : 0u) + static_cast<unsigned>(access)));
  }
  std::array<TlbEntry, kTlbSize> tlb_{};
  bool tlb_has_large_ = false;
  uint64_t tlb_hits_ = 0;
  uint64_t tlb_misses_ = 0;
  uint64_t tlb_flushes_ = 0;
  uint64_t tlb_invlpgs_ = 0;
  uint32_t page_walk(uint32_t lin, Access access, bool user);
  [[noreturn]] void page_fault(uint32_t lin, uint32_t error_code);
  // paging_pae.cpp: the PAE walk (SDM Vol. 3A, 4.4), the PDPTE registers' load (4.4.1,
  // #GP(0) for a reserved bit in a present PDPTE, before anything changes), and the TLB
  // dropped without counting a flush (EFER.NXE changes the rights cached entries grant).
  uint32_t page_walk_pae(uint32_t lin, Access access, bool user);
  void load_pdptes(uint32_t cr3);
  void tlb_drop_all();

  // Debug registers (kept, not acted on: no breakpoints are implemented) and the TSC offset.
  uint32_t dr_[8] = {0, 0, 0, 0, 0xFFFF0FF0u, 0x400u, 0xFFFF0FF0u, 0x400u};
  uint64_t tsc_offset_ = 0;

  // segmentation.cpp / far_transfer.cpp / interrupts.cpp helpers.
  void set_descriptor_accessed(uint32_t addr, uint64_t raw);
  // task_switch.cpp: a segment register of the new task, with the checks of SDM Vol. 3A
  // table 7-1 (#TS, #NP, #SS with the selector) at the new CPL.
  void load_task_segment(uint8_t sreg, uint16_t selector);
  // The stack of privilege level `dpl` from the current TSS, checked as SDM Vol. 3A 6.12.1
  // requires (#TS for a bad TSS slot or SS, #SS for a not-present SS).
  void inner_stack_from_tss(uint8_t dpl, uint32_t ext, uint16_t& ss_sel, uint32_t& esp,
                            SegmentCache& ss_cache);
  // Writes `count` values of `width` bytes below `esp` on the stack `ss` (values[0] at
  // the highest address) after checking the whole frame fits; returns the new ESP.
  uint32_t push_frame(const SegmentCache& ss, uint32_t esp, const uint32_t* values, unsigned count,
                      unsigned width, bool supervisor, uint32_t ss_error);
  // deliver_interrupt, and an injected event (which the exception bitmap does not see).
  void deliver_event(uint8_t vector, EventSource source, bool has_error_code, uint32_t error_code,
                     bool injected);
  // vmx.cpp: exits with reason 0 when the exception bitmap intercepts this event;
  // `vectoring` is the event whose delivery raised it, if any.
  void exit_if_intercepted(uint8_t vector, EventSource source, bool has_error_code,
                           uint32_t error_code, const vmx::Interruption& vectoring);

  // memory.cpp: exits with reason 44 for a data access to the APIC-access page.
  void check_apic_access(uint32_t pa, bool write);
  bool apic_pass_armed_ = false;
  uint32_t system_fence_ = 0;  // fence_system_accesses()
  TaskSwitching task_switching_ = TaskSwitching::kPerform;
  bool task_committed_ = false;
  std::optional<uint32_t> task_cr3_;
  void check_system_access(uint32_t lin, unsigned size);
  uint64_t apic_pass_icount_ = 0;
  uint32_t apic_pass_eip_ = 0;
  // mmu.cpp: the last nested walk let a device page through (pass_apic_access_once): the
  // translation is not cached.
  bool nested_passed_ = false;

  // Guest mode (vmx.cpp, mmu.cpp).
  bool guest_mode_ = false;
  bool nested_active_ = false;
  VmControls vmcs_;
  VmxMonitor* vmx_monitor_ = nullptr;
  uint64_t vm_exits_ = 0;
  uint64_t nested_refs_ = 0;
  uint64_t walk_refs_ = 0;  // guest entries read by walks without nested paging
  // The no-progress guard (cpu.cpp, no_progress_event): a guest can never hang the host.
  // More than this many VM exits, exceptions and interrupts delivered in a row without a
  // guest instruction retiring (an exception storm, a monitor that keeps re-entering
  // itself) stop the run loop with kUnsupported.
  static constexpr uint32_t kMaxExitStreak = 1'000'000;
  uint64_t progress_icount_ = 0;
  uint32_t progress_streak_ = 0;
  // Counts one event toward the guard; `what` and `code` name it in the stop message.
  void no_progress_event(const char* what, const char* code_name, unsigned code);
  uint32_t nested_walk_page(uint32_t lin, Access access, bool user);
};

// The TLB hit path, inline because every memory access takes it; a miss walks the page
// tables out of line (mmu.cpp).
inline uint32_t Cpu::translate(uint32_t lin, Access access, bool user) {
  // With paging off, linear is physical, except in guest mode with nested paging, where it
  // is guest-physical and still goes through the TLB and the nested table.
  if (!s_.paging() && !nested_active_) return lin;
  const TlbEntry& e = tlb_[(lin >> 12) & (kTlbSize - 1)];
  if (e.tag == (lin & ~0xFFFu) && (e.perm & tlb_perm_bit(access, user))) {
    ++tlb_hits_;
    return e.phys | (lin & 0xFFFu);
  }
  return page_walk(lin, access, user);
}

}  // namespace vmlab::cpu
