#include "gui/event_decoder.h"

#include <QCoreApplication>

#include "engine/cpu/vmx.h"
#include "modes/binary-translation/classified_insn.h"
#include "modes/paravirt/pv_abi.h"

namespace vmlab::gui {

namespace {

QString hex(uint32_t v) {
  return QStringLiteral("0x") + QString::number(v, 16);
}

}  // namespace

// SDM Vol. 3C, appendix C (VMX basic exit reasons): the ones the VT-like CPU raises.
QString vmx_exit_reason_name(uint32_t reason) {
  using R = cpu::vmx::ExitReason;
  switch (static_cast<R>(reason)) {
    case R::kExceptionOrNmi: return QStringLiteral("exception or NMI");
    case R::kExternalInterrupt: return QStringLiteral("external interrupt");
    case R::kInterruptWindow: return QStringLiteral("interrupt window");
    case R::kNmiWindow: return QStringLiteral("NMI window");
    case R::kTaskSwitch: return QStringLiteral("task switch");
    case R::kCpuid: return QStringLiteral("CPUID");
    case R::kHlt: return QStringLiteral("HLT");
    case R::kInvlpg: return QStringLiteral("INVLPG");
    case R::kRdtsc: return QStringLiteral("RDTSC");
    case R::kCrAccess: return QStringLiteral("control-register access");
    case R::kIoInstruction: return QStringLiteral("I/O instruction");
    case R::kRdmsr: return QStringLiteral("RDMSR");
    case R::kWrmsr: return QStringLiteral("WRMSR");
    case R::kApicAccess: return QStringLiteral("APIC access");
    case R::kEptViolation: return QStringLiteral("EPT violation");
  }
  return QStringLiteral("exit reason %1").arg(reason);
}

// Xen's __HYPERVISOR_* names for the numbers of modes/paravirt/pv_abi.h.
QString hypercall_name(uint32_t number) {
  namespace abi = modes::paravirt::abi;
  switch (number) {
    case abi::kSetTrapTable: return QStringLiteral("set_trap_table");
    case abi::kMmuUpdate: return QStringLiteral("mmu_update");
    case abi::kStackSwitch: return QStringLiteral("stack_switch");
    case abi::kSetCallbacks: return QStringLiteral("set_callbacks");
    case abi::kUpdateVaMapping: return QStringLiteral("update_va_mapping");
    case abi::kSetTimerOp: return QStringLiteral("set_timer_op");
    case abi::kXenVersion: return QStringLiteral("xen_version");
    case abi::kConsoleIo: return QStringLiteral("console_io");
    case abi::kMmuextOp: return QStringLiteral("mmuext_op");
    case abi::kSchedOp: return QStringLiteral("sched_op");
    case abi::kEventChannelOp: return QStringLiteral("event_channel_op");
    case abi::kPhysdevOp: return QStringLiteral("physdev_op");
    default: return QStringLiteral("hypercall %1").arg(number);
  }
}

// SDM Vol. 3A, table 6-1 (exceptions), and the guest's software vectors.
QString vector_name(uint32_t vector) {
  static const char* const kExceptions[] = {"#DE divide error",
                                            "#DB debug",
                                            "NMI",
                                            "#BP breakpoint",
                                            "#OF overflow",
                                            "#BR bound range",
                                            "#UD invalid opcode",
                                            "#NM no math coprocessor",
                                            "#DF double fault",
                                            "coprocessor overrun",
                                            "#TS invalid TSS",
                                            "#NP segment not present",
                                            "#SS stack fault",
                                            "#GP general protection",
                                            "#PF page fault",
                                            "reserved 15",
                                            "#MF x87 error",
                                            "#AC alignment check",
                                            "#MC machine check",
                                            "#XM SIMD"};
  if (vector < std::size(kExceptions)) {
    return QStringLiteral("%1 (%2)").arg(vector).arg(QLatin1String(kExceptions[vector]));
  }
  if (vector == modes::paravirt::abi::kSyscallVector) {
    return QStringLiteral("0x80 (system call)");
  }
  if (vector == modes::paravirt::abi::kHypercallVector) {
    return QStringLiteral("0x82 (hypercall)");
  }
  return hex(vector);
}

// The devices of engine/machine/machine.h, by port.
QString port_name(uint32_t port) {
  struct Range {
    uint32_t first, last;
    const char* name;
  };
  static constexpr Range kPorts[] = {
      {0x20, 0x21, "PIC master"},    {0xA0, 0xA1, "PIC slave"},    {0x40, 0x43, "PIT"},
      {0x60, 0x60, "i8042 data"},    {0x64, 0x64, "i8042 status"}, {0x61, 0x61, "system control B"},
      {0x70, 0x71, "CMOS/RTC"},      {0x80, 0x80, "POST code"},    {0x92, 0x92, "system control A"},
      {0xE9, 0xE9, "debug console"}, {0xF4, 0xF7, "exit port"},    {0x3F8, 0x3FF, "COM1 UART"},
      {0x510, 0x511, "fw_cfg"},      {0x3D4, 0x3D5, "CGA CRTC"},
  };
  for (const Range& r : kPorts) {
    if (port >= r.first && port <= r.last) {
      return QStringLiteral("%1 %2").arg(hex(port), QLatin1String(r.name));
    }
  }
  return hex(port);
}

// The privileged and sensitive instructions the monitors emulate (opcode as in the
// emulated_insn event: 0x0F-prefixed as 0x1nn).
QString opcode_name(uint32_t opcode, uint32_t reg) {
  switch (opcode) {
    case 0xFA: return QStringLiteral("CLI");
    case 0xFB: return QStringLiteral("STI");
    case 0xF4: return QStringLiteral("HLT");
    case 0xCF: return QStringLiteral("IRET");
    case 0x9C: return QStringLiteral("PUSHF");
    case 0x9D: return QStringLiteral("POPF");
    case 0xE4:
    case 0xE5:
    case 0xEC:
    case 0xED: return QStringLiteral("IN");
    case 0xE6:
    case 0xE7:
    case 0xEE:
    case 0xEF: return QStringLiteral("OUT");
    case 0x6C:
    case 0x6D: return QStringLiteral("INS");
    case 0x6E:
    case 0x6F: return QStringLiteral("OUTS");
    case 0x8E: return QStringLiteral("MOV Sreg");
    case 0x120: return QStringLiteral("MOV from CR");
    case 0x122: return QStringLiteral("MOV to CR");
    case 0x121:
    case 0x123: return QStringLiteral("MOV DR");
    case 0x106: return QStringLiteral("CLTS");
    case 0x108: return QStringLiteral("INVD");
    case 0x109: return QStringLiteral("WBINVD");
    case 0x130: return QStringLiteral("WRMSR");
    case 0x131: return QStringLiteral("RDTSC");
    case 0x132: return QStringLiteral("RDMSR");
    case 0x1A2: return QStringLiteral("CPUID");
    case 0x100: {
      static const char* const k[] = {"SLDT", "STR", "LLDT", "LTR", "VERR", "VERW", "?", "?"};
      return QLatin1String(k[reg & 7]);
    }
    case 0x101: {
      static const char* const k[] = {"SGDT", "SIDT", "LGDT", "LIDT",
                                      "SMSW", "?",    "LMSW", "INVLPG"};
      return QLatin1String(k[reg & 7]);
    }
    default: return QStringLiteral("opcode %1").arg(hex(opcode));
  }
}

QString describe_payload(vmm::EventKind kind, const std::array<uint32_t, 4>& p,
                         const DecodeContext& context) {
  using vmm::EventKind;
  switch (kind) {
    case EventKind::trap:
      if (context.vt_exits) {
        return QCoreApplication::translate("EventDecoder", "VM exit: %1, qualification %2")
            .arg(vmx_exit_reason_name(p[0]), hex(p[1]));
      }
      return QCoreApplication::translate("EventDecoder", "trap: vector %1, error code %2")
          .arg(vector_name(p[0]), hex(p[1]));
    case EventKind::emulated_insn:
      return QCoreApplication::translate("EventDecoder", "emulated %1 at %2")
          .arg(opcode_name(p[0], p[1]), hex(p[2]));
    case EventKind::sensitive_no_trap:
      return QCoreApplication::translate("EventDecoder", "%1 ran without a trap")
          .arg(opcode_name(p[0], p[1]));
    case EventKind::bt_translate:
      return QCoreApplication::translate(
                 "EventDecoder", "translated %1: %2 instructions, %3 guest bytes -> %4 TC bytes")
          .arg(hex(p[0]))
          .arg(p[1])
          .arg(p[3])
          .arg(p[2]);
    case EventKind::bt_callout:
      return QCoreApplication::translate("EventDecoder", "callout %1 (guest opcode %2)")
          .arg(QLatin1String(modes::bt::callout_name(static_cast<modes::bt::CalloutKind>(p[0]))),
               hex(p[1]));
    case EventKind::hypercall:
      return QStringLiteral("%1(%2, %3) = %4")
          .arg(hypercall_name(p[0]), hex(p[1]), hex(p[2]))
          .arg(static_cast<int32_t>(p[3]));
    case EventKind::hidden_fault:
      return QCoreApplication::translate("EventDecoder",
                                         "hidden fault at %1, error %2, shadow PTE %3")
          .arg(hex(p[0]), hex(p[1]), hex(p[2]));
    case EventKind::true_fault:
      return QCoreApplication::translate("EventDecoder", "true fault at %1, error %2")
          .arg(hex(p[0]), hex(p[1]));
    case EventKind::guest_pt_write:
      return QCoreApplication::translate("EventDecoder", "PTE at %1: %2 -> %3")
          .arg(hex(p[0]), hex(p[2]), hex(p[1]));
    case EventKind::shadow_update:
      return QCoreApplication::translate("EventDecoder", "shadow entry for %1 = %2")
          .arg(hex(p[0]), hex(p[1]));
    case EventKind::cr3_switch:
      return QCoreApplication::translate("EventDecoder", "CR3 %1 -> %2").arg(hex(p[0]), hex(p[1]));
    case EventKind::tlb_flush:
      return p[0] != 0
                 ? QCoreApplication::translate("EventDecoder", "TLB flush, global entries too")
                 : QCoreApplication::translate("EventDecoder", "TLB flush");
    case EventKind::invlpg:
      return QCoreApplication::translate("EventDecoder", "INVLPG %1").arg(hex(p[0]));
    case EventKind::port_io:
      return QCoreApplication::translate("EventDecoder", "%1 %2, %3 byte(s), value %4%5")
          .arg((p[3] & 1) != 0 ? QStringLiteral("OUT") : QStringLiteral("IN"), port_name(p[0]))
          .arg(p[1])
          .arg(hex(p[2]))
          .arg((p[3] & 2) != 0 ? QString()
                               : QCoreApplication::translate("EventDecoder", " (no device)"));
    case EventKind::mmio:
      return QCoreApplication::translate("EventDecoder", "MMIO %1 %2, %3 byte(s), value %4")
          .arg((p[3] & 1) != 0 ? QCoreApplication::translate("EventDecoder", "write")
                               : QCoreApplication::translate("EventDecoder", "read"),
               hex(p[0]))
          .arg(p[1])
          .arg(hex(p[2]));
    case EventKind::exception:
      return p[2] != 0 ? QCoreApplication::translate("EventDecoder", "exception %1, error code %2")
                             .arg(vector_name(p[0]), hex(p[1]))
                       : QCoreApplication::translate("EventDecoder", "exception %1")
                             .arg(vector_name(p[0]));
    case EventKind::external_interrupt:
      return QCoreApplication::translate("EventDecoder", "interrupt vector %1").arg(hex(p[0]));
    case EventKind::software_interrupt: {
      static const char* const kForms[] = {"INT n", "INT3", "INTO"};
      return QStringLiteral("%1 %2").arg(QLatin1String(kForms[p[2] < 3 ? p[2] : 0]),
                                         vector_name(p[0]));
    }
    case EventKind::virq_inject:
      return QCoreApplication::translate("EventDecoder", "injected vector %1")
          .arg(vector_name(p[0]));
    case EventKind::ring_notify:
      return QCoreApplication::translate("EventDecoder", "ring %1 notified, %2 entries")
          .arg(p[0])
          .arg(p[1]);
    case EventKind::machine_stop:
      return QCoreApplication::translate("EventDecoder", "machine stop, reason %1, exit value %2")
          .arg(p[0])
          .arg(p[1]);
    case EventKind::page_fault:
      return QCoreApplication::translate("EventDecoder", "page fault at %1, error %2")
          .arg(hex(p[0]), hex(p[1]));
    case EventKind::cr_write:
      return QCoreApplication::translate("EventDecoder", "CR%1 %2 -> %3")
          .arg(p[0])
          .arg(hex(p[1]), hex(p[2]));
    case EventKind::nested_walk:
      return QCoreApplication::translate("EventDecoder", "nested walk for %1: %2 references")
          .arg(hex(p[0]))
          .arg(p[1]);
    case EventKind::bt_chain:
      return QCoreApplication::translate("EventDecoder", "chained %1 -> guest %2 (TC %3)")
          .arg(hex(p[0]), hex(p[1]), hex(p[2]));
    case EventKind::bt_lookup_hit:
      return QCoreApplication::translate("EventDecoder", "%1 lookup hit(s) %2")
          .arg(p[1])
          .arg(p[0] != 0 ? hex(p[0]) : QString());
    case EventKind::bt_lookup_miss:
      return QCoreApplication::translate("EventDecoder", "lookup miss for %1").arg(hex(p[0]));
    case EventKind::bt_in_tc:
      return QCoreApplication::translate("EventDecoder", "%1 x %2 emulated in the TC")
          .arg(p[1])
          .arg(QLatin1String(modes::bt::in_tc_name(static_cast<modes::bt::InTcKind>(p[0]))));
    case EventKind::bt_adapt:
      return p[1] != 0
                 ? QCoreApplication::translate("EventDecoder",
                                               "%1 retranslated as a callout after %2 faults")
                       .arg(hex(p[0]))
                       .arg(p[2])
                 : QCoreApplication::translate("EventDecoder", "%1 back to IDENT after %2 callouts")
                       .arg(hex(p[0]))
                       .arg(p[2]);
    case EventKind::bt_flush:
      return QCoreApplication::translate("EventDecoder", "TC flushed: %1 translations, %2 bytes")
          .arg(p[0])
          .arg(p[1]);
    case EventKind::bt_invalidate:
      return QCoreApplication::translate("EventDecoder",
                                         "page %1 written: %2 translations invalidated")
          .arg(hex(p[0]))
          .arg(p[1]);
    case EventKind::hole_access:
      return QCoreApplication::translate("EventDecoder", "%1 hypervisor-hole address %2")
          .arg(p[1] != 0 ? QCoreApplication::translate("EventDecoder", "wrote")
                         : QCoreApplication::translate("EventDecoder", "read"),
               hex(p[0]));
    case EventKind::blk_request:
      return QCoreApplication::translate("EventDecoder", "disk request op %1: %2 sectors from %3")
          .arg(p[0])
          .arg(p[2])
          .arg(p[1]);
  }
  return QString();
}

QString kind_name(vmm::EventKind kind) {
  const std::string_view name = vmm::event_kind_name(kind);
  return QString::fromLatin1(name.data(), static_cast<qsizetype>(name.size()));
}

QString describe_event(const vmm::Event& e, const DecodeContext& context) {
  return QCoreApplication::translate("EventDecoder",
                                     "#%1  cycle %2  %3  %4  (charged %5, EIP %6, CPL %7)")
      .arg(e.seq)
      .arg(e.cycle)
      .arg(kind_name(e.kind))
      .arg(describe_payload(e.kind, e.payload, context))
      .arg(e.charged)
      .arg(hex(e.eip))
      .arg(e.cpl);
}

}  // namespace vmlab::gui
