// PrivilegedEmulator: trap-and-emulate's instruction emulator (DESIGN.md, "engine/vmm").
//
// When the deprivileged guest kernel executes a privileged instruction the processor
// raises #GP; the monitor fetches the instruction's bytes from the guest's memory,
// decodes them with Capstone (guest_insn.h) and performs the instruction on the
// VirtualCpu and the machine instead: CR0/CR2/CR3/CR4 through the shadow MMU, LGDT/LIDT/
// LTR/LLDT through the shadow GDT, CLI/STI/HLT on the virtual IF, IN/OUT through the
// device model, and the returns and stack loads that ring compression breaks (IRET and
// RET far to RPL-0 code, MOV/POP/LSS with RPL-0 stack selectors). Then it moves EIP past
// the instruction (for a #GP the saved EIP is the faulting instruction's). The same data-
// move path emulates the stores that trap on write-protected guest page tables (traces).
//
// Each emulated instruction is an emulated_insn event (opcode, ModRM.reg, guest-linear
// EIP). An instruction that would fault natively too gives the guest that fault.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/machine/machine.h"
#include "engine/vmm/core/recorder.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/kit/deprivileged_segments.h"
#include "engine/vmm/kit/guest_event_injector.h"
#include "engine/vmm/kit/guest_fetch.h"
#include "engine/vmm/kit/guest_insn.h"
#include "engine/vmm/kit/guest_memory.h"
#include "engine/vmm/kit/scratch_execution.h"
#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {

// The processor pops `frame` (when not empty: PrivilegedEmulator::return_frame_beyond_cut)
// for the one far RET or IRET made in its scope.
class ReturnFrame {
 public:
  ReturnFrame(cpu::Cpu& cpu, const std::vector<uint8_t>& frame) : cpu_(cpu) {
    if (!frame.empty()) cpu_.set_return_frame(&frame);
  }
  ~ReturnFrame() { cpu_.set_return_frame(nullptr); }
  ReturnFrame(const ReturnFrame&) = delete;
  ReturnFrame& operator=(const ReturnFrame&) = delete;

 private:
  cpu::Cpu& cpu_;
};

class PrivilegedEmulator {
 public:
  struct Context {
    cpu::Cpu& cpu;
    machine::Machine& machine;
    Recorder& recorder;
    VirtualCpu& vcpu;
    GuestMemory& memory;
    ShadowMmu& shadow;
    // The shadow GDT and LDT of ring compression (classic, bt). Null under a monitor whose
    // guest keeps its own tables at its own privilege (VT with shadow paging), which only
    // emulates the stores to its traced page tables (emulate_write) and never the
    // instructions that need them.
    DeprivilegedSegments* segments;
  };

  enum class Verdict : uint8_t {
    kEmulated,     // done; EIP is past the instruction
    kFault,        // the guest gets `vector` (error code, and CR2 for #PF) as it would natively
    kNotEmulated,  // not an instruction the monitor emulates: the original fault is the guest's
  };
  struct Outcome {
    Verdict verdict = Verdict::kEmulated;
    uint8_t vector = 0;
    bool has_error_code = false;
    uint32_t error_code = 0;
  };

  explicit PrivilegedEmulator(Context context);
  ~PrivilegedEmulator();

  // privileged_emulator.cpp: the instruction at CS:EIP raised #GP in ring 1.
  Outcome emulate_privileged();
  // emulate_move.cpp: the instruction at CS:EIP wrote a page the monitor write-
  // protects (a tracked guest page table, or a read-only page the guest may write with
  // CR0.WP clear): execute it on the processor model over a scratch view of the guest's
  // memory and perform its stores.
  Outcome emulate_write();
  // Whether the last emulate_write stored to a frame the shadow MMU traces (a guest page
  // table, or a frame of the guest's GDT or LDT): a store that traps when the instruction
  // runs as it is, what adaptive binary translation judges a store by.
  bool wrote_traced_frame() const { return wrote_traced_frame_; }

