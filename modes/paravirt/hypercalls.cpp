#include "modes/paravirt/hypercalls.h"

#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/recorder.h"
#include "engine/vmm/core/vm.h"
#include "modes/paravirt/pv_abi.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {

void Hypercalls::dispatch() {
  cpu::CpuState& s = m_.cpu().state();
  const uint32_t nr = s.gpr[cpu::EAX];
  const uint32_t a1 = s.gpr[cpu::EBX], a2 = s.gpr[cpu::ECX], a3 = s.gpr[cpu::EDX];
  int32_t r;
  switch (nr) {
    case abi::kSetTrapTable: r = set_trap_table(a1); break;
    case abi::kMmuUpdate: r = mmu_update(a1, a2, a3); break;
    case abi::kStackSwitch: r = stack_switch(a1, a2); break;
    case abi::kSetCallbacks: r = set_callbacks(a1, a2); break;
    case abi::kUpdateVaMapping: r = update_va_mapping(a1, a2, a3); break;
    case abi::kSetTimerOp: r = set_timer_op(a1, a2); break;
    case abi::kXenVersion: r = xen_version(a1, a2); break;
    case abi::kConsoleIo: r = console_io(a1, a2, a3); break;
    case abi::kMmuextOp: r = mmuext_op(a1, a2, a3); break;
    case abi::kSchedOp: r = sched_op(a1, a2); break;
    case abi::kEventChannelOp: r = event_channel_op(a1, a2); break;
    case abi::kPhysdevOp: r = physdev_op(a1, a2, a3); break;
    default: r = -abi::kENOSYS; break;
  }
  // Journey stop 26: the result goes back in EAX; the monitor returns (docs/journey.md).
  s.gpr[cpu::EAX] = static_cast<uint32_t>(r);
  m_.recorder().record(vmm::EventKind::hypercall, {nr, a1, a2, static_cast<uint32_t>(r)});
  m_.settle_paging();
}

// set_trap_table(table): Xen's HYPERVISOR_set_trap_table. Entries {u8 vector, u8 flags,
// u16 cs, u32 address} up to one with address 0; a null table clears every handler. The
// whole table is read and checked before the first entry is registered: a table that is
// refused (-EFAULT unreadable, -EPERM/-EINVAL an entry, -EINVAL no terminator within 256
// entries) changes nothing.
int32_t Hypercalls::set_trap_table(uint32_t table) {
  if (table == 0) {
    m_.clear_traps();
    return 0;
  }
  struct Entry {
    uint8_t vector, flags;
    uint16_t cs;
    uint32_t address;
  };
  std::vector<Entry> entries;
  for (uint32_t i = 0;; ++i) {
    if (i == 256) return -abi::kEINVAL;  // no terminator within 256 entries
    uint8_t e[abi::kTrapInfoSize];
    if (!m_.memory().copy_from_guest(m_.cr3(), table + i * abi::kTrapInfoSize, e, sizeof e)) {
      return -abi::kEFAULT;
    }
    const uint32_t address = e[4] | e[5] << 8 | e[6] << 16 | uint32_t{e[7]} << 24;
    if (address == 0) break;
    const auto cs = static_cast<uint16_t>(e[2] | e[3] << 8);
    if (const int32_t r = PvMonitor::check_trap(e[1], cs, address); r != 0) return r;
    entries.push_back({e[0], e[1], cs, address});
  }
  for (const Entry& e : entries) m_.set_trap(e.vector, e.flags, e.cs, e.address);
  return 0;
}

int32_t Hypercalls::update_one(uint32_t entry_ma, uint32_t value) {
  MachineMemory& mem = m_.memory();
  const uint32_t old = mem.valid_machine(entry_ma, 4) ? mem.read32(entry_ma) : 0;
  const int32_t r = m_.paging().update_entry(entry_ma, value);
  if (r == 0) {
    const uint32_t gpa = m_.p2m().guest_frame(entry_ma / MachineMemory::kPageSize).value_or(0) *
                             MachineMemory::kPageSize +
                         entry_ma % MachineMemory::kPageSize;
    m_.recorder().record(vmm::EventKind::guest_pt_write, {gpa, value, old, 0});
  }
  return r;
}

