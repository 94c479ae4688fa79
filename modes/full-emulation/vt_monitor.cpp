#include "modes/full-emulation/vt_monitor.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/vmm/kit/device_pages.h"
#include "engine/vmm/kit/guest_apic.h"
#include "engine/vmm/kit/quiet_hardware.h"
#include "engine/vmm/kit/string_io.h"
#include "engine/vmm/kit/virtual_cpuid.h"

namespace vmlab::modes {

namespace {

std::string hex32(uint32_t v) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

using cpu::VmExit;
using cpu::vmx::ExitReason;
using cpu::vmx::Interruption;
using cpu::vmx::InterruptionType;
using vmm::EventKind;

// The VMCS accesses charged to every exit: Adams & Agesen 2006 (section 6.2) say typical
// exit handling "requires ten vmreads"; a handler writes back at least the guest's EIP and
// its interruptibility state (two vmwrites).
constexpr uint64_t kVmreadsPerExit = 10;
constexpr uint64_t kVmwritesPerExit = 2;

uint64_t figure(const vmm::CostProfile& profile, const char* key) {
  return profile.figure(key).value_or(0);
}

}  // namespace

VtMonitor::VtMonitor(vmm::Vm& vm, VtPaging paging, vmm::ShadowMmu* shadow, vmm::VirtualCpu* vcpu,
                     vmm::GuestMemory& memory)
    : vm_(vm),
      cpu_(vm.machine().cpu()),
      paging_(paging),
      shadow_(shadow),
      vcpu_(vcpu),
      memory_(memory) {
  const vmm::CostProfile& p = vm.profile();
  exit_overhead_ = figure(p, "vt.entry") + kVmreadsPerExit * figure(p, "vt.vmcb_read") +
                   kVmwritesPerExit * figure(p, "vt.vmcb_write");
  nested_ref_cost_ = figure(p, "vt.nested_ref");
  vmcb_write_cost_ = figure(p, "vt.vmcb_write");
  if (paging == VtPaging::kShadow) {
    emulator_ = std::make_unique<vmm::PrivilegedEmulator>(vmm::PrivilegedEmulator::Context{
        cpu_, vm.machine(), vm.recorder(), *vcpu, memory, *shadow, nullptr});
  }
}

// The exit loop: one case per basic exit reason (SDM Vol. 3C, appendix C).
void VtMonitor::on_vm_exit(const VmExit& exit) {
  vm_.recorder().record(EventKind::trap,
                        {static_cast<uint32_t>(exit.reason), exit.qualification, 0, 0},
                        exit_overhead_);
  switch (exit.reason) {
    case ExitReason::kExceptionOrNmi:
      if (exit.interruption.type == InterruptionType::kNmi) {
        nmi();
      } else {
        exception(exit);
      }
      break;
    case ExitReason::kExternalInterrupt: external_interrupt(); break;
    case ExitReason::kInterruptWindow: interrupt_window(); break;
    case ExitReason::kNmiWindow: nmi_window(); break;
    case ExitReason::kCpuid: cpuid(exit); break;
    case ExitReason::kHlt: hlt(exit); break;
    case ExitReason::kInvlpg: invlpg(exit); break;
    case ExitReason::kCrAccess: cr_access(exit); break;
    case ExitReason::kIoInstruction: io(exit); break;
    case ExitReason::kRdmsr:
    case ExitReason::kWrmsr: msr(exit); break;
    case ExitReason::kApicAccess: apic_access(exit); break;
    case ExitReason::kEptViolation: nested_fault(exit); break;
    case ExitReason::kTaskSwitch: task_switch(exit); break;
    default:
      cpu_.unsupported("VM exit reason " + std::to_string(static_cast<unsigned>(exit.reason)) +
                       " is not handled by the VT monitor");
  }
  // An exit that interrupted the delivery of an event (a hidden fault on the guest's
  // stack while pushing an interrupt frame): deliver that event again (SDM Vol. 3C,
  // 27.2.4 and 31.7.1.1).
  if (cpu_.is_shut_down()) return;
  if (exit.idt_vectoring.valid && !cpu_.vm_controls().injection.valid && !delivered_) {
    inject(exit.idt_vectoring, exit.instruction_length);
  }
  delivered_ = false;
  // A virtual NMI before any external interrupt (SDM Vol. 3A, table 6-2).
  if (nmi_pending_) deliver_pending_nmi();
  if (!pending_.empty() && !cpu_.vm_controls().injection.valid) deliver_pending_interrupts();
}

void VtMonitor::on_nested_walk(uint32_t linear, unsigned references) {
  // A 2-D walk of n guest levels reads 3n + 2 entries on the 2-level nested table; a
  // native walk reads n. The difference is what nested paging costs.
  const unsigned guest_levels = references >= 2 ? (references - 2) / 3 : 0;
  vm_.recorder().record(EventKind::nested_walk, {linear, references, 0, 0},
                        (references - guest_levels) * nested_ref_cost_);
}

// --- Helpers ----------------------------------------------------------------------------

void VtMonitor::advance(const VmExit& exit, bool charged) {
  // The emulated instruction retired: an STI or MOV SS shadow the exit saved covered it
  // and ends here (SDM Vol. 3C, 24.4.2; a halt after STI must not carry it, 26.3.1.5).
  cpu_.state().interrupt_shadow = false;
  cpu_.state().eip += exit.instruction_length;
  // A guest whose every instruction exits (random code storing onto its own page tables)
  // uses the budget up as natively, where each of them retires on the processor.
  if (!charged) cpu_.charge_budget(1);
}

// An injection is the VMCS writes of the VM-entry event-injection fields (SDM Vol. 3C,
// 24.8.3): the interruption information, the error code when the event has one, and the
// instruction length for a software interrupt or exception; each a VMCB write of the
// profile (Adams & Agesen 2006, Table 1). The entry that delivers it is the exit's.
void VtMonitor::inject(const Interruption& event, uint8_t instruction_length) {
  cpu::VmControls& c = cpu_.vm_controls();
  c.injection = event;
  c.injection_instruction_length = instruction_length;
  const bool software = event.type == InterruptionType::kSoftwareInterrupt ||
                        event.type == InterruptionType::kPrivilegedSoftwareException ||
                        event.type == InterruptionType::kSoftwareException;
  const uint64_t vmwrites = 1 + (event.has_error_code ? 1 : 0) + (software ? 1 : 0);
  vm_.recorder().record(EventKind::virq_inject,
                        {event.vector, event.has_error_code ? event.error_code : 0,
                         event.has_error_code ? 1u : 0u, 0},
                        vmwrites * vmcb_write_cost_);
}

void VtMonitor::inject_exception(uint8_t vector, bool has_error_code, uint32_t error_code) {
  inject({true, vector, InterruptionType::kHardwareException, has_error_code, error_code});
}

void VtMonitor::deliver_pending_interrupts() {
  cpu::VmControls& c = cpu_.vm_controls();
  const bool can_take = (cpu_.state().eflags & cpu::flags::IF) && !cpu_.state().interrupt_shadow;
  if (can_take && !c.injection.valid) {
    const uint8_t vector = pending_.front();
    pending_.pop_front();
    inject({true, vector, InterruptionType::kExternal, false, 0});
  }
  // More to deliver, or this one must wait: exit as soon as the guest can take one.
  c.interrupt_window_exiting = !pending_.empty();
}

void VtMonitor::emulated(const VmExit& exit, uint16_t opcode, uint8_t reg) {
  vm_.recorder().record(EventKind::emulated_insn,
                        {opcode, reg, cpu_.state().seg[cpu::CS].base + exit.guest_eip, 0});
}

// --- Exit handlers ----------------------------------------------------------------------

// Journey stop 30: the #PF exit's handler, which injects a true fault (docs/journey.md).
// Reason 0. Only #PF is in the exception bitmap, and only with shadow paging.
void VtMonitor::exception(const VmExit& exit) {
  const Interruption& ev = exit.interruption;
  if (ev.vector != cpu::vec::PF || !shadow_) {
    inject(ev, exit.instruction_length);  // not ours: the guest's IDT handles it
    return;
  }
  const uint32_t lin = exit.qualification;
  const auto outcome = shadow_->page_fault(lin, ev.error_code);
  switch (outcome.kind) {
    case vmm::ShadowMmu::FaultKind::kHidden: return;
    case vmm::ShadowMmu::FaultKind::kTrue: {
      // The guest's CR2 is the real one in guest mode: the exit left it alone, the
      // reflected fault sets it as the hardware would have.
      cpu_.state().cr2 = lin;
      vcpu_->cr2 = lin;
      // A page fault while the guest's processor delivered an exception combines with it
      // as on the hardware (SDM Vol. 3A, table 6-5): after a page fault, a double fault;
      // after a double fault, shutdown. After any other event it is delivered alone.
      const Interruption& first = exit.idt_vectoring;
      if (first.valid && first.type == InterruptionType::kHardwareException) {
        if (first.vector == cpu::vec::DF) {
          cpu_.shutdown("triple fault in the guest: a page fault at " + hex32(lin) +
                        " while its processor delivered a double fault");
          return;
        }
        if (first.vector == cpu::vec::PF) {
          inject_exception(cpu::vec::DF, true, 0);
          return;
        }
      }
      inject_exception(cpu::vec::PF, true, outcome.guest_error_code);
      return;
    }
    case vmm::ShadowMmu::FaultKind::kTrace:
    case vmm::ShadowMmu::FaultKind::kEmulateWrite:
    case vmm::ShadowMmu::FaultKind::kDevice:  // the I/O APIC's page (device_pages.h)
      // The write of an event's delivery (its frame on a guest page table): the delivery
      // is the store to emulate, not the instruction at EIP (issue 12).
      if (exit.idt_vectoring.valid && deliver_onto_traced(exit)) return;
      emulate_store();
      return;
  }
}

bool VtMonitor::deliver_onto_traced(const VmExit& exit) {
  const Interruption& ev = exit.idt_vectoring;
  cpu::EventSource source = cpu::EventSource::kException;
  switch (ev.type) {
    case InterruptionType::kExternal: source = cpu::EventSource::kExternal; break;
    case InterruptionType::kNmi: source = cpu::EventSource::kNmi; break;
    case InterruptionType::kSoftwareInterrupt: source = cpu::EventSource::kSoftware; break;
    case InterruptionType::kSoftwareException:
      source = ev.vector == cpu::vec::OF ? cpu::EventSource::kInto : cpu::EventSource::kInt3;
      break;
    default: break;
  }
  // A software interrupt or exception returns past its instruction (the exit's length,
  // SDM Vol. 3C 27.2.5), as VM entry injects it (26.6.1.3).
  const bool past = ev.type == InterruptionType::kSoftwareInterrupt ||
                    ev.type == InterruptionType::kSoftwareException ||
                    ev.type == InterruptionType::kPrivilegedSoftwareException;
  const uint32_t eip = cpu_.state().eip + (past ? exit.instruction_length : 0);
  const auto out = emulator_->perform_on_scratch([&](cpu::Cpu& cpu) {
    cpu.state().eip = eip;
    cpu.deliver_through_idt(ev.vector, source, ev.has_error_code, ev.error_code);
  });
  // A fault of the delivery itself: the event is injected again and the processor raises
  // the fault with its double-fault rules, as for any other exit during a delivery.
  if (out.verdict != vmm::PrivilegedEmulator::Verdict::kEmulated) return false;
  cpu_.state().halted = false;
  cpu_.state().interrupt_shadow = false;
  vm_.recorder().record(EventKind::virq_inject, {ev.vector, ev.has_error_code ? ev.error_code : 0,
                                                 ev.has_error_code ? 1u : 0u, 0});
  delivered_ = true;
  return true;
}

// Reason 1: the interrupt stays pending at its controller until the monitor acknowledges
// it. When the guest can take it now, it is acknowledged and injected; otherwise it stays
// pending there, visible in the controller's request register (the local APIC's IRR, the
// 8259A's), as natively while IF is clear, and the monitor stops external-interrupt
// exiting and waits for the interrupt window, where it acknowledges the interrupt then.
void VtMonitor::external_interrupt() {
  cpu::VmControls& c = cpu_.vm_controls();
  const bool can_take = (cpu_.state().eflags & cpu::flags::IF) && !cpu_.state().interrupt_shadow;
  // With events already queued (or an injection on its way) this one joins the queue,
  // which waits for the window itself (deliver_pending_interrupts): external-interrupt
  // exiting stays on whenever the monitor holds anything.
  if (can_take || !pending_.empty() || c.injection.valid) {
    pending_.push_back(vm_.machine().intr_acknowledge());
    return;
  }
  c.external_interrupt_exiting = false;
  c.interrupt_window_exiting = true;
}

// Reason 0 with an NMI: the guest's local APIC or I/O APIC sent its processor an NMI (the
// APICs are the guest's, engine/vmm/kit/guest_apic.h). It becomes the guest's virtual NMI,
// injected at once if the guest can take it (on_vm_exit), else held until the NMI window;
// one already held absorbs it (at most one NMI waits).
void VtMonitor::nmi() {
  nmi_pending_ = true;
}

// Reason 8: the guest's IRET ended its virtual-NMI blocking (on_vm_exit injects).
void VtMonitor::nmi_window() {
  cpu_.vm_controls().nmi_window_exiting = false;
}

void VtMonitor::deliver_pending_nmi() {
  cpu::VmControls& c = cpu_.vm_controls();
  if (!cpu_.nmi_blocked() && !cpu_.state().interrupt_shadow && !c.injection.valid) {
    nmi_pending_ = false;
    c.nmi_window_exiting = false;
    inject({true, cpu::vec::NMI, InterruptionType::kNmi, false, 0});
    return;
  }
  c.nmi_window_exiting = true;
}

// Reason 7: the guest can take an interrupt now (on_vm_exit injects it). An interrupt left
// pending at its controller is acknowledged now, unless it went away meanwhile (a TPR
// raised above it, a masked line).
void VtMonitor::interrupt_window() {
  cpu::VmControls& c = cpu_.vm_controls();
  c.interrupt_window_exiting = false;
  if (!c.external_interrupt_exiting) {
    c.external_interrupt_exiting = true;
    if (pending_.empty() && vm_.machine().intr_pending()) {
      pending_.push_back(vm_.machine().intr_acknowledge());
    }
  }
}

// Reason 10: CPUID passes through, with the "hypervisor present" bit (leaf 1, ECX bit 31)
// set and the hypervisor leaf 40000000H answered, as VMMs do (engine/vmm/kit/virtual_cpuid.h).
void VtMonitor::cpuid(const VmExit& exit) {
  // Nested paging walks the guest's PAE tables in the processor (paging_pae.cpp); the
  // shadow MMU does not shadow them, so under shadow paging the guest has no PAE.
  const auto r = vmm::virtual_cpuid(
      cpu_, cpu_.r32(cpu::EAX),
      paging_ == VtPaging::kNested ? vmm::GuestPae::kPresent : vmm::GuestPae::kAbsent);
  cpu_.set_r32(cpu::EAX, r[0]);
  cpu_.set_r32(cpu::EBX, r[1]);
  cpu_.set_r32(cpu::ECX, r[2]);
  cpu_.set_r32(cpu::EDX, r[3]);
  emulated(exit, 0x1A2, 0);
  advance(exit);
}

// Reason 12: the vCPU halts until an interrupt. The monitor puts the processor in the
// halted activity state; the machine skips time to the next timer edge, whose interrupt
// exits (reason 1) and is injected, which ends the halt.
void VtMonitor::hlt(const VmExit& exit) {
  emulated(exit, 0xF4, 0);
  advance(exit);
  if (pending_.empty()) cpu_.state().halted = true;
}

// Reason 14 (shadow paging): the shadows are coherent by tracing; only the TLB entry goes.
void VtMonitor::invlpg(const VmExit& exit) {
  emulated(exit, 0x101, 7);
  vm_.recorder().record(EventKind::invlpg, {exit.qualification, 0, 0, 0});
  shadow_->invlpg(exit.qualification);
  advance(exit);
}

// Reason 28 (shadow paging): MOV to/from CR3, CR0/CR4 writes that change a monitor-owned
// bit, LMSW, CLTS. The qualification names the register, the access and the GPR.
void VtMonitor::cr_access(const VmExit& exit) {
  namespace q = cpu::vmx::cr_qual;
  const uint32_t qual = exit.qualification;
  const unsigned gpr = q::gpr(qual);
  switch (q::access_type(qual)) {
    case q::kMovToCr: {
      const uint32_t v = cpu_.r32(gpr);
      emulated(exit, 0x122, static_cast<uint8_t>(q::cr(qual)));
      // A refused CR0 or CR4 value is the guest's #GP(0): the instruction does not retire.
      if (q::cr(qual) == 0) {
        if (!write_guest_cr0(v)) return;
      } else if (q::cr(qual) == 4) {
        if (!write_guest_cr4(v)) return;
      } else if (q::cr(qual) == 3) {
        const uint32_t old = vcpu_->cr3;
        vcpu_->cr3 = v & 0xFFFFF018u;
        // Recorded as the processor records it natively and as the classic monitor does
        // (PrivilegedEmulator::mov_to_cr): a MOV to CR3 flushes the non-global TLB entries
        // even when the value does not change (SDM Vol. 3A, 4.10.4.1).
        vm_.recorder().record(EventKind::cr3_switch, {old, vcpu_->cr3, 0, 0});
        vm_.recorder().record(EventKind::tlb_flush, {0, 0, 0, 0});
        shadow_->activate();
      }
      break;
    }
    case q::kMovFromCr:
      emulated(exit, 0x120, static_cast<uint8_t>(q::cr(qual)));
      cpu_.set_r32(gpr, vcpu_->cr3);
      break;
    case q::kClts:
      emulated(exit, 0x106, 0);
      write_guest_cr0(vcpu_->cr0 & ~cpu::cr0::TS);
      break;
    case q::kLmsw: {
      emulated(exit, 0x101, 6);
      const uint32_t src = q::lmsw_data(qual) & 0xFu;
      write_guest_cr0((vcpu_->cr0 & ~0xEu) | src | (vcpu_->cr0 & cpu::cr0::PE));
      break;
    }
  }
  advance(exit);
}

bool VtMonitor::write_guest_cr0(uint32_t value) {
  {
    // The real CR0 keeps PG and WP on; the guest's other bits (TS, MP, ...) are its own.
    // The processor's own MOV-to-CR0 checks decide first, on the guest's value (SDM Vol.
    // 2B, MOV to control register: PG without PE and NW without CD are #GP(0)); the real
    // PG is forced only once PE is on. A refused write changes nothing and is the
    // guest's #GP(0) at the instruction: the monitor must never fault on a guest value.
    // PE clear with PG clear (and no NW without CD) passed the processor's checks: real
    // mode. Without EPT there is no "unrestricted guest" (SDM Vol. 3C, 26.2.1.1), so VT
    // cannot run it in guest mode, and this monitor does not emulate it (KVM emulated it
    // on such processors; VMware used V86 mode): a clean stop, not a #GP the guest would
    // never get natively.
    const bool refused =
        (value & cpu::cr0::PG) || ((value & cpu::cr0::NW) && !(value & cpu::cr0::CD));
    if (!(value & cpu::cr0::PE) && !refused) {
      cpu_.unsupported(
          "the guest cleared CR0.PE: real mode is not virtualized under VT with shadow paging "
          "(\"unrestricted guest\" needs EPT, nested paging)");
    }
    vmm::QuietHardware quiet(cpu_);
    const uint32_t forced = cpu::cr0::WP | ((value & cpu::cr0::PE) ? cpu::cr0::PG : 0);
    try {
      cpu_.write_cr0(value | forced);
    } catch (const cpu::CpuFault&) {
      inject_exception(cpu::vec::GP, true, 0);
      return false;
    }
  }
  const uint32_t old = vcpu_->cr0;
  vcpu_->cr0 = value | cpu::cr0::ET;
  cpu::VmControls& c = cpu_.vm_controls();
  c.cr0_shadow = vcpu_->cr0;
  vm_.recorder().record(EventKind::cr_write, {0, old, vcpu_->cr0, 0});
  // Turning paging on or off and changing WP or PE flush the whole TLB, global entries
  // too (SDM Vol. 3A, 4.10.4.1): recorded as natively and as under the classic monitor.
  if ((old ^ vcpu_->cr0) & (cpu::cr0::PG | cpu::cr0::WP | cpu::cr0::PE)) {
    vm_.recorder().record(EventKind::tlb_flush, {1, 0, 0, 0});
  }
  if ((old ^ vcpu_->cr0) & cpu::cr0::WP) {
    shadow_->flush_all();
  } else if ((old ^ vcpu_->cr0) & cpu::cr0::PG) {
    shadow_->activate();
  }
  return true;
}

bool VtMonitor::write_guest_cr4(uint32_t value) {
  {
    // Shadow entries are never global and map 4 KiB pieces: PGE and PSE stay the
    // monitor's (off) on the real processor. A reserved bit is the guest's #GP(0), raised
    // by the processor's own check before anything changes (SDM Vol. 3A, 2.5: "setting a
    // reserved bit in CR4 ... causes a general-protection exception"); both masked bits
    // are defined, so the check sees what the guest wrote.
    // The shadow MMU shadows 32-bit tables only: the guest's processor has no PAE, and
    // CR4.PAE is a reserved bit to it (virtual_cpuid.h).
    if (value & cpu::cr4::PAE) {
      inject_exception(cpu::vec::GP, true, 0);
      return false;
    }
    vmm::QuietHardware quiet(cpu_);
    try {
      cpu_.write_cr4(value & ~(cpu::cr4::PGE | cpu::cr4::PSE));
    } catch (const cpu::CpuFault&) {
      inject_exception(cpu::vec::GP, true, 0);
      return false;
    }
  }
  const uint32_t old = vcpu_->cr4;
  vcpu_->cr4 = value;
  cpu::VmControls& c = cpu_.vm_controls();
  c.cr4_shadow = value;
  vm_.recorder().record(EventKind::cr_write, {4, old, value, 0});
  // Changing PSE, PGE or PAE flushes the whole TLB (SDM Vol. 3A, 4.10.4.1), as natively.
  if ((old ^ value) & (cpu::cr4::PSE | cpu::cr4::PGE | cpu::cr4::PAE)) {
    vm_.recorder().record(EventKind::tlb_flush, {1, 0, 0, 0});
  }
  if ((old ^ value) & (cpu::cr4::PSE | cpu::cr4::PGE)) shadow_->flush_all();
  return true;
}

// Reason 30: the device model behind the machine's I/O bus does the access (the bus's
// observer records it as port_io, as natively).
void VtMonitor::io(const VmExit& exit) {
  namespace q = cpu::vmx::io_qual;
  const uint32_t qual = exit.qualification;
  const unsigned size = q::size(qual);
  const uint16_t port = q::port(qual);
  auto& m = vm_.machine();
  if (q::string(qual)) {
    string_io(exit);
    return;
  }
  if (q::in(qual)) {
    emulated(exit, size == 1 ? 0xE4 : 0xE5, 0);
    const uint32_t v = m.io_read(port, size);
    if (size == 1) {
      cpu_.set_r8(0, static_cast<uint8_t>(v));
    } else if (size == 2) {
      cpu_.set_r16(cpu::EAX, static_cast<uint16_t>(v));
    } else {
      cpu_.set_r32(cpu::EAX, v);
    }
  } else {
    emulated(exit, size == 1 ? 0xE6 : 0xE7, 0);
    const uint32_t eax = cpu_.r32(cpu::EAX);
    m.io_write(port, size, size == 4 ? eax : eax & ((1u << (8 * size)) - 1));
  }
  advance(exit);
}

// INS/OUTS (reason 30 with the string bit): the kit's element loop (engine/vmm/kit/
// string_io.h), a batch of at most 4096 elements per exit and no more than the run's budget
// has left; a REP form with ECX still non-zero exits again and continues, resumable as the
// hardware is between iterations (SDM Vol. 2B, REP). The qualification gives the port, size,
// direction and REP, the VM-exit instruction-information field the address size and OUTS'
// segment (SDM Vol. 3C, 27.2.5): the monitor reads no instruction bytes, which the guest's
// tables may no longer map where the processor fetched them (random guest --rich seed 31278
// --paging: an INSD that cleared its own page's directory entry, natively fetched again
// through the TLB). Its accesses go through the monitor's view of the guest's memory, a fault
// is injected, and the device access costs nothing beyond the exit (docs/modes/vt.md,
// "Costs": vmlab's device emulation is free, as for IN and OUT).
void VtMonitor::string_io(const VmExit& exit) {
  class View final : public vmm::StringIoView {
   public:
    View(vmm::GuestMemory& memory, const cpu::CpuState& s) : memory_(memory), s_(s) {}
    bool segment_allows(uint8_t seg, uint32_t offset, unsigned size, bool write) const override {
      // The guest runs on its own segments: the processor's checks on them as they are.
      return vmm::PrivilegedEmulator::segment_allows(s_.seg[seg], offset, size, write);
    }
    vmm::GuestWalk walk_for_write(uint32_t lin) override {
      return memory_.walk(lin, cpu::Access::kWrite, s_.cpl == 3, false);
    }
    bool read(uint32_t lin, uint32_t& value, unsigned size, vmm::GuestMemory::Fault& f) override {
      return memory_.read(lin, &value, size, s_.cpl == 3, &f);
    }
    bool write(uint32_t lin, uint32_t value, unsigned size, vmm::GuestMemory::Fault& f) override {
      return memory_.write(lin, &value, size, s_.cpl == 3, &f);
    }

   private:
    vmm::GuestMemory& memory_;
    const cpu::CpuState& s_;
  };
  namespace q = cpu::vmx::io_qual;
  cpu::CpuState& s = cpu_.state();
  vmm::GuestMemory& memory = guest_memory();
  vmm::StringIoOp op;
  op.in = q::in(exit.qualification);
  op.size = q::size(exit.qualification);
  op.port = q::port(exit.qualification);
  op.rep = q::rep(exit.qualification);
  op.a16 = cpu::vmx::io_info::a16(exit.instruction_info);
  op.src_seg = cpu::vmx::io_info::segment(exit.instruction_info);
  emulated(exit, op.in ? 0x6C : 0x6E, 0);
  View view(memory, s);
  const vmm::StringIoBatch b = vmm::string_io_batch(cpu_, vm_.machine(), view, op);
  switch (b.end) {
    case vmm::StringIoBatch::End::kSegmentFault: inject_exception(b.vector, true, 0); return;
    case vmm::StringIoBatch::End::kPageFault:
      s.cr2 = b.page_fault.linear;
      inject_exception(cpu::vec::PF, true, b.page_fault.error_code);
      return;
    case vmm::StringIoBatch::End::kAgain: return;  // the same instruction again
    case vmm::StringIoBatch::End::kComplete: advance(exit, true); return;
  }
}

vmm::GuestMemory& VtMonitor::guest_memory() {
  if (nested_view_) {
    // Nested paging: the guest's paging state is the processor's own in guest mode; the
    // view walks with it as it is now.
    const cpu::CpuState& s = cpu_.state();
    nested_view_->cr0 = s.cr0;
    nested_view_->cr3 = s.cr3;
    nested_view_->cr4 = s.cr4;
  }
  return memory_;
}

// Reasons 31 and 32: the MSRs the processor has, passed through; an unknown one is the
// guest's #GP, as natively.
void VtMonitor::msr(const VmExit& exit) {
  cpu::CpuState& s = cpu_.state();
  const bool read = exit.reason == ExitReason::kRdmsr;
  emulated(exit, read ? 0x132 : 0x130, 0);
  bool ok;
  if (read) {
    uint64_t v = 0;
    // IA32_EFER exists only where the guest has PAE (virtual_cpuid.h).
    ok = !(paging_ == VtPaging::kShadow && s.gpr[cpu::ECX] == cpu::msr::IA32_EFER) &&
         cpu_.read_msr(s.gpr[cpu::ECX], v);
    if (ok) {
      s.gpr[cpu::EAX] = static_cast<uint32_t>(v);
      s.gpr[cpu::EDX] = static_cast<uint32_t>(v >> 32);
    }
  } else {
    ok = !(paging_ == VtPaging::kShadow && s.gpr[cpu::ECX] == cpu::msr::IA32_EFER) &&
         cpu_.write_msr(s.gpr[cpu::ECX], uint64_t{s.gpr[cpu::EDX]} << 32 | s.gpr[cpu::EAX]);
    if (ok && s.gpr[cpu::ECX] == cpu::msr::IA32_APIC_BASE) {
      // The guest moved (or disabled) its local APIC: the APIC-access page and the device
      // frame that backs it follow, and shadows made for either page's old meaning go.
      const uint32_t page = vmm::guest_apic_page(vm_.machine().local_apic());
      if (page != cpu_.vm_controls().apic_access_address) {
        cpu_.vm_controls().apic_access_address = page == vmm::kNoApicPage ? 0 : page;
        if (p2m_) {
          p2m_->set_device_frame(page == vmm::kNoApicPage ? vmm::kNoApicPage
                                                          : page / vmm::P2m::kPageSize);
        }
        if (shadow_) shadow_->flush_all();
      }
    }
  }
  if (!ok) {
    inject_exception(cpu::vec::GP, true, 0);
    return;
  }
  advance(exit);
}

// Reason 44: a data access to the APIC-access page, the guest's local APIC page
// (engine/vmm/kit/guest_apic.h). The qualification gives the offset and whether it was a read
// or a write (SDM Vol. 3C, 29.4.4); nothing of the instruction has happened. The monitor
// lets this one instruction run again with its APIC-page accesses reaching the APIC
// model, which judges them as the hardware does (a narrow or unaligned write is dropped,
// a reserved offset reads 0); the model's accesses are recorded as `mmio` events.
void VtMonitor::apic_access(const VmExit& exit) {
  namespace q = cpu::vmx::apic_qual;
  const uint32_t type = q::access_type(exit.qualification);
  if (type != q::kLinearRead && type != q::kLinearWrite) {
    cpu_.unsupported("APIC-access exit of access type " + std::to_string(type) +
                     " (only data reads and writes are modeled)");
  }
  cpu_.pass_apic_access_once();
}

// Reason 48: the nested table maps all of guest-physical space from boot, so a nested
// fault is live migration's write tracking (nested_dirty.h) or means the monitor's table
// is wrong; stop rather than guess.
void VtMonitor::nested_fault(const VmExit& exit) {
  if (nested_tracker_ && nested_tracker_->on_violation(exit, exit_overhead_)) return;
  if (!(exit.qualification & cpu::vmx::ept_qual::kReadable) &&
      vmm::is_device_page(exit.guest_physical / vmm::P2m::kPageSize, vmm::kNoApicPage, false)) {
    // A device page the nested table leaves unmapped (device_pages.h: the I/O APIC's): the
    // instruction runs once more with its accesses there reaching the machine's bus, where
    // the device model judges them as natively; the next one exits again.
    cpu_.pass_apic_access_once();
    return;
  }
  cpu_.unsupported("nested-paging fault (EPT violation) at guest-physical " +
                   std::to_string(exit.guest_physical) + ", qualification " +
                   std::to_string(exit.qualification));
}

// --- Shadow paging: emulated stores --------------------------------------------------------

void VtMonitor::emulate_store() {
  using Verdict = vmm::PrivilegedEmulator::Verdict;
  const auto out = emulator_->emulate_write();
  switch (out.verdict) {
    case Verdict::kEmulated:
      // The store retired, so a shadow the exit saved ended with it, and it is one unit of
      // the budget (see advance()).
      cpu_.state().interrupt_shadow = false;
      cpu_.charge_budget(1);
      return;
    case Verdict::kFault:
      // The store faults for the guest as it would natively (the guest's CR2 is real).
      if (out.vector == cpu::vec::PF) cpu_.state().cr2 = vcpu_->cr2;
      inject_exception(out.vector, out.has_error_code, out.error_code);
      return;
    case Verdict::kNotEmulated:
      cpu_.unsupported("the VT monitor cannot emulate the store at EIP " +
                       std::to_string(cpu_.state().eip) + " to a write-protected guest page");
  }
}

}  // namespace vmlab::modes