  // emulate_hole_access.cpp: the instruction at CS:EIP faulted (#GP or #SS on a segment
  // limit that ring compression cut, #PF in the hypervisor hole): when the fault is the
  // hole's (the instruction reaches a linear address at 0xFC000000 or above that the
  // guest's own segments allow), the instruction is executed as natively, its accesses
  // there through the guest's page tables, and a hole_access event is recorded. Otherwise
  // kNotEmulated, nothing changed. Under a monitor without a hole, always kNotEmulated.
  Outcome emulate_hole_access();
  // `first`, unless it is kNotEmulated: then emulate_hole_access().
  Outcome or_hole_access(const Outcome& first);
  // The linear bytes [first, first + second) where the instruction at CS:EIP may read a
  // selector: its memory operand's first six (a far pointer's whole), or for POP the
  // stack's top; nothing when it has none or cannot be fetched. (bt: whether a segment
  // load's operand lies in the descriptor it names, BtMonitor::self_naming_load.)
  std::optional<std::pair<uint32_t, uint32_t>> selector_operand_span();
  // The instruction at CS:EIP raised #SS in ring 1 (a monitor whose guest kernel runs its
  // own returns: trap-and-emulate on the classic CPU). The processor reads the frame of
  // an IRET or far RET, and POP SS its selector, before it checks the selector's RPL, so
  // one whose stack lies beyond the cut SS limit (in the hole) raises #SS where one below
  // raises the #GP of an RPL-0 selector: either is what ring compression breaks, emulated
  // as for the #GP (the stack read through the guest's page tables); anything else is
  // emulate_hole_access().
  Outcome emulate_stack_fault();
  // emulate_io.cpp: the instruction at CS:EIP raised #GP in ring 3. Port I/O that the
  // guest's virtual IOPL or its TSS I/O permission bitmap allows is performed; anything
  // else is kNotEmulated (the #GP is the guest's).
  Outcome emulate_user_io();

  // Whether `slots` pops of `width` bytes from SS:ESP lie within the guest's own stack
  // segment (guest_stack.h), not the cut one: natively #SS(0) before anything is popped.
  bool guest_stack_holds(unsigned slots, unsigned width) const;
  // Whether the processor's segment checks let `size` bytes at `offset` in segment `seg`
  // be written (or read), with the guest's own limits (SDM Vol. 3A, 5.3 and 5.6).
  bool segment_allows(uint8_t seg, uint32_t offset, unsigned size, bool write) const;
  // The same checks against one segment cache as it is (a monitor whose guest runs on its
  // own segments: VT).
  static bool segment_allows(const cpu::SegmentCache& sc, uint32_t offset, unsigned size,
                             bool write);

  // A monitor that closes the Popek-Goldberg holes for the guest kernel (binary
  // translation) asks that the sensitive instructions the write emulator executes see the
  // guest's state as its translations show it: CS and SS with RPL 0, the virtual IF in
  // PUSHF's image, the guest's GDTR, IDTR, CR0, TR and LDTR. Trap-and-emulate on a classic
  // processor does not: there they show the real state, as the hardware does.
  void virtualize_sensitive_reads(bool on) { virtual_sensitive_ = on; }

  // The instruction at CS:EIP, fetched through the guest's page tables and decoded.
  std::optional<GuestInsn> fetch(Outcome& fault);

