// System instructions at different privilege levels: the privileged ones fault outside
// ring 0, and the sensitive-but-unprivileged ones (POPF, PUSHF, SGDT, SIDT, SMSW, STR)
// quietly work or quietly misbehave: the Popek-Goldberg holes a deprivileged kernel hits.
#include "engine/cpu/cpu_identity.h"
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

using SystemInsnTest = SystemTest;

TEST_F(SystemInsnTest, PopfAtCpl1WithIopl0SilentlyKeepsIf) {
  enter_cpl(1);
  st().eflags = flags::kReserved1 | flags::IF;
  st().gpr[ESP] = kStack1 - 4;
  poke32(kStack1 - 4, flags::kReserved1 | flags::CF | (3u << flags::IOPL_SHIFT));  // IF = 0
  EXPECT_EQ(fault_text(exec({0x9D})), "none");                                     // popf: no fault
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::IF | flags::CF);  // IF and IOPL kept
  EXPECT_EQ(st().gpr[ESP], kStack1);
}

TEST_F(SystemInsnTest, PopfAtCpl1WithIopl1ChangesIfButNotIopl) {
  enter_cpl(1);
  st().eflags = flags::kReserved1 | flags::IF | (1u << flags::IOPL_SHIFT);
  st().gpr[ESP] = kStack1 - 4;
  poke32(kStack1 - 4, flags::kReserved1 | (3u << flags::IOPL_SHIFT));
  EXPECT_EQ(fault_text(exec({0x9D})), "none");
  EXPECT_EQ(st().eflags, flags::kReserved1 | (1u << flags::IOPL_SHIFT));
}

TEST_F(SystemInsnTest, PopfAtCpl0ChangesEverythingButVmAndClearsRf) {
  st().eflags = flags::kReserved1 | flags::RF;
  st().gpr[ESP] = kStack0 - 4;
  poke32(kStack0 - 4, flags::kReserved1 | flags::IF | flags::VM | flags::NT | flags::AC |
                          (2u << flags::IOPL_SHIFT));
  EXPECT_EQ(fault_text(exec({0x9D})), "none");
  EXPECT_EQ(st().eflags,
            flags::kReserved1 | flags::IF | flags::NT | flags::AC | (2u << flags::IOPL_SHIFT));
}

TEST_F(SystemInsnTest, Popf16ChangesOnlyTheLowWord) {
  st().eflags = flags::kReserved1 | flags::AC;
  st().gpr[ESP] = kStack0 - 2;
  poke(kStack0 - 2, {0x01, 0x02});  // CF | IF
  EXPECT_EQ(fault_text(exec({0x66, 0x9D})), "none");
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::AC | flags::CF | flags::IF);
  EXPECT_EQ(st().gpr[ESP], kStack0);
}

TEST_F(SystemInsnTest, PushfShowsTheRealFlagsAtAnyCpl) {
  enter_cpl(1);
  st().eflags = flags::kReserved1 | flags::IF | flags::RF | flags::ZF;
  EXPECT_EQ(fault_text(exec({0x9C})), "none");
  EXPECT_EQ(st().gpr[ESP], kStack1 - 4);
  EXPECT_EQ(peek32(kStack1 - 4), flags::kReserved1 | flags::IF | flags::ZF);  // RF not copied
}

TEST_F(SystemInsnTest, CliStiAreIoplSensitive) {
  enter_cpl(3);
  st().eflags = flags::kReserved1 | flags::IF;
  EXPECT_EQ(fault_text(exec({0xFA})), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(exec({0xFB})), fault_text(vec::GP, 0));
  EXPECT_TRUE(st().eflags & flags::IF);
  set_iopl(3);
  EXPECT_EQ(fault_text(exec({0xFA})), "none");
  EXPECT_FALSE(st().eflags & flags::IF);
  EXPECT_EQ(fault_text(exec({0xFB})), "none");
  EXPECT_TRUE(st().eflags & flags::IF);
  EXPECT_TRUE(st().interrupt_shadow);
}

