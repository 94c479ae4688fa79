// Guest mode: the processor's VT-x-like virtualization extensions.
//
// A VMM puts the processor in guest mode (VMX non-root operation) with a control block in
// the style of Intel's VMCS: which instructions and events leave guest mode (VM exits),
// the exception bitmap, the I/O bitmap, CR0/CR4 guest/host masks with read shadows, an
// event to inject on the next VM entry, and optionally nested paging (a second-level page
// table from guest-physical to machine addresses, Intel's EPT / AMD's NPT). The guest
// kernel runs in ring 0 of guest mode with its own GDT, IDT and TSS, so nothing of ring
// compression remains; what it may not do alone it cannot do silently either: it exits,
// and the exit tells the monitor why (the basic exit reason) and the details (the exit
// qualification), in the formats of the Intel SDM.
//
// This is the "hardware VMM" of Adams & Agesen (ASPLOS 2006): first-generation VT-x
// with shadow paging, and second-generation with nested paging. What is not modeled:
// VMLAUNCH/VMRESUME/VMREAD/VMWRITE as instructions (the monitor is host code and reads
// the control block directly), the preemption timer, MSR bitmaps (RDMSR/WRMSR exit
// unconditionally when asked to), the TPR shadow, and nested A/D bits.
//
// SDM Vol. 3C: chapter 24 (the VMCS: 24.6 execution controls, 24.8.3 entry
// interruption-information field, 24.9 exit-information fields), chapter 25 (25.1
// instructions that cause exits, 25.2 other causes, 25.3 CR0/CR4 read shadows),
// chapter 27 (27.2 exit qualifications, tables 27-3 CR access, 27-5 I/O, 27-7 EPT
// violation), 26.6 (event injection), appendix C (basic exit reasons).
#pragma once

#include <array>
#include <cstdint>

