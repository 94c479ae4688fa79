#include "modes/paravirt/pv_monitor.h"

#include <cstdio>

#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/virtual_cpuid.h"
#include "modes/paravirt/hypercalls.h"
#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {

namespace {

// The 32-bit TSS fields the monitor uses (SDM Vol. 3A, figure 7-2).
constexpr uint32_t kTssEsp1 = 12;
constexpr uint32_t kTssSs1 = 16;

// The pseudo-vector the trace shows for an event upcall (not a processor vector).
constexpr uint32_t kUpcallVector = 0x100;

// The serial line the monitor reads for the console ring: COM1's IRQ, its line status
// register and that register's data-ready bit (PC16550D datasheet).
constexpr unsigned kUartIrq = 4;
constexpr uint16_t kUartLsr = 5;
constexpr uint8_t kLsrDataReady = 0x01;

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

PvMonitor::PvMonitor(vmm::Vm& vm, const vmm::P2m& p2m)
    : vm_(vm),
      p2m_(p2m),
      memory_(vm.machine().memory().span(), &vm.machine().cpu()),
      paging_(memory_),
      hypercalls_(std::make_unique<Hypercalls>(*this)) {}

PvMonitor::~PvMonitor() = default;

void PvMonitor::set_layout(const Layout& layout) {
  layout_ = layout;
  events_ = std::make_unique<EventChannels>(memory_, layout.shared_info_ma);
  // The back end writes to the machine's console through the UART's transmitter, host
  // side: no port I/O, no event per byte.
  console_ = std::make_unique<ConsoleRing>(memory_, layout.console_ring_ma, [this](char c) {
    vm_.machine().uart().io_write(0, 1, static_cast<uint8_t>(c));
  });
}

cpu::Cpu& PvMonitor::cpu() {
  return vm_.machine().cpu();
}

vmm::Recorder& PvMonitor::recorder() {
  return vm_.recorder();
}

uint32_t PvMonitor::cr3() const {
  return vm_.machine().cpu().state().cr3;
}

// --- The monitor's entry: one switch on what the processor handed over ------------------

bool PvMonitor::on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                             uint32_t error_code) {
  if (dead_) return true;
  const cpu::CpuState& s = cpu().state();
  switch (source) {
    case cpu::EventSource::kExternal: external_interrupt(vector); break;
    case cpu::EventSource::kNmi:
      // A PV machine has no local APIC (docs/pv-abi.md): nothing raises the NMI input.
      cpu().unsupported("an NMI reached the paravirtual monitor, whose guest has no NMI source");
    case cpu::EventSource::kSoftware:
      // Journey stop 24: INT 0x82 from ring 1 is a hypercall (docs/journey.md).
      if (vector == abi::kHypercallVector && s.cpl == 1) {
        hypercalls_->dispatch();
        deliver_upcall_if_pending();
        break;
      }
      [[fallthrough]];
    case cpu::EventSource::kInt3:
    case cpu::EventSource::kInto: {
      recorder().record(vmm::EventKind::trap, {vector, 0, 0, 0});
      // The gate check the hardware would make against the guest's trap table.
      const TrapEntry& t = traps_[vector];
      if (!t.set || (t.flags & abi::kTrapFlagDplMask) < s.cpl) {
        reflect(cpu::vec::GP, true, uint32_t{vector} * 8 + 2);
      } else {
        recorder().record(vmm::EventKind::virq_inject, {vector, 0, 0, 0});
        bounce(t.cs, t.eip, false, 0, (t.flags & abi::kTrapFlagMaskEvents) != 0);
      }
      break;
    }
    case cpu::EventSource::kException:
      recorder().record(vmm::EventKind::trap, {vector, error_code, has_error_code ? 1u : 0u, 0});
      if (vector == cpu::vec::GP && emulate_cpuid()) break;
      // Only ring 0 can read CR2: the monitor hands the address over in the shared-info
      // page, where the guest's read_fault_addr finds it (Xen: vcpu_info.arch.cr2).
      if (vector == cpu::vec::PF) events_->set_cr2(s.cr2);
      reflect(vector, has_error_code, error_code);
      break;
  }
  return true;
}