// INS and OUTS check the port's permission before their memory operand (SDM Vol. 2,
// INS/OUTS pseudo-code; QEMU does the same): at CPL 3 with IOPL 0 and the port denied by
// the TSS's I/O bitmap, an OUTS whose source lies past the SS limit is #GP(0) for the port,
// not #SS(0) for the operand (random guest seed 9152: native gave the operand's fault, the
// monitors the port's). With the port allowed the operand's fault remains.
TEST_F(SystemInsnTest, OutsChecksThePortBeforeItsSource) {
  enter_cpl(3);
  st().eflags = flags::kReserved1;
  ram_[kTss + kIoBitmap + 0x80 / 8] = 0x01;  // deny 0x80
  st().seg[SS].limit = 0xFFF;
  st().gpr[ESI] = 0x10000;
  st().gpr[EDX] = 0x80;
  EXPECT_EQ(fault_text(exec({0x36, 0x6E})), fault_text(vec::GP, 0));  // ss: outsb
  EXPECT_EQ(st().gpr[ESI], 0x10000u);
  ram_[kTss + kIoBitmap + 0x80 / 8] = 0x00;
  EXPECT_EQ(fault_text(exec({0x36, 0x6E})), fault_text(vec::SS, 0));
}

TEST_F(SystemInsnTest, SgdtSidtWorkAtCpl3) {
  enter_cpl(3);
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0x05, 0x00, 0x70, 0x00, 0x00})), "none");  // sgdt
  EXPECT_EQ(peek16(0x7000), kGdtLimit);
  EXPECT_EQ(peek32(0x7002), kGdt);
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0x0D, 0x10, 0x70, 0x00, 0x00})), "none");  // sidt
  EXPECT_EQ(peek16(0x7010), 0x7FF);
  EXPECT_EQ(peek32(0x7012), kIdt);
}

TEST_F(SystemInsnTest, LgdtLidtArePrivileged) {
  poke(0x7000, {0x34, 0x12, 0x78, 0x56, 0x34, 0x12});
  enter_cpl(3);
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0x15, 0x00, 0x70, 0x00, 0x00})), fault_text(vec::GP, 0));
  enter_cpl(0);
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0x1D, 0x00, 0x70, 0x00, 0x00})), "none");  // lidt
  EXPECT_EQ(st().idtr.limit, 0x1234);
  EXPECT_EQ(st().idtr.base, 0x12345678u);
  // With a 16-bit operand size only 24 bits of base are loaded.
  EXPECT_EQ(fault_text(exec({0x66, 0x0F, 0x01, 0x15, 0x00, 0x70, 0x00, 0x00})), "none");
  EXPECT_EQ(st().gdtr.limit, 0x1234);
  EXPECT_EQ(st().gdtr.base, 0x00345678u);
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0xD0})), fault_text(vec::UD));  // register operand
}

TEST_F(SystemInsnTest, SmswAtCpl3) {
  enter_cpl(3);
  st().cr0 = cr0::PE | cr0::ET | cr0::TS | cr0::WP;
  st().gpr[EAX] = 0;
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0xE0})), "none");  // smsw eax: all of CR0
  EXPECT_EQ(st().gpr[EAX], cr0::PE | cr0::ET | cr0::TS | cr0::WP);
  poke32(0x7000, 0xAAAAAAAA);
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0x25, 0x00, 0x70, 0x00, 0x00})), "none");
  EXPECT_EQ(peek32(0x7000), 0xAAAA0000u | cr0::PE | cr0::ET | cr0::TS);
}

TEST_F(SystemInsnTest, LmswCannotClearPe) {
  st().cr0 = cr0::PE | cr0::ET | cr0::MP;
  st().gpr[EAX] = 0x8;                                      // TS, PE clear
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0xF0})), "none");  // lmsw ax
  EXPECT_EQ(st().cr0, cr0::PE | cr0::ET | cr0::TS);
  EXPECT_EQ(fault_text(exec({0x0F, 0x06})), "none");  // clts
  EXPECT_EQ(st().cr0, cr0::PE | cr0::ET);
}

TEST_F(SystemInsnTest, MovCrIsPrivilegedAndCr1DoesNotExist) {
  enter_cpl(1);
  st().gpr[EAX] = 0x100000;
  EXPECT_EQ(fault_text(exec({0x0F, 0x22, 0xD8})), fault_text(vec::GP, 0));  // mov cr3, eax
  EXPECT_EQ(fault_text(exec({0x0F, 0x20, 0xC0})), fault_text(vec::GP, 0));  // mov eax, cr0
  EXPECT_EQ(fault_text(exec({0x0F, 0x22, 0xC8})), fault_text(vec::UD));     // mov cr1, eax
  enter_cpl(0);
  EXPECT_EQ(fault_text(exec({0x0F, 0x22, 0xD8})), "none");
  EXPECT_EQ(st().cr3, 0x100000u);
  EXPECT_EQ(fault_text(exec({0x0F, 0x20, 0xD9})), "none");  // mov ecx, cr3
  EXPECT_EQ(st().gpr[ECX], 0x100000u);
}