// mmu_update(requests, count, done_out): Xen's HYPERVISOR_mmu_update. Each request
// {ptr, val}: ptr is the machine address of a page-table entry, its low two bits the
// command. Requests are applied in order; the first refused one stops the batch (the
// ones before it stay applied, as in Xen) and its error is the result. *done_out gets
// the number applied.
//
// Before the first request is applied, the whole array is read and the completion
// pointer is checked writable: an unreadable array or an unwritable pointer is -EFAULT
// with nothing changed. A batch that itself takes away the pointer's mapping still
// returns its own result (the count is then not written), as Xen ignores a failed copy
// of the count.
int32_t Hypercalls::mmu_update(uint32_t requests, uint32_t count, uint32_t done_out) {
  if (count > abi::kMaxBatch) return -abi::kEINVAL;
  std::vector<uint32_t> req(uint64_t{count} * 2);
  if (!m_.memory().copy_from_guest(m_.cr3(), requests, req.data(), count * abi::kMmuUpdateSize)) {
    return -abi::kEFAULT;
  }
  if (done_out != 0 && !m_.memory().writable(m_.cr3(), done_out, 4)) return -abi::kEFAULT;
  uint32_t done = 0;
  int32_t r = 0;
  for (; done < count; ++done) {
    const uint32_t ptr = req[done * 2], value = req[done * 2 + 1];
    const uint32_t cmd = ptr & 3;
    if (cmd != abi::kMmuNormalPtUpdate) {
      r = cmd == abi::kMmuMachphysUpdate ? -abi::kENOSYS : -abi::kEINVAL;
      break;
    }
    if ((r = update_one(ptr & ~3u, value)) != 0) break;
  }
  if (done_out != 0) m_.memory().copy_to_guest(m_.cr3(), done_out, &done, 4);
  return r;
}

// stack_switch(ss, esp): Xen's HYPERVISOR_stack_switch: the ring-1 stack for traps from
// user mode (the real TSS's SS1:ESP1).
int32_t Hypercalls::stack_switch(uint32_t ss, uint32_t esp) {
  return m_.set_kernel_stack(ss, esp);
}

// set_callbacks(event_cs, event_eip): Xen's HYPERVISOR_set_callbacks (the event half).
int32_t Hypercalls::set_callbacks(uint32_t event_cs, uint32_t event_eip) {
  return m_.set_callback(event_cs, event_eip);
}

// update_va_mapping(va, value, flags): Xen's HYPERVISOR_update_va_mapping: the entry
// that maps `va` in the current address space gets `value`, then optionally an INVLPG
// (UVMF_INVLPG) or a full flush (UVMF_TLB_FLUSH). Other flag bits (Xen's UVMF_ALL and its
// vCPU mask have no meaning with one virtual CPU) are refused before anything changes.
int32_t Hypercalls::update_va_mapping(uint32_t va, uint32_t value, uint32_t flags) {
  if (flags & ~(abi::kUvmfTlbFlush | abi::kUvmfInvlpg)) return -abi::kEINVAL;
  if (va >= abi::kHypervisorHole) return -abi::kEPERM;
  MachineMemory& mem = m_.memory();
  const uint32_t pde = mem.read32((m_.cr3() & ~0xFFFu) + (va >> 22) * 4);
  if (!(pde & DirectPaging::kPresent)) return -abi::kEINVAL;
  const int32_t r = update_one((pde & ~0xFFFu) + ((va >> 12) & 0x3FF) * 4, value);
  if (r != 0) return r;
  if (flags & abi::kUvmfTlbFlush) {
    m_.flush_tlb();
  } else if (flags & abi::kUvmfInvlpg) {
    m_.invlpg(va);
  }
  return 0;
}

// set_timer_op(lo, hi): Xen's HYPERVISOR_set_timer_op: a one-shot deadline, here in the
// guest's TSC cycles rather than Xen's nanoseconds of system time; 0 cancels.
int32_t Hypercalls::set_timer_op(uint32_t deadline_lo, uint32_t deadline_hi) {
  m_.set_timer(uint64_t{deadline_hi} << 32 | deadline_lo);
  return 0;
}

// xen_version(cmd, arg): the ABI handshake (docs/pv-abi.md, "Versions").
int32_t Hypercalls::xen_version(uint32_t cmd, uint32_t arg) {
  switch (cmd) {
    case abi::kVersionGet: return static_cast<int32_t>(abi::kAbiVersion);
    case abi::kVersionRequest: return arg == abi::kAbiVersion ? 0 : -abi::kEINVAL;
    default: return -abi::kENOSYS;
  }
}

// console_io(CONSOLEIO_write, count, buffer): Xen's HYPERVISOR_console_io: bytes straight
// to the console, for before the ring works and for last words.
int32_t Hypercalls::console_io(uint32_t cmd, uint32_t count, uint32_t buffer) {
  if (cmd != abi::kConsoleWrite) return -abi::kENOSYS;
  if (count > 4096) return -abi::kEINVAL;
  char buf[4096];
  if (!m_.memory().copy_from_guest(m_.cr3(), buffer, buf, count)) return -abi::kEFAULT;
  for (uint32_t i = 0; i < count; ++i) {
    m_.vm().machine().uart().io_write(0, 1, static_cast<uint8_t>(buf[i]));
  }
  return static_cast<int32_t>(count);
}