// A #GP at a CPUID: CPUID faulting (domain_builder.cpp) trapped it. The answer is the
// virtual CPU's (engine/vmm/kit/virtual_cpuid.h): the hypervisor bit and leaf 40000000H, and
// no local APIC (CPUID.1:EDX.APIC = 0: the PV guest's timer is an event channel).
bool PvMonitor::emulate_cpuid() {
  cpu::CpuState& s = cpu().state();
  const uint32_t lin = s.seg[cpu::CS].base + s.eip;
  uint8_t bytes[2] = {0, 0};
  if (!memory_.copy_from_guest(cr3(), lin, bytes, 2) || bytes[0] != 0x0F || bytes[1] != 0xA2) {
    return false;
  }
  // Direct paging validates 32-bit tables only: the pv guest's processor has no PAE.
  const auto r = vmm::virtual_cpuid(cpu(), s.gpr[cpu::EAX], vmm::GuestPae::kAbsent);
  s.gpr[cpu::EAX] = r[0];
  s.gpr[cpu::EBX] = r[1];
  s.gpr[cpu::ECX] = r[2];
  s.gpr[cpu::EDX] = r[3];
  s.eip += 2;
  recorder().record(vmm::EventKind::emulated_insn, {0x1A2, 0, lin, 0});
  return true;
}

void PvMonitor::external_interrupt(uint8_t vector) {
  recorder().record(vmm::EventKind::trap, {vector, 0, 0, 0});
  const unsigned irq = vector - kPicBase;
  if (irq == 0) {
    // The monitor owns the 8259A: it acknowledges the timer itself.
    vm_.machine().pic().master().io_write(0, 1, 0x20);
    const uint64_t deadline = events_->timer_deadline();
    if (deadline != 0 && cpu().tsc() >= deadline) {
      events_->set_timer_deadline(0);
      events_->send(abi::kTimerPort);
    } else {
      arm_hardware_timer();  // early (the 8254 counts in its own ticks): wait again
    }
  }
  if (irq == kUartIrq) vm_.machine().pic().master().io_write(0, 1, 0x20);
  // Any other line is masked at the 8259A; a spurious IRQ 7 needs no acknowledgement.
  run_backends();
  deliver_upcall_if_pending();
  if (blocked_) cpu().state().halted = true;  // still nothing for the guest: keep waiting
}

void PvMonitor::reflect(uint8_t vector, bool has_error_code, uint32_t error_code) {
  const TrapEntry& t = traps_[vector];
  if (!t.set) {
    kill("exception " + std::to_string(vector) + " at EIP " + hex(cpu().state().eip) + " (CR2 " +
         hex(cpu().state().cr2) + "), and the guest registered no handler for it " +
         "(set_trap_table)");
    return;
  }
  recorder().record(vmm::EventKind::virq_inject, {vector, error_code, has_error_code ? 1u : 0u, 0});
  bounce(t.cs, t.eip, has_error_code, error_code, (t.flags & abi::kTrapFlagMaskEvents) != 0);
}

bool PvMonitor::bounce(uint16_t cs, uint32_t eip, bool has_error_code, uint32_t error_code,
                       bool mask_events) {
  cpu::CpuState& s = cpu().state();
  const bool virtual_if = !events_->upcall_mask();
  const uint32_t flags = (s.eflags & ~cpu::flags::IF) | (virtual_if ? cpu::flags::IF : 0);
  const bool from_user = s.cpl == 3;
  uint32_t esp = s.gpr[cpu::ESP];
  uint16_t ss = s.seg[cpu::SS].selector;
  // Values from the highest address down, as the processor pushes them.
  uint32_t frame[6];
  unsigned n = 0;
  if (from_user) {
    const uint32_t tss = layout_.tss_mfn * MachineMemory::kPageSize;
    esp = memory_.read32(tss + kTssEsp1);
    ss = static_cast<uint16_t>(memory_.read32(tss + kTssSs1));
    frame[n++] = s.seg[cpu::SS].selector;
    frame[n++] = s.gpr[cpu::ESP];
  }
  frame[n++] = flags;
  frame[n++] = s.seg[cpu::CS].selector;
  frame[n++] = s.eip;
  if (has_error_code) frame[n++] = error_code;
  const uint32_t new_esp = esp - 4 * n;
  // The whole frame must be writable before anything changes.
  if (ss != abi::kRing1Ds || esp < 4 * n || !memory_.translate_to_machine(cr3(), new_esp, true) ||
      !memory_.translate_to_machine(cr3(), esp - 1, true)) {
    kill("cannot deliver to the guest's handler at " + hex(eip) + " (from EIP " + hex(s.eip) +
         ", CR2 " + hex(s.cr2) + "): its ring-1 stack at " + hex(esp) +
         " is not mapped writable (stack_switch not called, or a broken kernel stack)");
    return false;
  }
  for (unsigned i = 0; i < n; ++i) {
    memory_.copy_to_guest(cr3(), esp - 4 * (i + 1), &frame[i], 4);
  }
  if (from_user) {
    s.seg[cpu::SS] = descriptor_cache(ss);
    s.cpl = 1;
  }
  s.gpr[cpu::ESP] = new_esp;
  s.seg[cpu::CS] = descriptor_cache(cs);
  s.eip = eip;
  // As an interrupt gate: TF, NT and RF cleared. The real IF stays set: the monitor must
  // keep receiving interrupts while the guest runs.
  cpu().set_eflags(s.eflags & ~(cpu::flags::TF | cpu::flags::NT | cpu::flags::RF));
  s.halted = false;
  blocked_ = false;
  if (mask_events) events_->set_upcall_mask(true);
  return true;
}

