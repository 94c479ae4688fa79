// Everything integer that is not a family of its own: NOP and the hint NOPs, UD2, WAIT,
// the flag instructions CLC STC CMC CLD STD LAHF SAHF, the BCD adjusts DAA DAS AAA AAS
// AAM AAD, BOUND, CPUID and RDTSC (SDM Vol. 1, 7.3.3 and 7.3.13-7.3.15; Vol. 2 for
// each instruction). CLI/STI and PUSHF/POPF touch IF and IOPL and live in
// exec_interrupt.cpp.
//
// Undefined flags (see flags.h): DAA/DAS OF = 0; AAA/AAS OF = 0 and SF ZF PF from the
// final AL; AAM/AAD CF OF AF = 0.
#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

void nop(Cpu&, const Insn&) {}  // 90 (and F3 90, PAUSE), 0F 0D, 0F 18-1F: no memory access

// UD2 (0F 0B): the architecturally guaranteed invalid opcode.
void ud2(Cpu& cpu, const Insn&) {
  cpu.post_fault(vec::UD, false, 0);  // posted, not thrown: cheap in a storm (cpu.h)
}

// Flag instructions. DF is written directly: it is not one of the bits whose change
// needs set_eflags (IF, TF).
void clc(Cpu& cpu, const Insn&) {
  cpu.state().eflags &= ~flags::CF;
}

// WAIT/FWAIT (9B): the x87 unit's checks (exec_x87.cpp).
void fwait(Cpu& cpu, const Insn&) {
  x87_wait(cpu);
}
void stc(Cpu& cpu, const Insn&) {
  cpu.state().eflags |= flags::CF;
}
void cmc(Cpu& cpu, const Insn&) {
  cpu.state().eflags ^= flags::CF;
}
void cld(Cpu& cpu, const Insn&) {
  cpu.state().eflags &= ~flags::DF;
}
void std_(Cpu& cpu, const Insn&) {
  cpu.state().eflags |= flags::DF;
}

// LAHF (9F): AH <- SF:ZF:0:AF:0:PF:1:CF, the low byte of EFLAGS with its fixed bits.
// SAHF (9E): the reverse, for those five flags only.
constexpr uint32_t kSahfMask = flags::SF | flags::ZF | flags::AF | flags::PF | flags::CF;
void lahf(Cpu& cpu, const Insn&) {
  cpu.set_r8(4, static_cast<uint8_t>((cpu.state().eflags & kSahfMask) | flags::kReserved1));
}
void sahf(Cpu& cpu, const Insn&) {
  uint32_t& fl = cpu.state().eflags;
  fl = (fl & ~kSahfMask) | (cpu.r8(4) & kSahfMask);
}

// DAA (27) and DAS (2F), following the SDM's Operation sections. DAS has no "else CF <- 0"
// in its second step: a borrow from the low-digit adjustment survives.
template <bool kSub>
void decimal_adjust(Cpu& cpu, const Insn&) {
  const uint32_t fl = cpu.state().eflags;
  const uint8_t old_al = cpu.r8(0);
  const bool old_cf = fl & flags::CF;
  uint8_t al = old_al;
  bool cf = false;
  bool af = false;
  if ((al & 0x0F) > 9 || (fl & flags::AF)) {
    cf = old_cf || (kSub ? al < 6 : al > 0xF9);
    al = static_cast<uint8_t>(kSub ? al - 6 : al + 6);
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    al = static_cast<uint8_t>(kSub ? al - 0x60 : al + 0x60);
    cf = true;
  } else if (!kSub) {
    cf = false;
  }
  cpu.set_r8(0, al);
  cpu.state().eflags =
      with_status(fl, (cf ? flags::CF : 0) | (af ? flags::AF : 0) | flags_szp<uint8_t>(al));
}

// AAA (37) and AAS (3F), as the current SDM describes them for P6 and later: the
// adjustment is applied to AX as a whole (AX +/- 6, then AH +/- 1).
template <bool kSub>
void ascii_adjust(Cpu& cpu, const Insn&) {
  const uint32_t fl = cpu.state().eflags;
  uint16_t ax = cpu.r16(EAX);
  const bool adjust = (ax & 0x0F) > 9 || (fl & flags::AF);
  if (adjust) ax = static_cast<uint16_t>(kSub ? ax - 6 - 0x100 : ax + 0x106);
  ax = static_cast<uint16_t>(ax & 0xFF0F);
  cpu.set_r16(EAX, ax);
  cpu.state().eflags =
      with_status(fl, (adjust ? flags::CF | flags::AF : 0) | flags_szp<uint8_t>(ax & 0xFF));
}

