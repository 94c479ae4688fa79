// Architectural state of the simulated IA-32 processor.
//
// Field names follow the Intel SDM Vol. 3A: chapter 2 (system registers), chapter 3
// (segment registers and their hidden descriptor caches) and chapter 7 (the TSS).
#pragma once

#include <cstdint>

#include "engine/cpu/x87_state.h"

namespace vmlab::cpu {

// General-purpose registers in the order of the ModRM reg/rm encoding (SDM Vol. 2A, 2.1.5).
enum Gpr : uint8_t { EAX = 0, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

// Segment registers in the order of the ModRM sreg encoding (SDM Vol. 2A, 3.1.1.3).
enum SegReg : uint8_t { ES = 0, CS, SS, DS, FS, GS, kNumSegRegs };

// EFLAGS bits (SDM Vol. 1, 3.4.3).
namespace flags {
inline constexpr uint32_t CF = 1u << 0;
inline constexpr uint32_t kReserved1 = 1u << 1;  // always reads as 1
inline constexpr uint32_t PF = 1u << 2;
inline constexpr uint32_t AF = 1u << 4;
inline constexpr uint32_t ZF = 1u << 6;
inline constexpr uint32_t SF = 1u << 7;
inline constexpr uint32_t TF = 1u << 8;
inline constexpr uint32_t IF = 1u << 9;
inline constexpr uint32_t DF = 1u << 10;
inline constexpr uint32_t OF = 1u << 11;
inline constexpr uint32_t IOPL = 3u << 12;
inline constexpr uint32_t IOPL_SHIFT = 12;
inline constexpr uint32_t NT = 1u << 14;
inline constexpr uint32_t RF = 1u << 16;
inline constexpr uint32_t VM = 1u << 17;
inline constexpr uint32_t AC = 1u << 18;
inline constexpr uint32_t VIF = 1u << 19;
inline constexpr uint32_t VIP = 1u << 20;
inline constexpr uint32_t ID = 1u << 21;
// The six arithmetic status flags.
inline constexpr uint32_t kStatus = CF | PF | AF | ZF | SF | OF;
}  // namespace flags

// Control register bits (SDM Vol. 3A, 2.5).
namespace cr0 {
inline constexpr uint32_t PE = 1u << 0;
inline constexpr uint32_t MP = 1u << 1;
inline constexpr uint32_t EM = 1u << 2;
inline constexpr uint32_t TS = 1u << 3;
inline constexpr uint32_t ET = 1u << 4;
inline constexpr uint32_t NE = 1u << 5;
inline constexpr uint32_t WP = 1u << 16;
inline constexpr uint32_t AM = 1u << 18;
inline constexpr uint32_t NW = 1u << 29;
inline constexpr uint32_t CD = 1u << 30;
inline constexpr uint32_t PG = 1u << 31;
// The bits that exist on this processor; the others are reserved and ignored on writes
// (SDM Vol. 3A, 2.5: "Attempting to set any reserved bits in CR0[31:0] is ignored").
inline constexpr uint32_t kDefined = PE | MP | EM | TS | ET | NE | WP | AM | NW | CD | PG;
}  // namespace cr0

// CR3 in 32-bit paging: the page-directory base and the PWT/PCD cache bits (table 4-3).
namespace cr3 {
inline constexpr uint32_t kDefined = 0xFFFFF000u | 0x18u;
// CR3 in PAE paging: bits 31:5 hold the page-directory-pointer table's base (table 4-7).
// A MOV to CR3 while CR4.PAE = 1 keeps them; with PAE off the register keeps the 32-bit
// form above, as before (paging_pae.cpp).
inline constexpr uint32_t kDefinedPae = 0xFFFFFFE0u | 0x18u;
}  // namespace cr3

namespace cr4 {
inline constexpr uint32_t VME = 1u << 0;
inline constexpr uint32_t PVI = 1u << 1;
inline constexpr uint32_t TSD = 1u << 2;
inline constexpr uint32_t DE = 1u << 3;
inline constexpr uint32_t PSE = 1u << 4;
inline constexpr uint32_t PAE = 1u << 5;
inline constexpr uint32_t MCE = 1u << 6;
inline constexpr uint32_t PGE = 1u << 7;
inline constexpr uint32_t PCE = 1u << 8;
// The bits a processor without PAE implements. Setting any other raises #GP(0) (MOV CRn in
// Vol. 2): no V86 extensions (VME, PVI), no MCE, no SSE state. The kit's emulation checks
// this: the shadow-paging modes' virtual CPU has no PAE (docs/modes/trap-and-emulate.md).
inline constexpr uint32_t kImplemented = TSD | DE | PSE | PGE | PCE;
// The bits the processor itself implements: the same and PAE (SDM Vol. 3A, 4.4;
// paging_pae.cpp). Cpu::write_cr4 checks this one.
inline constexpr uint32_t kImplementedWithPae = kImplemented | PAE;
}  // namespace cr4

// Exception vectors (SDM Vol. 3A, table 6-1).
namespace vec {
inline constexpr uint8_t DE = 0;   // divide error
inline constexpr uint8_t DB = 1;   // debug
inline constexpr uint8_t NMI = 2;  // non-maskable interrupt
inline constexpr uint8_t BP = 3;   // breakpoint (INT3)
inline constexpr uint8_t OF = 4;   // overflow (INTO)
inline constexpr uint8_t BR = 5;   // BOUND range exceeded
inline constexpr uint8_t UD = 6;   // invalid opcode
inline constexpr uint8_t NM = 7;   // device not available
inline constexpr uint8_t DF = 8;   // double fault
inline constexpr uint8_t TS = 10;  // invalid TSS
inline constexpr uint8_t NP = 11;  // segment not present
inline constexpr uint8_t SS = 12;  // stack-segment fault
inline constexpr uint8_t GP = 13;  // general protection
inline constexpr uint8_t PF = 14;  // page fault
inline constexpr uint8_t MF = 16;  // x87 floating-point error
inline constexpr uint8_t AC = 17;  // alignment check
}  // namespace vec

// Page-fault error code bits (SDM Vol. 3A, 4.7).
namespace pferr {
inline constexpr uint32_t P = 1u << 0;     // 0: not present, 1: protection violation
inline constexpr uint32_t W = 1u << 1;     // the access was a write
inline constexpr uint32_t U = 1u << 2;     // the access was made at CPL 3
inline constexpr uint32_t RSVD = 1u << 3;  // a reserved bit was set
// An instruction fetch, reported only under PAE paging with EFER.NXE = 1 (4.7).
inline constexpr uint32_t I = 1u << 4;
}  // namespace pferr

// A segment register: the visible selector plus the hidden descriptor cache that the
// processor loads with it (SDM Vol. 3A, 3.4.3). All checks at access time use the cache,
// never the descriptor table, which is why a VMM must care what is cached.
struct SegmentCache {
  uint16_t selector = 0;
  uint32_t base = 0;
  uint32_t limit = 0xFFFF;  // byte-granular limit, granularity already applied
  uint8_t type = 0;         // descriptor type field (4 bits)
  bool s = true;            // 1: code/data segment, 0: system segment
  uint8_t dpl = 0;
  bool present = true;
  // D/B: 32-bit default operand size (code), 32-bit stack (SS), 4 GiB upper bound (expand-down).
  bool db = false;
  bool g = false;  // granularity, kept for SLDT/LAR-style read-back
  bool avl = false;
  bool usable = true;  // false after loading a null selector into DS/ES/FS/GS