void PvMonitor::deliver_upcall_if_pending() {
  if (dead_ || callback_eip_ == 0 || !events_->deliverable()) return;
  recorder().record(vmm::EventKind::virq_inject, {kUpcallVector, events_->pending_ports(), 0, 0});
  bounce(callback_cs_, callback_eip_, false, 0, true);
}

cpu::SegmentCache PvMonitor::descriptor_cache(uint16_t selector) const {
  const uint32_t gdt = layout_.gdt_mfn * MachineMemory::kPageSize;
  const uint32_t index = selector >> 3;
  const uint64_t raw =
      uint64_t{memory_.read32(gdt + index * 8 + 4)} << 32 | memory_.read32(gdt + index * 8);
  return cpu::Descriptor{raw}.to_cache(selector);
}

// --- Services for the hypercalls ---------------------------------------------------------

void PvMonitor::write_idt_gate(uint8_t vector, uint16_t cs, uint32_t eip, unsigned dpl,
                               bool present) {
  // A 32-bit trap gate (SDM Vol. 3A, figure 6-2): a trap gate, not an interrupt gate, so
  // the real IF stays set in the guest's handler.
  const uint32_t lo = (eip & 0xFFFFu) | (uint32_t{cs} << 16);
  const uint32_t hi = (eip & 0xFFFF0000u) | (present ? 0x8000u : 0) | (dpl << 13) |
                      (uint32_t{cpu::sys_type::kTrapGate32} << 8);
  const uint32_t at = layout_.idt_mfn * MachineMemory::kPageSize + uint32_t{vector} * 8;
  memory_.write32(at, present ? lo : 0);
  memory_.write32(at + 4, present ? hi : 0);
}

int32_t PvMonitor::check_trap(uint8_t flags, uint16_t cs, uint32_t eip) {
  // Xen's one check on a trap table: the handler must not run in ring 0. Here the guest
  // has exactly one code segment of its own, the ring-1 one.
  if (cs != abi::kRing1Cs) return -abi::kEPERM;
  if (eip >= abi::kHypervisorHole) return -abi::kEINVAL;
  // Flags the ABI does not define are refused rather than ignored.
  if (flags & ~(abi::kTrapFlagDplMask | abi::kTrapFlagMaskEvents)) return -abi::kEINVAL;
  return 0;
}

int32_t PvMonitor::set_trap(uint8_t vector, uint8_t flags, uint16_t cs, uint32_t eip) {
  if (const int32_t r = check_trap(flags, cs, eip); r != 0) return r;
  traps_[vector] = TrapEntry{true, flags, cs, eip};
  if (vector == abi::kSyscallVector) {
    // The fast system-call path: with DPL 3 the hardware delivers INT 0x80 to the guest
    // itself. Registered again without DPL 3, the old gate must go, or user mode would
    // still reach the old handler past the check the new entry asks for.
    const bool direct = (flags & abi::kTrapFlagDplMask) == 3;
    write_idt_gate(vector, cs, eip, 3, direct);
    set_software_vector_delegated(vector, direct);
  }
  return 0;
}

void PvMonitor::clear_traps() {
  traps_ = {};
  write_idt_gate(abi::kSyscallVector, 0, 0, 0, false);
  set_software_vector_delegated(abi::kSyscallVector, false);
}

int32_t PvMonitor::set_kernel_stack(uint32_t ss, uint32_t esp) {
  if (ss > 0xFFFF) return -abi::kEINVAL;
  if (ss != abi::kRing1Ds) return -abi::kEPERM;
  if (esp > abi::kHypervisorHole) return -abi::kEINVAL;
  const uint32_t tss = layout_.tss_mfn * MachineMemory::kPageSize;
  memory_.write32(tss + kTssEsp1, esp);
  memory_.write32(tss + kTssSs1, ss);
  return 0;
}

int32_t PvMonitor::set_callback(uint32_t cs, uint32_t eip) {
  if (cs > 0xFFFF) return -abi::kEINVAL;
  if (cs != abi::kRing1Cs) return -abi::kEPERM;
  if (eip >= abi::kHypervisorHole) return -abi::kEINVAL;
  callback_cs_ = static_cast<uint16_t>(cs);
  callback_eip_ = eip;
  return 0;
}