// AAM imm8 (D4): AH <- AL / imm8, AL <- AL mod imm8; imm8 = 0 raises #DE.
void aam(Cpu& cpu, const Insn& insn) {
  const uint8_t base = static_cast<uint8_t>(insn.imm);
  if (base == 0) cpu.fault(vec::DE);
  const uint8_t al = cpu.r8(0);
  const auto lo = static_cast<uint8_t>(al % base);
  cpu.set_r16(EAX, static_cast<uint16_t>(((al / base) << 8) | lo));
  cpu.state().eflags = with_status(cpu.state().eflags, flags_szp<uint8_t>(lo));
}

// AAD imm8 (D5): AL <- AL + AH * imm8 (low byte), AH <- 0.
void aad(Cpu& cpu, const Insn& insn) {
  const auto al = static_cast<uint8_t>(cpu.r8(0) + cpu.r8(4) * static_cast<uint8_t>(insn.imm));
  cpu.set_r16(EAX, al);
  cpu.state().eflags = with_status(cpu.state().eflags, flags_szp<uint8_t>(al));
}

// BOUND reg, m (62): the signed index must lie within [m, m + size]; otherwise #BR,
// a fault (the saved EIP is BOUND's own). A register operand is #UD.
struct Bound {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    if (!insn.mem()) cpu.fault_ud();
    const uint32_t ea = effective_address(cpu, insn);
    uint32_t ea_hi = ea + sizeof(T);
    if (insn.a16()) ea_hi &= 0xFFFF;
    const int32_t lower = sext(mem_read<T>(cpu, insn.seg, ea));
    const int32_t upper = sext(mem_read<T>(cpu, insn.seg, ea_hi));
    const int32_t index = sext(reg_read<T>(cpu, insn.reg));
    if (index < lower || index > upper) cpu.fault(vec::BR);
  }
};

// CPUID (0F A2). Leaf 0 reports the vendor string of the modeled processor (its identity,
// cpu_identity.h) in EBX, EDX, ECX order; leaf 1 its family, model and stepping and, in
// EDX, exactly the features this processor implements; leaves 80000000H-80000004H the
// extended range with the brand string. Leaves above either maximum return the data of the
// highest basic leaf, as the SDM specifies for Intel processors (Vol. 2A, CPUID, "INPUT
// EAX = 0"), leaf 40000000H included: no processor reports anything there (the range is
// left to hypervisors, engine/vmm/kit/virtual_cpuid.h).
namespace cpuid {
constexpr uint32_t kMaxBasicLeaf = 1;
// The extended range (SDM Vol. 2A, CPUID, "INPUT EAX = 80000000H"): the highest extended
// leaf, leaf 80000001H's extended features (XD where the part has it, cpu_identity.h; no
// LAHF/SAHF in 64-bit mode, SYSCALL or Intel 64), and the brand string.
constexpr uint32_t kExtendedBase = 0x80000000u;
constexpr uint32_t kMaxExtendedLeaf = 0x80000004u;
constexpr uint32_t kFpu = 1u << 0;  // the x87 unit (exec_x87.cpp)
constexpr uint32_t kPse = 1u << 3;
constexpr uint32_t kTsc = 1u << 4;
constexpr uint32_t kPae = 1u << 6;  // PAE paging (paging_pae.cpp)
constexpr uint32_t kMsr = 1u << 5;
constexpr uint32_t kCx8 = 1u << 8;
constexpr uint32_t kApic = 1u << 9;  // set while the local APIC is enabled
constexpr uint32_t kPge = 1u << 13;
constexpr uint32_t kCmov = 1u << 15;
constexpr uint32_t kFeaturesEdx = kFpu | kPse | kTsc | kMsr | kPae | kCx8 | kPge | kCmov;
constexpr uint32_t kExtNx = 1u << 20;  // leaf 80000001H EDX: execute-disable
uint32_t fourcc(const char* s, unsigned at) {
  return uint32_t{static_cast<uint8_t>(s[at])} | uint32_t{static_cast<uint8_t>(s[at + 1])} << 8 |
         uint32_t{static_cast<uint8_t>(s[at + 2])} << 16 |
         uint32_t{static_cast<uint8_t>(s[at + 3])} << 24;
}
}  // namespace cpuid