  // Type field helpers for code/data descriptors (SDM Vol. 3A, table 3-1).
  bool is_code() const { return s && (type & 0x8); }
  bool is_data() const { return s && !(type & 0x8); }
  bool readable() const { return is_data() || (type & 0x2); }
  bool writable() const { return is_data() && (type & 0x2); }
  bool expand_down() const { return is_data() && (type & 0x4); }
  bool conforming() const { return is_code() && (type & 0x4); }
  uint8_t rpl() const { return selector & 3; }

  // As SS: the offset of the stack top for `esp`, and ESP moved by `delta` bytes. On a
  // 16-bit stack (B = 0) the processor addresses [SS:SP] and moves SP alone, the upper half
  // of ESP kept (SDM Vol. 2, PUSH and POP: "StackAddrSize").
  uint32_t stack_top(uint32_t esp) const { return db ? esp : esp & 0xFFFFu; }
  uint32_t stack_moved(uint32_t esp, int32_t delta) const {
    const uint32_t moved = esp + static_cast<uint32_t>(delta);
    return db ? moved : (esp & 0xFFFF0000u) | (moved & 0xFFFFu);
  }

  // The 32-bit attribute word as LAR returns it (bits 8..23 of the descriptor's high dword).
  uint32_t lar_attributes() const;
};

struct TableRegister {
  uint32_t base = 0;
  uint16_t limit = 0xFFFF;
};

// Model-specific registers a small kernel touches (SDM Vol. 4).
namespace msr {
inline constexpr uint32_t IA32_TSC = 0x10;
inline constexpr uint32_t IA32_APIC_BASE = 0x1B;
// The microcode update signature (SDM Vol. 3A, "Microcode Update Facilities", "Determining
// the Signature"; Vol. 4, table 2-2: architectural since the P6 family, 06_01H): software
// writes 0, runs CPUID leaf 1 and reads the loaded update's revision in EDX; 0 means no
// update is loaded, which is this processor's case (it has no microcode), so every read
// gives 0 and a write is accepted and changes nothing anyone can read.
inline constexpr uint32_t IA32_BIOS_SIGN_ID = 0x8B;
// The architectural performance-monitoring MSRs (SDM Vol. 4, table 2-2: IA32_PMC0 at C1H
// and IA32_PERFEVTSEL0 at 186H exist "If CPUID.0AH: EAX[15:8] > 0"; Vol. 3B, 18.2) and the
// rest of their family (PMC1, PERFEVTSEL1, the fixed counters, the version-2 global
// controls). No modeled processor has them: NetBurst, the Pentium 4 profiles' part, has no
// architectural PMU at all, and the Core 2 and later parts' counters (architectural
// performance monitoring version 2) are not modeled, so no profile reports CPUID leaf 0AH
// (the highest basic leaf is 1) and RDMSR, WRMSR and RDPMC of any counter are #GP(0), in
// every mode (tests/kernels/pmu). A counter that counted nothing would lie to the guest.
inline constexpr uint32_t IA32_PMC0 = 0xC1;
inline constexpr uint32_t IA32_PERFEVTSEL0 = 0x186;
inline constexpr uint32_t IA32_SYSENTER_CS = 0x174;
inline constexpr uint32_t IA32_SYSENTER_ESP = 0x175;
inline constexpr uint32_t IA32_SYSENTER_EIP = 0x176;
inline constexpr uint32_t IA32_MISC_ENABLE = 0x1A0;
inline constexpr uint32_t IA32_PAT = 0x277;
// CPUID faulting (Intel SDM Vol. 4, the MSR tables of the processors that have it, and
// Intel's "Virtualization Technology FlexMigration" application note; Linux names the bits
// MSR_PLATFORM_INFO_CPUID_FAULT_BIT 31 and MSR_MISC_FEATURES_ENABLES_CPUID_FAULT_BIT 0):
// MSR_PLATFORM_INFO bit 31 (read-only) says the processor has it, and with bit 0 of
// MSR_MISC_FEATURES_ENABLES set, CPUID at CPL > 0 raises #GP(0) instead of executing.
inline constexpr uint32_t MSR_PLATFORM_INFO = 0xCE;
inline constexpr uint32_t MSR_MISC_FEATURES_ENABLES = 0x140;
inline constexpr uint64_t kPlatformInfoCpuidFaulting = uint64_t{1} << 31;
inline constexpr uint64_t kCpuidFaultingEnable = 1;
// IA32_EFER (SDM Vol. 4, table 2-2): it exists "If CPUID.80000001H:EDX.[20] ||
// CPUID.80000001H:EDX.[29]", so on these 32-bit processors only where the part has XD.
// NXE (bit 11) is the only bit: no long mode (LME, LMA) and no SYSCALL (SCE), so writing
// any other bit is #GP(0).
inline constexpr uint32_t IA32_EFER = 0xC0000080u;
inline constexpr uint64_t kEferNxe = uint64_t{1} << 11;
}  // namespace msr

struct CpuState {
  uint32_t gpr[8] = {};
  uint32_t eip = 0;
  uint32_t eflags = flags::kReserved1;
  SegmentCache seg[kNumSegRegs];
  TableRegister gdtr;
  TableRegister idtr;
  SegmentCache ldtr;  // selector + cache of the current LDT descriptor
  SegmentCache tr;    // selector + cache of the current TSS descriptor
  uint32_t cr0 = cr0::ET;
  uint32_t cr2 = 0;
  uint32_t cr3 = 0;
  uint32_t cr4 = 0;
  uint8_t cpl = 0;  // current privilege level (CS.RPL in protected mode)