void PvMonitor::set_timer(uint64_t deadline_tsc) {
  events_->set_timer_deadline(deadline_tsc);
  if (deadline_tsc != 0 && deadline_tsc <= cpu().tsc()) {
    events_->set_timer_deadline(0);
    events_->send(abi::kTimerPort);
  }
  arm_hardware_timer();
}

void PvMonitor::arm_hardware_timer() {
  // Counter 0 of the 8254 in mode 0 (interrupt on terminal count): one IRQ 0 edge when
  // the count runs out. Count 0 would mean 65536, so the count is at least 1.
  auto& pit = vm_.machine().pit();
  const uint64_t deadline = events_->timer_deadline();
  pit.io_write(3, 1, 0x30);   // counter 0, LSB then MSB, mode 0, binary
  if (deadline == 0) return;  // the control word alone leaves OUT low: no edge
  const uint64_t now = cpu().tsc();
  const uint64_t delta = deadline > now ? deadline - now : 0;
  const uint64_t hz = uint64_t{vm_.machine().config().cpu_mhz} * 1'000'000;
  // A deadline at least a second away is the counter's longest period (65535 ticks, about
  // 55 ms) away; the product below would overflow 64 bits for a deadline hours away and
  // arm the counter for a wrong, short time.
  uint64_t ticks = delta >= hz ? 0xFFFF : (delta * machine::Pit8254::kHz + hz - 1) / hz;
  if (ticks < 1) ticks = 1;
  if (ticks > 0xFFFF) ticks = 0xFFFF;
  pit.io_write(0, 1, static_cast<uint32_t>(ticks & 0xFF));
  pit.io_write(0, 1, static_cast<uint32_t>(ticks >> 8));
}

void PvMonitor::console_input() {
  auto& uart = vm_.machine().uart();
  const uint32_t n = console_->feed_input([&uart]() -> std::optional<uint8_t> {
    if (!(uart.io_read(kUartLsr, 1) & kLsrDataReady)) return std::nullopt;
    return static_cast<uint8_t>(uart.io_read(0, 1));
  });
  if (n == 0) return;
  events_->send(abi::kConsolePort);
  recorder().record(vmm::EventKind::ring_notify, {abi::kConsolePort, n, 1, 0});
}

void PvMonitor::set_blk(std::unique_ptr<BlkBack> blk) {
  if (blk == nullptr || blk->vbd() >= blk_.size()) return;
  std::unique_ptr<BlkBack>& slot = blk_[blk->vbd()];
  slot = std::move(blk);
  slot->set_request_hook([this](const machine::BlockRequest& r) {
    recorder().record(
        vmm::EventKind::blk_request,
        {static_cast<uint32_t>(r.op), static_cast<uint32_t>(r.sector), r.sectors, r.detail});
  });
}

void PvMonitor::run_backends() {
  console_input();
  // Each disk's back end in turn, vbd 0 first (a fixed order: runs stay deterministic).
  for (const std::unique_ptr<BlkBack>& blk : blk_) {
    if (blk == nullptr || !blk->working()) continue;
    const BlkBack::Run r = blk->run();
    if (r.notify) {
      const uint32_t port = abi::blk_port(blk->vbd());
      events_->send(port);
      recorder().record(vmm::EventKind::ring_notify, {port, r.requests, 1, 0});
    }
  }
}

void PvMonitor::block() {
  // Xen's SCHEDOP_block: enable event delivery, and sleep unless one is already pending.
  // The processor is free: a back end with work runs now (blk_back.h).
  run_backends();
  events_->set_upcall_mask(false);
  if (events_->deliverable()) return;  // delivered on the way out of the hypercall
  blocked_ = true;
  cpu().state().halted = true;
}

void PvMonitor::shutdown(uint32_t status) {
  // The machine's exit device ends the run with the status, as the native guest's
  // write to port 0xF4 does; the monitor writes it on the guest's behalf.
  vm_.machine().io_bus().write(0xF4, 1, status & 0xFF);
  cpu().state().halted = true;
}

void PvMonitor::load_baseptr(uint32_t mfn) {
  cpu().write_cr3(mfn * MachineMemory::kPageSize);
  paging_.tlb_flushed();
}

void PvMonitor::flush_tlb() {
  cpu().tlb_flush(false);
  paging_.tlb_flushed();
}

void PvMonitor::invlpg(uint32_t linear) {
  cpu().tlb_invlpg(linear);
}

void PvMonitor::settle_paging() {
  if (paging_.take_flush_request()) flush_tlb();
}

void PvMonitor::kill(const std::string& why) {
  dead_ = true;
  cpu().shutdown("pv: the monitor killed the domain: " + why);
}

}  // namespace vmlab::modes::paravirt