TEST_F(SystemInsnTest, ControlRegisterValidity) {
  // PG without PE, NW without CD, unsupported CR4 bits: #GP(0); clearing PE: unsupported.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr0(cr0::PG); })), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr0(cr0::PE | cr0::NW); })),
            fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr4(cr4::MCE); })), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr4(cr4::VME); })), fault_text(vec::GP, 0));
  cpu_.write_cr4(cr4::PSE | cr4::PGE);
  EXPECT_EQ(st().cr4, cr4::PSE | cr4::PGE);
  // Reserved CR0 bits are ignored, ET reads as 1.
  cpu_.write_cr0(cr0::PE | (1u << 7));
  EXPECT_EQ(st().cr0, cr0::PE | cr0::ET);
  // Clearing PE (with PG clear) enters real mode (real_mode_test.cpp).
  st().gpr[EAX] = 0;
  EXPECT_EQ(run_code({0x0F, 0x22, 0xC0}, 1), RunEnd::kBudget);
  EXPECT_EQ(st().cr0, cr0::ET);
}

TEST_F(SystemInsnTest, DebugRegisters) {
  st().gpr[EAX] = 0x1;
  EXPECT_EQ(fault_text(exec({0x0F, 0x23, 0xF8})), "none");  // mov dr7, eax
  EXPECT_EQ(cpu_.dr(7), 0x401u);
  EXPECT_EQ(fault_text(exec({0x0F, 0x21, 0xE9})), "none");  // mov ecx, dr5 (= dr7)
  EXPECT_EQ(st().gpr[ECX], 0x401u);
  st().cr4 = cr4::DE;
  EXPECT_EQ(fault_text(exec({0x0F, 0x21, 0xE9})), fault_text(vec::UD));
  enter_cpl(3);
  EXPECT_EQ(fault_text(exec({0x0F, 0x21, 0xF9})), fault_text(vec::GP, 0));
}

TEST_F(SystemInsnTest, StrSldtLtrLldt) {
  enter_cpl(3);
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xC8})), "none");  // str eax at CPL 3
  EXPECT_EQ(st().gpr[EAX], uint32_t{kTssSel});
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xC1})), "none");  // sldt ecx
  EXPECT_EQ(st().gpr[ECX], uint32_t{kLdtSel});
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xD8})), fault_text(vec::GP, 0));  // ltr ax at CPL 3
  enter_cpl(0);
  // The fixture's LTR marked the TSS busy in memory: loading it again is #GP(selector).
  EXPECT_EQ(Descriptor{gdt(kTssSel)}.type(), sys_type::kTss32Busy);
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xD8})), fault_text(vec::GP, kTssSel));
  st().gpr[EAX] = kData0;  // not an LDT
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xD0})), fault_text(vec::GP, kData0));
  st().gpr[EAX] = 0;
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xD0})), "none");  // lldt 0: null LDT
  EXPECT_FALSE(st().ldtr.usable);
}

TEST_F(SystemInsnTest, Msrs) {
  st().gpr[ECX] = msr::IA32_SYSENTER_CS;
  st().gpr[EAX] = 0x08;
  st().gpr[EDX] = 0;
  EXPECT_EQ(fault_text(exec({0x0F, 0x30})), "none");  // wrmsr
  st().gpr[EAX] = 0xFFFF;
  EXPECT_EQ(fault_text(exec({0x0F, 0x32})), "none");  // rdmsr
  EXPECT_EQ(st().gpr[EAX], 0x08u);
  EXPECT_EQ(st().sysenter_cs, 0x08u);
  st().gpr[ECX] = msr::IA32_APIC_BASE;
  EXPECT_EQ(fault_text(exec({0x0F, 0x32})), "none");
  EXPECT_EQ(st().gpr[EAX], 0xFEE00100u);  // BSP, global enable clear
  st().gpr[ECX] = msr::IA32_TSC;
  st().gpr[EAX] = 0x1000;
  st().gpr[EDX] = 0x1;
  EXPECT_EQ(fault_text(exec({0x0F, 0x30})), "none");
  EXPECT_EQ(cpu_.tsc(), 0x100001000ull);
  st().gpr[ECX] = 0xC0000080;  // EFER: no long mode here
  EXPECT_EQ(fault_text(exec({0x0F, 0x32})), fault_text(vec::GP, 0));
  enter_cpl(1);
  st().gpr[ECX] = msr::IA32_TSC;
  EXPECT_EQ(fault_text(exec({0x0F, 0x32})), fault_text(vec::GP, 0));
}