namespace vmlab::cpu {

namespace vmx {

// Basic exit reasons (SDM Vol. 3C, appendix C). The values are Intel's.
enum class ExitReason : uint16_t {
  kExceptionOrNmi = 0,
  kExternalInterrupt = 1,
  kInterruptWindow = 7,
  kNmiWindow = 8,
  kTaskSwitch = 9,
  kCpuid = 10,
  kHlt = 12,
  kInvlpg = 14,
  kRdtsc = 16,
  kCrAccess = 28,
  kIoInstruction = 30,
  kRdmsr = 31,
  kWrmsr = 32,
  kApicAccess = 44,
  kEptViolation = 48,
};

// Interruption types of the interruption-information fields (SDM Vol. 3C, 24.8.3 and
// 24.9.2).
enum class InterruptionType : uint8_t {
  kExternal = 0,
  kNmi = 2,
  kHardwareException = 3,
  kSoftwareInterrupt = 4,            // INT n
  kPrivilegedSoftwareException = 5,  // INT1
  kSoftwareException = 6,            // INT3, INTO
};

// An event in the format of the interruption-information fields: the exit's exception
// (for reason 0), the IDT-vectoring information (an event whose delivery the exit
// interrupted), and the entry's injection.
struct Interruption {
  bool valid = false;
  uint8_t vector = 0;
  InterruptionType type = InterruptionType::kExternal;
  bool has_error_code = false;
  uint32_t error_code = 0;
  // The 32-bit field as the SDM lays it out: vector 7:0, type 10:8, error code valid 11,
  // valid 31.
  uint32_t encoded() const {
    return valid ? (uint32_t{vector} | uint32_t{static_cast<uint8_t>(type)} << 8 |
                    (has_error_code ? 1u << 11 : 0u) | 1u << 31)
                 : 0u;
  }
};

// Exit qualification for control-register accesses (SDM Vol. 3C, table 27-3).
namespace cr_qual {
inline constexpr uint32_t kMovToCr = 0;
inline constexpr uint32_t kMovFromCr = 1;
inline constexpr uint32_t kClts = 2;
inline constexpr uint32_t kLmsw = 3;
// Bits 3:0 CR number, 5:4 access type, 6 LMSW operand is memory, 11:8 the GPR,
// 31:16 the LMSW source data.
constexpr uint32_t make(unsigned cr, uint32_t access_type, unsigned gpr, bool lmsw_memory = false,
                        uint16_t lmsw_data = 0) {
  return (cr & 0xFu) | (access_type & 3u) << 4 | (lmsw_memory ? 1u << 6 : 0u) | (gpr & 0xFu) << 8 |
         uint32_t{lmsw_data} << 16;
}
constexpr unsigned cr(uint32_t q) {
  return q & 0xFu;
}
constexpr uint32_t access_type(uint32_t q) {
  return (q >> 4) & 3u;
}
constexpr unsigned gpr(uint32_t q) {
  return (q >> 8) & 0xFu;
}
constexpr uint16_t lmsw_data(uint32_t q) {
  return static_cast<uint16_t>(q >> 16);
}
}  // namespace cr_qual

// Exit qualification for I/O instructions (SDM Vol. 3C, table 27-5).
namespace io_qual {
// Bits 2:0 size - 1, 3 direction (1 = IN), 4 string, 5 REP, 6 operand (1 = immediate),
// 31:16 port.
constexpr uint32_t make(unsigned size, bool in, bool string, bool rep, bool immediate,
                        uint16_t port) {
  return ((size - 1) & 7u) | (in ? 1u << 3 : 0u) | (string ? 1u << 4 : 0u) | (rep ? 1u << 5 : 0u) |
         (immediate ? 1u << 6 : 0u) | uint32_t{port} << 16;
}
constexpr unsigned size(uint32_t q) {
  return (q & 7u) + 1;
}
constexpr bool in(uint32_t q) {
  return (q >> 3) & 1u;
}
constexpr bool string(uint32_t q) {
  return (q >> 4) & 1u;
}
constexpr bool rep(uint32_t q) {
  return (q >> 5) & 1u;
}
constexpr uint16_t port(uint32_t q) {
  return static_cast<uint16_t>(q >> 16);
}
}  // namespace io_qual

// The VM-exit instruction-information field as used for INS and OUTS (SDM Vol. 3C, 27.2.5,
// table "Format of the VM-Exit Instruction-Information Field as Used for INS and OUTS"):
// bits 9:7 the address size (0 16-bit, 1 32-bit), bits 17:15 the segment register of OUTS'
// source (ES 0, CS 1, SS 2, DS 3, FS 4, GS 5: the SegReg order). With it and the
// qualification a monitor emulates a string I/O exit without reading the instruction.
namespace io_info {
constexpr uint32_t make(bool a16, uint8_t seg) {
  return (a16 ? 0u : 1u) << 7 | uint32_t{seg & 7u} << 15;
}
constexpr bool a16(uint32_t info) {
  return ((info >> 7) & 7u) == 0;
}
constexpr uint8_t segment(uint32_t info) {
  return static_cast<uint8_t>((info >> 15) & 7u);
}
}  // namespace io_info

// Exit qualification for EPT violations, here nested-paging faults (SDM Vol. 3C, table
// 27-7): bit 0 data read, 1 data write, 2 instruction fetch, 3-5 whether the nested entry
// allowed read, write, execute (here: present, present, and writable), 7 the guest-linear
// address is valid, 8 the access was to the final translation (1) or to a guest
// paging-structure entry (0).
namespace ept_qual {
inline constexpr uint32_t kRead = 1u << 0;
inline constexpr uint32_t kWrite = 1u << 1;
inline constexpr uint32_t kFetch = 1u << 2;
inline constexpr uint32_t kReadable = 1u << 3;
inline constexpr uint32_t kWritable = 1u << 4;
inline constexpr uint32_t kExecutable = 1u << 5;
inline constexpr uint32_t kLinearValid = 1u << 7;
inline constexpr uint32_t kFinalTranslation = 1u << 8;
}  // namespace ept_qual

// Exit qualification for APIC-access exits (SDM Vol. 3C, 29.4.4 "APIC-Access VM Exits"
// and table 28-6 of 27.2.1 in the edition that numbers them so): bits 11:0 the offset of
// the access in the APIC-access page (for linear accesses), bits 15:12 the access type.
// Only the two types an instruction's data access gives are raised here: 0, a linear read
// during instruction execution, and 1, a linear write. (Type 2, an instruction fetch, and
// the types for accesses during event delivery are not modeled: code fetched from the
// APIC page and descriptor tables placed there do not exit.)
namespace apic_qual {
inline constexpr uint32_t kLinearRead = 0;
inline constexpr uint32_t kLinearWrite = 1;
constexpr uint32_t make(uint32_t offset, uint32_t access_type) {
  return (offset & 0xFFFu) | (access_type & 0xFu) << 12;
}
constexpr uint32_t offset(uint32_t q) {
  return q & 0xFFFu;
}
constexpr uint32_t access_type(uint32_t q) {
  return (q >> 12) & 0xFu;
}
}  // namespace apic_qual

}  // namespace vmx

// The control block: what the monitor sets before entering guest mode.
struct VmControls {
  // Exceptions (vectors 0-31) that cause an exit instead of delivery through the guest's
  // IDT. A #PF exit leaves CR2 alone and reports the linear address as the qualification.
  uint32_t exception_bitmap = 0;
  // CR0 and CR4 guest/host masks and read shadows (SDM 25.3): a bit set in the mask is
  // owned by the monitor; the guest reads it from the shadow, and a MOV to CR0/CR4 (or
  // LMSW, CLTS) that would change it relative to the shadow exits.
  uint32_t cr0_mask = 0;
  uint32_t cr0_shadow = 0;
  uint32_t cr4_mask = 0;
  uint32_t cr4_shadow = 0;
  bool cr3_load_exiting = false;
  bool cr3_store_exiting = false;
  bool invlpg_exiting = false;
  bool hlt_exiting = false;
  bool cpuid_exiting = true;  // CPUID always exits on VT-x; kept as a control for tests
  bool msr_exiting = false;   // RDMSR and WRMSR, every MSR (no MSR bitmaps)
  bool rdtsc_exiting = false;
  // I/O: every IN/OUT/INS/OUTS exits, or those whose ports are set in the bitmap
  // (65536 bits, one per port; an access exits when any byte it touches is set).
  bool unconditional_io_exiting = false;
  bool use_io_bitmap = false;
  std::array<uint8_t, 8192> io_bitmap{};
  // External interrupts exit (reason 1) whatever the guest's IF says (SDM 25.2); the
  // interrupt stays pending at the interrupt controller for the monitor to acknowledge.
  bool external_interrupt_exiting = false;
  // Exit (reason 7) at the first instruction boundary where the guest can take an
  // interrupt: IF = 1 and no STI/MOV SS shadow.
  bool interrupt_window_exiting = false;
  // NMIs (SDM Vol. 3C, 24.6.1 pin-based controls, 25.2, 25.3, 26.6): with `nmi_exiting` an
  // NMI at the processor's input exits (reason 0, interruption type NMI, vector 2) instead
  // of being delivered, whatever blocks it in the guest; with `virtual_nmis` the blocking
  // by NMI of guest mode (Cpu::nmi_blocked, the guest interruptibility state's bit 3) is
  // virtual-NMI blocking: set by the injection of an NMI (26.6.1.2), ended by the guest's
  // IRET (25.3). `nmi_window_exiting` (requires virtual NMIs) exits (reason 8) at the first
  // instruction boundary without virtual-NMI blocking and outside an STI/MOV SS shadow.
  bool nmi_exiting = false;
  bool virtual_nmis = false;
  bool nmi_window_exiting = false;
  // Nested paging: with it on, guest CR3 and guest paging structures hold guest-physical
  // addresses, and every guest-physical address goes through the nested table at
  // `nested_root` (a machine address of a 32-bit two-level table: P, R/W and PS as in
  // ordinary paging, 4 KiB and 4 MiB pages).
  bool nested_paging = false;
  uint32_t nested_root = 0;
  // "Virtualize APIC accesses" (SDM Vol. 3C, 24.6.2 secondary controls, and 29.4): a data
  // access by a guest instruction whose physical address (after the nested table, with
  // nested paging) lies in the 4 KiB APIC-access page at machine address
  // `apic_access_address` exits with reason 44 before it happens. Neither the TPR shadow
  // nor APIC-register virtualization is modeled, so every access exits.
  bool virtualize_apic_accesses = false;
  uint32_t apic_access_address = 0;
  // "Unrestricted guest" (SDM Vol. 3C, 24.6.2 secondary controls, bit 7; 26.3.1.1): the
  // guest may clear CR0.PE and CR0.PG, and so run real-address mode in guest mode. VM
  // entry requires "enable EPT" with it (26.2.1.1): without nested paging it has no effect
  // here (real_mode_allowed). Without it a guest MOV to CR0 that clears PE is #GP(0),
  // unless the guest/host mask gives PE to the monitor, whose exit comes first.
  bool unrestricted_guest = false;
  bool real_mode_allowed() const { return unrestricted_guest && nested_paging; }
  // Injected on the next VM entry, through the guest's IDT (SDM 26.6), then cleared.
  // A software interrupt or exception is delivered with EIP advanced by
  // `injection_instruction_length`, as if the instruction had executed.
  vmx::Interruption injection;
  uint8_t injection_instruction_length = 0;

