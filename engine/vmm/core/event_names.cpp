#include "engine/vmm/core/event_names.h"

#include "engine/cpu/vmx.h"

namespace vmlab::vmm {

const char* vmx_exit_reason_name(uint32_t reason) {
  using R = cpu::vmx::ExitReason;
  switch (static_cast<R>(reason)) {
    case R::kExceptionOrNmi: return "exception or NMI";
    case R::kExternalInterrupt: return "external interrupt";
    case R::kInterruptWindow: return "interrupt window";
    case R::kNmiWindow: return "NMI window";
    case R::kTaskSwitch: return "task switch";
    case R::kCpuid: return "CPUID";
    case R::kHlt: return "HLT";
    case R::kInvlpg: return "INVLPG";
    case R::kRdtsc: return "RDTSC";
    case R::kCrAccess: return "control-register access";
    case R::kIoInstruction: return "I/O instruction";
    case R::kRdmsr: return "RDMSR";
    case R::kWrmsr: return "WRMSR";
    case R::kApicAccess: return "APIC access";
    case R::kEptViolation: return "EPT violation";
  }
  return nullptr;
}

const char* exception_vector_name(uint32_t vector) {
  static const char* const kNames[] = {"#DE divide error",
                                       "#DB debug",
                                       "NMI",
                                       "#BP breakpoint",
                                       "#OF overflow",
                                       "#BR BOUND range exceeded",
                                       "#UD invalid opcode",
                                       "#NM device not available",
                                       "#DF double fault",
                                       nullptr,
                                       "#TS invalid TSS",
                                       "#NP segment not present",
                                       "#SS stack fault",
                                       "#GP general protection",
                                       "#PF page fault",
                                       nullptr,
                                       "#MF x87 FPU error",
                                       "#AC alignment check",
                                       "#MC machine check",
                                       "#XM SIMD floating point"};
  if (vector < sizeof kNames / sizeof kNames[0]) return kNames[vector];
  return nullptr;
}

}  // namespace vmlab::vmm