// No modeled processor has an architectural PMU (cpu_state.h, msr::IA32_PMC0): on every
// profile CPUID reports no leaf 0AH, and the counter MSRs and RDPMC are #GP(0) at CPL 0, a
// write changing nothing a read could see.
TEST_F(SystemInsnTest, NoProfileHasPerformanceCounters) {
  for (const char* profile : {"native-1c", "pentium4", "vtx-prescott", "core2", "vtx-merom",
                              "vtx-penryn", "vtx-nehalem", "vtx-sandybridge"}) {
    SCOPED_TRACE(profile);
    cpu_.set_identity(identity_for_profile(profile));
    EXPECT_LT(cpu_.cpuid(0)[0], 0xAu);
    for (uint32_t index : {msr::IA32_PMC0, msr::IA32_PMC0 + 1, msr::IA32_PERFEVTSEL0,
                           msr::IA32_PERFEVTSEL0 + 1, 0x309u, 0x38Du, 0x38Fu}) {
      SCOPED_TRACE(index);
      st().gpr[ECX] = index;
      st().gpr[EAX] = 0x004300C0u;  // event C0H (instructions retired), USR, OS, EN
      st().gpr[EDX] = 0;
      EXPECT_EQ(fault_text(exec({0x0F, 0x30})), fault_text(vec::GP, 0));  // wrmsr
      st().gpr[EAX] = 0x1234;
      EXPECT_EQ(fault_text(exec({0x0F, 0x32})), fault_text(vec::GP, 0));  // rdmsr
      EXPECT_EQ(st().gpr[EAX], 0x1234u);
    }
    for (uint32_t counter : {0u, 1u, 0x40000000u}) {
      st().gpr[ECX] = counter;
      EXPECT_EQ(fault_text(exec({0x0F, 0x33})), fault_text(vec::GP, 0));  // rdpmc
    }
  }
  st().cr4 |= cr4::PCE;
  enter_cpl(3);
  st().gpr[ECX] = 0;
  EXPECT_EQ(fault_text(exec({0x0F, 0x33})), fault_text(vec::GP, 0));
}

TEST_F(SystemInsnTest, InvdWbinvdAndInvlpgArePrivileged) {
  enter_cpl(2);
  EXPECT_EQ(fault_text(exec({0x0F, 0x08})), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(exec({0x0F, 0x09})), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0x38})), fault_text(vec::GP, 0));  // invlpg [eax]
}

// --- Port I/O: IOPL and the TSS I/O permission bitmap (SDM Vol. 1, 19.5) -----------------

TEST_F(SystemInsnTest, InOutAtCplBelowOrEqualIoplIgnoreTheBitmap) {
  ram_[kTss + kIoBitmap + 0x80 / 8] = 0xFF;  // would deny 0x80-0x87
  st().gpr[EAX] = 0x5A;
  EXPECT_EQ(fault_text(exec({0xE6, 0x80})), "none");  // out 0x80, al at CPL 0
  ASSERT_EQ(bus_.writes.size(), 1u);
  EXPECT_EQ(bus_.writes[0].port, 0x80);
  EXPECT_EQ(bus_.writes[0].size, 1u);
  EXPECT_EQ(bus_.writes[0].value, 0x5Au);
}