  void set_io_exiting(uint16_t port, bool exits) {
    const auto bit = static_cast<uint8_t>(1u << (port & 7u));
    io_bitmap[port / 8u] = exits ? (io_bitmap[port / 8u] | bit) : (io_bitmap[port / 8u] & ~bit);
  }
  bool io_exits(uint16_t port, unsigned size) const {
    if (unconditional_io_exiting) return true;
    if (!use_io_bitmap) return false;
    for (unsigned i = 0; i < size; ++i) {
      const uint16_t p = static_cast<uint16_t>(port + i);
      if (io_bitmap[p / 8u] & (1u << (p & 7u))) return true;
    }
    return false;
  }
};

// What a VM exit reports (SDM Vol. 3C, 24.9 and 27.2).
struct VmExit {
  vmx::ExitReason reason = vmx::ExitReason::kExceptionOrNmi;
  uint32_t qualification = 0;
  // The guest's EIP at the exit: the instruction that exited (or faulted), or the next
  // instruction to execute for an exit between instructions; and that instruction's length
  // for instruction exits and software interrupts and exceptions (0 otherwise).
  uint32_t guest_eip = 0;
  uint8_t instruction_length = 0;
  // Reason 30 with the string bit: the VM-exit instruction-information field (io_info).
  uint32_t instruction_info = 0;
  // Reason 0: the exception. Any reason: the event whose delivery the exit interrupted.
  vmx::Interruption interruption;
  vmx::Interruption idt_vectoring;
  // Nested-paging faults (and #PF exits, for convenience): the addresses involved.
  bool guest_linear_valid = false;
  uint32_t guest_linear = 0;
  uint32_t guest_physical = 0;
};

// The monitor of a processor in guest mode: called for every VM exit and for every 2-D
// page walk, from the run loop, with the guest state as the exit left it. The monitor
// changes guest state and the controls (an injection, EIP advanced past an emulated
// instruction), and returns to enter guest mode again. It is separate from cpu::Monitor,
// which sees exceptions and interrupts of a processor not in guest mode.
class VmxMonitor {
 public:
  virtual ~VmxMonitor() = default;
  virtual void on_vm_exit(const VmExit& exit) = 0;
  // A TLB miss under nested paging walked both dimensions: `references` paging-structure
  // entries were read (8 for a 4 KiB guest page on 4 KiB nested pages: Bhargava et al.
  // 2008, nm + n + m with n = m = 2).
  virtual void on_nested_walk(uint32_t /*linear*/, unsigned /*references*/) {}
};

}  // namespace vmlab::cpu