  // emulate_far_transfer.cpp: has the processor make a far transfer for the guest (`op`: a
  // far JMP, CALL, RET or IRET of engine/cpu, which sets EIP first when it needs the
  // return address), with every check it makes. Its reads and pushes go through the
  // shadow page tables: a page the guest maps and the shadow does not yet is the monitor's
  // own fault, filled before `op` is made again (it reads and checks everything before its
  // first store); a page the monitor traces (a guest page table, the guest's GDT or LDT)
  // takes the pushes through the emulated-store path of every other store there
  // (ScratchExecution::perform, then commit): the shadows are updated and the store is a
  // guest_pt_write, as natively the push simply lands. Only a true fault reaches the
  // guest. EIP is back at the instruction on a fault.
  Outcome transfer_on_processor(const std::function<void(cpu::Cpu&)>& op);
  // A far CALL to the same ring, straight to a code segment (`sel`:`offset`) or through
  // the call gate `gate` (whose target is `sel`, its offset `offset`), whose two pushes lie
  // beyond the cut SS limit but within the guest's own (its stack in the hole, or the gap
  // below it), where the processor would refuse the cut SS (#SS): after the checks the
  // processor makes (Cpu::far_call), the return address is pushed onto the guest's own
  // pages (words through a 16-bit gate) and the transfer's state set as the processor sets
  // it, the new CS cut as the shadow has it; a hole_access event. nullopt when the pushes
  // stay below the cut or lie beyond the guest's own limit (the processor's #SS stands),
  // the target is not a code segment (a TSS: the processor's, or its fault), or the gate
  // leads to an inner ring (gate_call_onto_hole_stack).
  std::optional<Outcome> far_call_onto_hole_stack(const GuestInsn& insn, uint16_t sel,
                                                  uint32_t offset,
                                                  const cpu::Descriptor* gate = nullptr);
  // A far RET's (`release` parameter bytes) or IRET's frame at SS:ESP that lies beyond the
  // cut limit of the real SS but within the guest's own (a ring-0 stack in the hole): read
  // through the guest's page tables into `frame`, whole (the outer-ring part too when the
  // CS image's RPL is above the CPL), for the processor's return to pop there
  // (cpu::Cpu::set_return_frame), and a hole_access event. kNotEmulated, `frame` empty,
  // when it lies below the cut (the processor reads it itself) or beyond the guest's limit
  // (the processor's #SS stands); a page fault's kFault.
  Outcome return_frame_beyond_cut(unsigned width, uint32_t release, bool iret,
                                  std::vector<uint8_t>& frame);
  // A far RET or IRET of the guest kernel to a code selector with RPL 1 or 2: natively a
  // return from ring 0 to an outer ring, which the processor in ring 1 would take as a
  // return to its own ring. The guest's descriptor decides, as natively: #GP(selector)
  // unless it is a code segment whose DPL admits the RPL (SDM Vol. 2, IRET and RET), then
  // #NP(selector) unless present; a return the guest's tables allow stops the run
  // (ring compression runs the guest's rings 0 and 3 only).
  Outcome return_to_middle_ring(uint16_t cs_sel);
  // Whether the guest's own descriptor for `selector` has DPL 0: the shadow compresses DPL 0
  // to 1, so a shadow DPL of 1 does not tell the guest's 0 from its own 1. False where the
  // guest's tables hold no descriptor for it.
  bool guest_dpl_zero(uint16_t selector) const;
  // The fault of reading `size` bytes of the memory operand `op` where its segment's limit
  // or type refuses them (with the guest's own limits), or nothing.
  std::optional<Outcome> operand_limit_fault(const GuestInsn& insn, const GuestOperand& op,
                                             unsigned size) const;
  // The same operation on the scratch processor only, its stores committed through the
  // shadow MMU: what transfer_on_processor does on a traced page, and what a VT-like
  // monitor does with an event delivery that an exit on a traced page interrupted. On a
  // fault nothing has changed (a #PF is the guest's, with the guest's CR2 in the VirtualCpu).
  Outcome perform_on_scratch(const std::function<void(cpu::Cpu&)>& op);
  // emulate_task_switch.cpp: the guest's task switch to the TSS `selector` (checked by the
  // processor before its VM exit), performed on the scratch processor with the old task's
  // EIP `eip` and the event's error code, its stores committed through the shadow MMU.
  // `committed`: the new task's state is loaded (a `fault` is then the new task's); `cr3`:
  // the new task's, for the monitor to load.
  struct TaskSwitchOutcome {
    bool committed = false;
    std::optional<uint32_t> cr3;
    Outcome fault;
  };
  TaskSwitchOutcome task_switch(uint16_t selector, cpu::TaskSource source, uint32_t eip,
                                bool has_error_code, uint32_t error_code);

  // emulate_guest_task_switch.cpp: IRET with EFLAGS.NT under ring compression, the
  // return from a nested task (SDM Vol. 2, IRET, "TASK-RETURN"): its checks on the guest's
  // TSS link and GDT, then the switch, as natively.
  Outcome nested_task_return(const GuestInsn& insn);
  // An event through a task gate of the guest's IDT (the injector checked the gate and
  // its TSS): the switch to the gate's TSS, `error_code` pushed on the new task's stack
  // when the event has one. kFault: before the commit point the old task's fault, after it
  // the new task's (its state loaded up to the fault).
  Outcome gate_task_switch(uint16_t selector, bool has_error_code, uint32_t error_code);
  // The real processor raised #TS: an IRET with the real EFLAGS.NT set (the guest's NT,
  // after a switch that nested its task) reads the link of the monitor's TSS, always
  // null, and faults #TS(0) whatever the guest's link says, in ring 1 or 3. When the
  // instruction at CS:EIP is IRET and NT is set, the guest's nested task return
  // (nested_task_return); else kNotEmulated (the #TS is the guest's).
  Outcome task_return_fault(uint32_t error_code);