TEST_F(SystemInsnTest, InOutAtCpl3ConsultTheBitmap) {
  enter_cpl(3);
  bus_.port_values[0x3F8] = 0x41;
  bus_.port_values[0x60] = 0x12345678;
  st().gpr[EDX] = 0x3F8;
  EXPECT_EQ(fault_text(exec({0xEC})), "none");  // in al, dx: bit clear, allowed
  EXPECT_EQ(st().gpr[EAX] & 0xFF, 0x41u);
  ram_[kTss + kIoBitmap + 0x3F8 / 8] = 0x01;  // deny 0x3F8
  EXPECT_EQ(fault_text(exec({0xEC})), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(exec({0xEE})), fault_text(vec::GP, 0));
  // A 32-bit access needs all four bits clear: 0x60-0x63, with 0x63 denied.
  ram_[kTss + kIoBitmap + 0x60 / 8] = 0x08;
  EXPECT_EQ(fault_text(exec({0xE5, 0x60})), fault_text(vec::GP, 0));
  ram_[kTss + kIoBitmap + 0x60 / 8] = 0x10;  // 0x64 denied: not part of the access
  EXPECT_EQ(fault_text(exec({0xE5, 0x60})), "none");
  EXPECT_EQ(st().gpr[EAX], 0x12345678u);
  // A 16-bit access whose bits straddle two bitmap bytes: 0x67-0x68, 0x68 denied.
  ram_[kTss + kIoBitmap + 0x68 / 8] = 0x01;
  st().gpr[EDX] = 0x67;
  EXPECT_EQ(fault_text(exec({0x66, 0xED})), fault_text(vec::GP, 0));
}

TEST_F(SystemInsnTest, BitmapBeyondTheTssLimitDenies) {
  enter_cpl(3);
  // Shrink the TSS so that the bitmap bytes for high ports lie outside it.
  set_gdt(kFree, seg_desc(kTss, kIoBitmap + 0x10, sys_type::kTss32Available, 0, false));
  st().tr = Descriptor{gdt(kFree)}.to_cache(kFree);
  st().gpr[EDX] = 0x70;  // byte 0x0E and 0x0F: inside
  EXPECT_EQ(fault_text(exec({0xEC})), "none");
  st().gpr[EDX] = 0x80;  // bytes 0x10 and 0x11: the second is outside
  EXPECT_EQ(fault_text(exec({0xEC})), fault_text(vec::GP, 0));
}

TEST_F(SystemInsnTest, InAtCpl3WithIopl3IsAllowed) {
  enter_cpl(3);
  set_iopl(3);
  ram_[kTss + kIoBitmap] = 0xFF;
  EXPECT_EQ(fault_text(exec({0xE4, 0x01})), "none");
  EXPECT_EQ(st().gpr[EAX] & 0xFF, 0xFFu);  // nothing behind the port: all ones
}

}  // namespace
}  // namespace vmlab::cpu::testing

namespace vmlab::cpu::testing {
namespace {

// CPUID faulting (cpu_state.h): MSR_PLATFORM_INFO reports it, bit 0 of
// MSR_MISC_FEATURES_ENABLES turns it on, and then CPUID outside ring 0 is #GP(0).
TEST_F(SystemInsnTest, CpuidFaultingMakesCpuidAtCplAbove0AGeneralProtectionFault) {
  uint64_t v = 0;
  ASSERT_TRUE(cpu_.read_msr(msr::MSR_PLATFORM_INFO, v));
  EXPECT_EQ(v, uint64_t{1} << 31);
  EXPECT_FALSE(cpu_.write_msr(msr::MSR_PLATFORM_INFO, 0));          // read-only
  EXPECT_FALSE(cpu_.write_msr(msr::MSR_MISC_FEATURES_ENABLES, 2));  // reserved bit
  ASSERT_TRUE(cpu_.read_msr(msr::MSR_MISC_FEATURES_ENABLES, v));
  EXPECT_EQ(v, 0u);
  for (uint8_t cpl : {0, 1, 3}) {
    enter_cpl(cpl);
    st().gpr[EAX] = 0;
    EXPECT_EQ(fault_text(exec({0x0F, 0xA2})), "none") << "cpl " << int{cpl};
  }
  ASSERT_TRUE(cpu_.write_msr(msr::MSR_MISC_FEATURES_ENABLES, 1));
  ASSERT_TRUE(cpu_.read_msr(msr::MSR_MISC_FEATURES_ENABLES, v));
  EXPECT_EQ(v, 1u);
  enter_cpl(0);
  EXPECT_EQ(fault_text(exec({0x0F, 0xA2})), "none");
  for (uint8_t cpl : {1, 3}) {
    enter_cpl(cpl);
    EXPECT_EQ(fault_text(exec({0x0F, 0xA2})), fault_text(vec::GP, 0)) << "cpl " << int{cpl};
  }
}

}  // namespace
}  // namespace vmlab::cpu::testing