void cpuid_insn(Cpu& cpu, const Insn& insn) {
  // CPUID faulting (cpu_state.h, msr::MSR_MISC_FEATURES_ENABLES): outside ring 0 the
  // instruction is #GP(0), before anything else (a VM exit included).
  if ((cpu.state().misc_features_enables & msr::kCpuidFaultingEnable) && cpu.state().cpl != 0)
      [[unlikely]] {
    cpu.fault_gp(0);
  }
  // CPUID always exits in guest mode on VT-x (SDM Vol. 3C, 25.1.2); a control here.
  if (cpu.guest_mode() && cpu.vm_controls().cpuid_exiting) [[unlikely]] {
    cpu.vm_exit(vmx::ExitReason::kCpuid, 0, insn.len);
  }
  const auto r = cpu.cpuid(cpu.r32(EAX));
  cpu.set_r32(EAX, r[0]);
  cpu.set_r32(EBX, r[1]);
  cpu.set_r32(ECX, r[2]);
  cpu.set_r32(EDX, r[3]);
}

// RDTSC (0F 31): EDX:EAX <- the modeled cycle count. CR4.TSD restricts it to CPL 0
// (#GP(0) otherwise), SDM Vol. 2B, RDTSC.
void rdtsc(Cpu& cpu, const Insn& insn) {
  const CpuState& s = cpu.state();
  if ((s.cr4 & cr4::TSD) && s.cpl != 0) cpu.fault_gp(0);
  if (cpu.guest_mode() && cpu.vm_controls().rdtsc_exiting) [[unlikely]] {
    cpu.vm_exit(vmx::ExitReason::kRdtsc, 0, insn.len);
  }
  const uint64_t t = cpu.cycles();
  cpu.set_r32(EAX, static_cast<uint32_t>(t));
  cpu.set_r32(EDX, static_cast<uint32_t>(t >> 32));
}

}  // namespace

void register_misc(HandlerTable& t) {
  t.set(0x90, &nop);
  t.set(kTwoByte | 0x0D, &nop);
  for (uint16_t op = 0x18; op <= 0x1F; ++op) t.set(kTwoByte | op, &nop);
  t.set(kTwoByte | 0x0B, &ud2);
  t.set(0x9B, &fwait);
  t.set(0xF8, &clc);
  t.set(0xF9, &stc);
  t.set(0xF5, &cmc);
  t.set(0xFC, &cld);
  t.set(0xFD, &std_);
  t.set(0x9F, &lahf);
  t.set(0x9E, &sahf);
  t.set(0x27, &decimal_adjust<false>);
  t.set(0x2F, &decimal_adjust<true>);
  t.set(0x37, &ascii_adjust<false>);
  t.set(0x3F, &ascii_adjust<true>);
  t.set(0xD4, &aam);
  t.set(0xD5, &aad);
  t.set(0x62, &by_opsize<Bound>);
  t.set(kTwoByte | 0xA2, &cpuid_insn);
  t.set(kTwoByte | 0x31, &rdtsc);
}

std::array<uint32_t, 4> Cpu::cpuid(uint32_t leaf) const {
  if (leaf >= cpuid::kExtendedBase && leaf <= cpuid::kMaxExtendedLeaf) {
    if (leaf == cpuid::kExtendedBase) return {cpuid::kMaxExtendedLeaf, 0, 0, 0};
    if (leaf == cpuid::kExtendedBase + 1) return {0, 0, 0, identity_.xd ? cpuid::kExtNx : 0};
    // 16 bytes of the brand string per leaf, NUL-padded.
    char brand[48] = {};
    for (unsigned i = 0; i < 47 && identity_.brand[i] != 0; ++i) brand[i] = identity_.brand[i];
    const unsigned at = (leaf - cpuid::kExtendedBase - 2) * 16;
    return {cpuid::fourcc(brand, at), cpuid::fourcc(brand, at + 4), cpuid::fourcc(brand, at + 8),
            cpuid::fourcc(brand, at + 12)};
  }
  if (leaf > cpuid::kMaxBasicLeaf) leaf = cpuid::kMaxBasicLeaf;
  if (leaf == 0) {
    return {cpuid::kMaxBasicLeaf, cpuid::fourcc(identity_.vendor, 0),
            cpuid::fourcc(identity_.vendor, 8), cpuid::fourcc(identity_.vendor, 4)};
  }
  // EBX[31:24], the initial APIC ID, is 0: one processor. The APIC flag follows the
  // APIC's global enable (SDM Vol. 3A, 10.4.3).
  const uint32_t edx = cpuid::kFeaturesEdx | (bus_.local_apic_enabled() ? cpuid::kApic : 0);
  return {identity_.signature, 0, 0, edx};
}

}  // namespace vmlab::cpu