 private:
  // emulate_system.cpp: the system instructions (the twin of engine/cpu/exec_system.cpp).
  Outcome mov_to_cr(const GuestInsn& insn);
  // LAR, LSL, VERR, VERW of the guest kernel on its own GDT and LDT, at its CPL 0 (bt's
  // translation of them: the processor would read the shadow's DPL-1, cut descriptors).
  Outcome descriptor_probe(const GuestInsn& insn);
  // The guest's CR0.MP, EM and TS onto the real CR0 after every change of the virtual CR0
  // (MOV CR0, after mov_to_cr; CLTS, LMSW): they decide #NM for the x87 instructions and WAIT,
  // which the guest's code executes on the real processor (emulate_system.cpp).
  void mirror_cr0();
  Outcome mov_from_cr(const GuestInsn& insn);
  Outcome load_table(const GuestInsn& insn, bool gdt);
  Outcome load_task_register(const GuestInsn& insn);
  Outcome halt(const GuestInsn& insn);
  Outcome sti(const GuestInsn& insn);
  // CPUID, trapped by CPUID faulting (engine/cpu/cpu_state.h): the virtual CPU's answer
  // (virtual_cpuid.h), or #GP(0) for guest user mode when the guest enabled faulting itself.
  Outcome cpuid(const GuestInsn& insn);
  // RDMSR/WRMSR of MSR_MISC_FEATURES_ENABLES: the guest's own copy.
  Outcome misc_features_msr(const GuestInsn& insn, bool read);
  // emulate_io.cpp: IN, OUT, INS, OUTS through the machine's I/O bus.
  Outcome port_io(const GuestInsn& insn);
  // One resumable batch of a (REP) INS/OUTS (string_io.h): EIP stays on the instruction
  // until ECX is 0.
  Outcome string_io(const GuestInsn& insn);
  // Whether the guest lets the current (user) code reach `size` ports from `port`: its
  // virtual IOPL, then its TSS bitmap (SDM Vol. 1, 19.5.2). A #PF reading its TSS is in
  // `fault`.
  bool io_permitted(uint16_t port, unsigned size, Outcome& fault);
  // emulate_control.cpp: what ring compression breaks in control transfers and SS loads.
  Outcome iret(const GuestInsn& insn);
  Outcome far_return(const GuestInsn& insn);
  Outcome load_stack_segment(const GuestInsn& insn);
  // The limit a return to the code segment `cs` (shadow descriptor, real selector `real`)
  // is checked against: the guest's own; and the hole_access event of a return beyond the
  // cut.
  uint32_t return_limit(uint16_t real, const cpu::Descriptor& cs);
  void record_return_past_cut(const cpu::Descriptor& cs, uint32_t eip);
  // emulate_hole_access.cpp: a segment load (MOV, POP, LDS/LES/LFS/LGS) whose memory
  // operand is in the hole (first at `hole_linear`), which the scratch processor cannot
  // finish (the descriptor is the monitor's).
  Outcome hole_operand_load(uint32_t hole_linear);
  // emulate_far_transfer.cpp: the far JMP, CALL (ptr16:32 or m16:32), RET or IRET at CS:EIP,
  // when it is the hole's doing: the instruction lies beyond the cut CS limit, its far
  // pointer is in the hole, or its target offset lies beyond the cut limit of the target's
  // code segment but within the guest's own. The real processor performs it with the
  // target's own limit (DeprivilegedSegments::UncutTarget); a hole_access event. Otherwise
  // kNotEmulated, nothing changed.
  Outcome far_transfer_past_cut();
  // The guest's own limit of the code segment `cs` (the cut one's when the guest's
  // descriptor is not the one loaded).
  uint32_t guest_code_limit(const cpu::SegmentCache& cs) const;
  // emulate_call_gate.cpp: a far JMP or CALL that names a call gate of the guest's (which
  // the shadow tables do not hold): the processor goes through the gate as natively, with
  // ring compression applied. kNotEmulated for any other target.
  Outcome far_through_gate(const GuestInsn& insn);
  // A CALL from ring 3 through a 32-bit or 16-bit gate to the guest kernel whose new stack (the
  // guest TSS's SS0:ESP0, `ss_real` being SS0's shadow selector) lies beyond the cut of SS0, in the
  // hole or the gap below it: the pushes the processor would make through the cut SS (a #SS the
  // guest did not earn), made to the guest's own pages, and the transfer's state set as the
  // processor sets it. nullopt when the new stack stays below the cut or a check of the processor's
  // would fail (the processor then performs the call, or faults).
  std::optional<Outcome> gate_call_onto_hole_stack(const GuestInsn& insn, uint16_t target,
                                                   const cpu::Descriptor& gate, uint16_t ss_real,
                                                   uint32_t esp0);
  // After a far CALL in the guest kernel (same ring): under a monitor that shows the guest
  // its own selectors (virtualize_sensitive_reads), the return address's CS image gets the
  // guest's RPL 0 instead of the real RPL 1 (its RET far is then the monitor's to emulate).
  void guest_return_selector(bool o16);
  // emulate_guest_task_switch.cpp: a far JMP or CALL that faulted and names a TSS or task
  // gate in the guest's tables (the shadow GDT holds no system descriptors): the task
  // switch, with the faults the hardware's checks give. kNotEmulated for any other target.
  Outcome far_task_switch(const GuestInsn& insn);
  // The guest's task switch `op` (a far JMP, CALL or IRET, or a task gate's switch) on the
  // scratch processor in the guest's view, then the new task on the real processor
  // (enter_new_task); `insn`, when not null, is recorded as emulated.
  Outcome guest_task_switch(const std::function<void(cpu::Cpu&)>& op, const GuestInsn* insn);
  void enter_new_task(const ScratchExecution::Effects& effects, std::optional<uint32_t> cr3);
  // The guest's LDTR as the processor caches it (a null cache for a null selector);
  // nullopt when its descriptor cannot be read or the LDT reaches the hypervisor hole.
  std::optional<cpu::SegmentCache> guest_ldt_cache() const;