  uint32_t sysenter_cs = 0;
  uint32_t sysenter_esp = 0;
  uint32_t sysenter_eip = 0;
  uint64_t pat = 0x0007040600070406ull;
  uint64_t misc_enable = 1;            // fast-strings enabled, as on real hardware after reset
  uint64_t misc_features_enables = 0;  // bit 0: CPUID faulting (off at reset)
  uint64_t efer = 0;                   // IA32_EFER: NXE only (msr::kEferNxe)
  // The four PDPTE registers of PAE paging, loaded from the table CR3 names by the MOV to
  // CR0, CR3 or CR4 that leaves PAE paging on (SDM Vol. 3A, 4.4.1; paging_pae.cpp).
  uint64_t pdpte[4] = {};

  X87State fpu;  // x87 FPU (exec_x87.cpp)

  bool halted = false;
  // Interrupt shadow after STI and MOV SS/POP SS: interrupts are not recognized before
  // the next instruction retires (SDM Vol. 3A, 6.8.3).
  bool interrupt_shadow = false;

  uint8_t iopl() const { return (eflags & flags::IOPL) >> flags::IOPL_SHIFT; }
  bool paging() const { return (cr0 & cr0::PG) != 0; }
  bool pae_paging() const { return paging() && (cr4 & cr4::PAE) != 0; }
  bool protected_mode() const { return (cr0 & cr0::PE) != 0; }
};

}  // namespace vmlab::cpu