// mmuext_op(ops, count, done_out): Xen's HYPERVISOR_mmuext_op. Each op {cmd, arg1, arg2}:
// pin an L1 or L2 table (arg1 = mfn), unpin, new base pointer, flush the TLB, INVLPG
// (arg1 = linear address). Stops at the first refused op, like mmu_update, and like it
// reads the whole array and checks the completion pointer before the first op.
int32_t Hypercalls::mmuext_op(uint32_t ops, uint32_t count, uint32_t done_out) {
  if (count > abi::kMaxBatch) return -abi::kEINVAL;
  std::vector<uint32_t> op(uint64_t{count} * 3);
  if (!m_.memory().copy_from_guest(m_.cr3(), ops, op.data(), count * abi::kMmuextOpSize)) {
    return -abi::kEFAULT;
  }
  if (done_out != 0 && !m_.memory().writable(m_.cr3(), done_out, 4)) return -abi::kEFAULT;
  DirectPaging& paging = m_.paging();
  uint32_t done = 0;
  int32_t r = 0;
  for (; done < count; ++done) {
    const uint32_t cmd = op[done * 3], arg = op[done * 3 + 1];
    switch (cmd) {
      case abi::kPinL1Table: r = paging.pin(arg, DirectPaging::Type::l1); break;
      case abi::kPinL2Table: r = paging.pin(arg, DirectPaging::Type::l2); break;
      case abi::kUnpinTable: r = paging.unpin(arg); break;
      case abi::kNewBaseptr:
        if ((r = paging.new_baseptr(arg)) == 0) m_.load_baseptr(arg);
        break;
      case abi::kTlbFlushLocal: m_.flush_tlb(); break;
      case abi::kInvlpgLocal: m_.invlpg(arg); break;
      default: r = -abi::kENOSYS; break;
    }
    if (r != 0) break;
  }
  if (done_out != 0) m_.memory().copy_to_guest(m_.cr3(), done_out, &done, 4);
  return r;
}

// sched_op(cmd, arg): Xen's HYPERVISOR_sched_op: yield (one virtual CPU: nothing to do),
// block until an event, shut down with status `arg`.
int32_t Hypercalls::sched_op(uint32_t cmd, uint32_t arg) {
  switch (cmd) {
    case abi::kSchedYield: m_.run_backends(); return 0;
    case abi::kSchedBlock: m_.block(); return 0;
    case abi::kSchedShutdown:
      // The status is the exit port's byte: a larger one is refused, not truncated.
      if (arg > 0xFF) return -abi::kEINVAL;
      m_.shutdown(arg);
      return 0;
    default: return -abi::kENOSYS;
  }
}

// event_channel_op(EVTCHNOP_send, port): Xen's notify. Port 1 is the console ring: the
// back end consumes the whole batch the guest produced, one notification for all of it.
// Port 3 is the block ring (a domain with a disk), port 4 the second disk's: that back end
// has work, and does it when the domain next gives up the processor (blk_back.h).
int32_t Hypercalls::event_channel_op(uint32_t cmd, uint32_t port) {
  if (cmd != abi::kEvtchnSend) return -abi::kENOSYS;
  for (uint32_t vbd = 0; vbd < abi::kMaxBlkDevices; ++vbd) {
    if (port != abi::blk_port(vbd) || m_.blk(vbd) == nullptr) continue;
    m_.blk(vbd)->notify();
    m_.recorder().record(vmm::EventKind::ring_notify, {port, m_.blk(vbd)->unconsumed(), 0, 0});
    return 0;
  }
  if (port != abi::kConsolePort) return -abi::kEINVAL;
  const uint32_t bytes = m_.console().consume_output();
  m_.recorder().record(vmm::EventKind::ring_notify, {abi::kConsolePort, bytes, 0, 0});
  return 0;
}

// physdev_op: the port I/O a PV guest may still do, through the monitor. Only the POST
// port 0x80 (the `in` benchmark's port, harmless); everything else is refused, because
// the devices belong to the monitor.
int32_t Hypercalls::physdev_op(uint32_t cmd, uint32_t port, uint32_t value) {
  if (cmd != abi::kPhysdevPortRead && cmd != abi::kPhysdevPortWrite) return -abi::kENOSYS;
  if (port != abi::kPostPort) return -abi::kEPERM;
  // The port is a byte wide: a larger value is refused, not truncated.
  if (cmd == abi::kPhysdevPortWrite && value > 0xFF) return -abi::kEINVAL;
  auto& bus = m_.vm().machine().io_bus();
  // The monitor's IN or OUT is a bus cycle like the guest's would be: it costs the
  // profile's port-I/O instruction class.
  m_.cpu().add_cycles(m_.cpu().class_costs()[cpu::kCostPortIo]);
  if (cmd == abi::kPhysdevPortRead) return static_cast<int32_t>(bus.read(abi::kPostPort, 1));
  bus.write(abi::kPostPort, 1, value);
  return 0;
}

}  // namespace vmlab::modes::paravirt