  // Operands (privileged_emulator.cpp).
  uint32_t read_gpr(uint8_t reg, uint8_t size) const;
  void write_gpr(uint8_t reg, uint8_t size, uint32_t value);
  uint32_t linear_of(const GuestInsn& insn, const GuestOperand& op) const;
  bool user() const { return c_.cpu.state().cpl == 3; }
  // *c_.segments; stops the run if this monitor has none (a monitor's bug, not the guest's).
  DeprivilegedSegments& segments() const;
  bool read_mem(uint32_t lin, void* out, uint32_t size, Outcome& fault);
  // `supervisor`: the processor's own implicit stores (an inner-ring stack's pushes), made
  // with supervisor rights whatever the CPL.
  bool write_mem(uint32_t lin, const void* in, uint32_t size, Outcome& fault,
                 bool supervisor = false);
  // `n` (at most 3) return-frame slots at `sp`, 2 bytes each for a 16-bit operand size.
  bool read_frame(uint32_t sp, bool o16, uint32_t* slots, unsigned n, Outcome& fault);
  Outcome page_fault(const GuestMemory::Fault& f);
  static Outcome gp(uint32_t error_code);
  // Records emulated_insn and moves EIP past the instruction. `extra_cycles`: work the
  // emulation does on the machine besides the trap (the device's bus cycles of port I/O).
  Outcome done(const GuestInsn& insn, uint64_t extra_cycles = 0);
  void record(const GuestInsn& insn, uint64_t extra_cycles = 0);

  // emulate_move.cpp: one store of an emulated instruction, through the shadow MMU.
  void commit(uint32_t gpa, uint32_t value, unsigned size);
  // The effects of a scratch execution: its stores committed, its registers the real ones.
  void apply(const ScratchExecution::Effects& effects);
  // emulate_move.cpp: a plain MOV to memory onto a traced frame, performed without the
  // scratch processor when every check of the processor passes; nothing otherwise.
  std::optional<Outcome> plain_store(const GuestInsn& insn);

  Context c_;
  GuestInsnDecoder decoder_;
  std::unique_ptr<ScratchExecution> scratch_;  // made at the first emulated write
  // Makes scratch_, with ring compression's descriptor tables when this monitor has them.
  void make_scratch();
  // A segment load the monitor makes for the guest from the shadow slot of `real`
  // (descriptor `d`): the accessed bit in the guest's descriptor, as the processor sets
  // it (DeprivilegedSegments::mark_accessed). False, with `fault` the guest's #PF (CR2
  // set), when the guest's own mapping of its table refuses the write.
  bool mark_loaded(uint16_t real, const cpu::Descriptor& d, Outcome& fault);
  bool virtual_sensitive_ = false;
  bool wrote_traced_frame_ = false;  // since the start of the last emulate_write
};

// What a monitor does with an emulation outcome: nothing when the instruction was
// emulated; the fault the emulation raised, reflected to the guest; or, when the
// instruction is not one the monitor emulates, the original fault (`vector`, `error_code`),
// which is then the guest's own.
void settle(const PrivilegedEmulator::Outcome& outcome, uint8_t vector, uint32_t error_code,
            GuestEventInjector& injector);

}  // namespace vmlab::vmm
