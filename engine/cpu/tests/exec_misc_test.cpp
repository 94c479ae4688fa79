// NOP and hint NOPs, UD2, flag instructions, LAHF/SAHF, the BCD adjusts, BOUND, CPUID and
// RDTSC (exec_misc.cpp).
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "engine/cpu/decoder.h"
#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using MiscTest = ExecTest;
using namespace f;

TEST_F(MiscTest, NopsChangeNothing) {
  // The multi-byte NOPs gcc pads with; 0F 18 /0 (PREFETCHNTA) and 0F 1F never access
  // memory, so an operand beyond the DS limit does not fault.
  st().seg[DS].limit = 0xFFFF;
  reg(ESI) = 0x12345678;
  reg(EAX) = 0x12345678;
  set_status(C | Z);
  const std::vector<uint8_t> code = {
      0x90,                                                  // NOP
      0xF3, 0x90,                                            // PAUSE
      0x66, 0x90,                                            // XCHG AX, AX
      0x0F, 0x1F, 0x00,                                      // NOP [EAX]
      0x0F, 0x1F, 0x44, 0x00, 0x00,                          // NOP [EAX+EAX+0]
      0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,  // NOPW [EAX+EAX+0]
      0x0F, 0x18, 0x06,                                      // PREFETCHNTA [ESI]
      0x0F, 0x0D, 0x0E,                                      // PREFETCHW-space hint NOP
  };
  run_bytes(code, 8);
  EXPECT_EQ(st().eip, kCodeBase + code.size());
  EXPECT_EQ(reg(EAX), 0x12345678u);
  EXPECT_EQ(status(), C | Z);
}

TEST_F(MiscTest, Ud2) {
  expect_fault({0x90, 0x0F, 0x0B}, vec::UD, 1, 2);
}

TEST_F(MiscTest, WaitIsANopUnlessMpAndTs) {
  st().cr0 |= cr0::TS;
  run_bytes({0x9B});
  EXPECT_EQ(st().eip, kCodeBase + 1);
  st().cr0 |= cr0::MP;
  expect_fault({0x9B}, vec::NM);
}

TEST_F(MiscTest, FlagInstructions) {
  set_status(0);
  run_bytes({0xF9});  // STC
  EXPECT_EQ(status(), C);
  run_bytes({0xF5});  // CMC
  EXPECT_EQ(status(), 0u);
  run_bytes({0xF5});
  EXPECT_EQ(status(), C);
  run_bytes({0xF8});  // CLC
  EXPECT_EQ(status(), 0u);
  run_bytes({0xFD});  // STD
  EXPECT_TRUE(st().eflags & flags::DF);
  run_bytes({0xFC});  // CLD
  EXPECT_FALSE(st().eflags & flags::DF);

  set_status(S | Z | A | P | C | O);
  reg(EAX) = 0;
  run_bytes({0x9F});  // LAHF: SF ZF 0 AF 0 PF 1 CF
  EXPECT_EQ(reg(EAX), 0xD700u);
  reg(EAX) = 0x0000;
  run_bytes({0x9E});  // SAHF clears SF ZF AF PF CF, leaves OF
  EXPECT_EQ(status(), O);
  reg(EAX) = 0xFF00;
  run_bytes({0x9E});  // reserved bits of AH do not leak into EFLAGS
  EXPECT_EQ(status(), O | S | Z | A | P | C);
  EXPECT_EQ(st().eflags & 0x28u, 0u);
  EXPECT_TRUE(st().eflags & flags::kReserved1);
}

struct BcdCase {
  const char* name;
  std::vector<uint8_t> code;
  uint32_t eax, flags_in;
  uint32_t eax_out, flags_out;
};

TEST_F(MiscTest, BcdAdjusts) {
  const std::vector<BcdCase> cases = {
      // The SDM's own examples: 79 + 35 = AE -> DAA -> 14 with a decimal carry.
      {"daa carry", {0x27}, 0xAE, 0, 0x14, C | A | P},
      {"daa low digit", {0x27}, 0x2E, 0, 0x34, A},
      {"daa no adjust", {0x27}, 0x42, O, 0x42, P},
      {"daa carry in", {0x27}, 0x00, C, 0x60, C | P},
      // 35 - 47 = EE (CF, AF) -> DAS -> 88.
      {"das borrow", {0x2F}, 0xEE, C | A, 0x88, C | A | S | P},
      {"das low borrow survives", {0x2F}, 0x03, A, 0xFD, C | A | S},
      {"das no adjust", {0x2F}, 0x45, 0, 0x45, 0},
      {"aaa adjust", {0x37}, 0x0011, A, 0x0107, C | A},
      {"aaa carries into ah", {0x37}, 0x00FA, 0, 0x0200, C | A | Z | P},
      {"aaa no adjust", {0x37}, 0x0105, C, 0x0105, P},
      {"aas adjust", {0x3F}, 0x01FD, A, 0x0007, C | A},
      {"aas no adjust", {0x3F}, 0x0205, C, 0x0205, P},
      {"aam 10", {0xD4, 0x0A}, 0x003F, C | O | A, 0x0603, P},
      {"aam 16", {0xD4, 0x10}, 0x00AB, 0, 0x0A0B, 0},
      {"aam to zero", {0xD4, 0x0A}, 0x0000, 0, 0x0000, Z | P},
      {"aad 10", {0xD5, 0x0A}, 0x0603, C, 0x003F, P},
      {"aad wraps", {0xD5, 0x0A}, 0x1A08, 0, 0x000C, P},  // 26 * 10 + 8 = 0x10C
  };
  for (const BcdCase& c : cases) {
    SCOPED_TRACE(c.name);
    reg(EAX) = 0xABCD0000u | c.eax;
    set_status(c.flags_in);
    run_bytes(c.code);
    EXPECT_EQ(reg(EAX), 0xABCD0000u | c.eax_out);
    EXPECT_EQ(status(), c.flags_out);
  }
}

TEST_F(MiscTest, Bound) {
  poke32(kData, static_cast<uint32_t>(-5));
  poke32(kData + 4, 10);
  for (int32_t v : {-5, 0, 3, 10}) {
    reg(EAX) = static_cast<uint32_t>(v);
    run_bytes({0x62, 0x05, 0x00, 0x00, 0x02, 0x00});  // BOUND EAX, [kData]
    EXPECT_EQ(st().eip, kCodeBase + 6) << v;
  }
  reg(EAX) = 11;
  expect_fault({0x62, 0x05, 0x00, 0x00, 0x02, 0x00}, vec::BR);
  reg(ESP) = kStackTop;
  reg(EAX) = static_cast<uint32_t>(-6);
  expect_fault({0x62, 0x05, 0x00, 0x00, 0x02, 0x00}, vec::BR);
  // 16-bit: word bounds at kData+8: [-1, 1]; AX = 0xFFFF is -1.
  poke32(kData + 8, 0x0001FFFF);
  reg(EAX) = 0x1234FFFF;
  run_bytes({0x66, 0x62, 0x05, 0x08, 0x00, 0x02, 0x00});
  EXPECT_EQ(st().eip, kCodeBase + 7);
  reg(ESP) = kStackTop;
  expect_fault({0x62, 0xC0}, vec::UD);  // register operand
}

TEST_F(MiscTest, Cpuid) {
  // The default identity (cpu_identity.h): QEMU's qemu32, GenuineIntel 6/6/3.
  reg(EAX) = 0;
  run_bytes({0x0F, 0xA2});
  EXPECT_EQ(reg(EAX), 1u);
  const uint32_t vendor[3] = {reg(EBX), reg(EDX), reg(ECX)};
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(vendor), 12), "GenuineIntel");

  // Leaves above the maxima return leaf 1, the hypervisor range included: the processor
  // itself reports no hypervisor (engine/vmm/kit/virtual_cpuid.h).
  for (uint32_t leaf : {1u, 2u, 5u, 0x40000000u, 0x80000005u, 0xFFFFFFFFu}) {
    SCOPED_TRACE(leaf);
    reg(EAX) = leaf;
    reg(EBX) = reg(ECX) = reg(EDX) = 0xFFFFFFFF;
    run_bytes({0x0F, 0xA2});
    EXPECT_EQ(reg(EAX), 0x00000663u);  // family 6, model 6, stepping 3
    EXPECT_EQ(reg(EBX), 0u);
    EXPECT_EQ(reg(ECX), 0u);  // no hypervisor bit
    // FPU PSE TSC MSR PAE CX8 PGE CMOV; no VME, DE, APIC, SEP, MMX, SSE.
    EXPECT_EQ(reg(EDX), (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                            (1u << 13) | (1u << 15));
  }
}

// Issue 12, item 15: the profiles that model an Intel processor report its vendor and
// signature; the features stay this model's.
TEST_F(MiscTest, CpuidReportsTheProfilesProcessor) {
  const std::pair<const char*, uint32_t> cases[] = {
      {"pentium4", 0x00000F4Au},     {"vtx-prescott", 0x00000F4Au},
      {"core2", 0x000006F6u},        {"vtx-merom", 0x000006F6u},
      {"vtx-penryn", 0x00010676u},   {"vtx-nehalem", 0x000106A5u},
      {"vtx-westmere", 0x000206C2u}, {"vtx-sandybridge", 0x000206A7u},
      {"native-1c", 0x00000663u},    {"my-own-profile", 0x00000663u}};
  for (const auto& [profile, signature] : cases) {
    SCOPED_TRACE(profile);
    cpu_.set_identity(identity_for_profile(profile));
    reg(EAX) = 0;
    run_bytes({0x0F, 0xA2});
    const uint32_t vendor[3] = {reg(EBX), reg(EDX), reg(ECX)};
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(vendor), 12), "GenuineIntel");
    reg(EAX) = 1;
    run_bytes({0x0F, 0xA2});
    EXPECT_EQ(reg(EAX), signature);
    EXPECT_EQ(reg(EDX), (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                            (1u << 13) | (1u << 15));
  }
  const CpuIdentity p4 = identity_for_profile("pentium4");
  EXPECT_EQ(p4.family(), 15u);
  EXPECT_EQ(p4.model(), 4u);
  EXPECT_EQ(p4.stepping(), 10u);
}

TEST_F(MiscTest, TheExtendedLeavesGiveEachProfilesBrandString) {
  const std::pair<const char*, const char*> cases[] = {
      {"native-1c", "QEMU Virtual CPU version 2.5+"},
      {"pentium4", "              Intel(R) Pentium(R) 4 CPU 3.80GHz"},
      {"core2", "Intel(R) Core(TM)2 CPU          6700  @ 2.66GHz"}};
  for (const auto& [profile, brand] : cases) {
    SCOPED_TRACE(profile);
    cpu_.set_identity(identity_for_profile(profile));
    reg(EAX) = 0x80000000u;
    run_bytes({0x0F, 0xA2});
    EXPECT_EQ(reg(EAX), 0x80000004u);
    reg(EAX) = 0x80000001u;
    run_bytes({0x0F, 0xA2});
    EXPECT_EQ(reg(ECX), 0u);
    // XD where the part has it (the Pentium 4 672 and the Core 2; QEMU's qemu32 has
    // none); no SYSCALL or Intel 64.
    EXPECT_EQ(reg(EDX), std::string_view(profile) == "native-1c" ? 0u : 1u << 20);
    char text[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
      reg(EAX) = 0x80000002u + i;
      run_bytes({0x0F, 0xA2});
      const uint32_t words[4] = {reg(EAX), reg(EBX), reg(ECX), reg(EDX)};
      std::memcpy(text + 16 * i, words, 16);
    }
    EXPECT_EQ(std::string(text), brand);
    // Above the highest extended leaf: the highest basic leaf's data, as for any leaf
    // beyond a maximum.
    reg(EAX) = 0x80000005u;
    run_bytes({0x0F, 0xA2});
    EXPECT_EQ(reg(EAX), identity_for_profile(profile).signature);
  }
}

TEST_F(MiscTest, TheMicrocodeSignatureMsrSaysNoUpdateIsLoaded) {
  uint64_t v = 1;
  ASSERT_TRUE(cpu_.write_msr(msr::IA32_BIOS_SIGN_ID, 0));
  reg(EAX) = 1;
  run_bytes({0x0F, 0xA2});
  ASSERT_TRUE(cpu_.read_msr(msr::IA32_BIOS_SIGN_ID, v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(cpu_.write_msr(msr::IA32_BIOS_SIGN_ID, 0x1234567800000000ull));
  ASSERT_TRUE(cpu_.read_msr(msr::IA32_BIOS_SIGN_ID, v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(cpu_.read_msr(0x186, v));  // no performance counters (not modeled)
}

TEST_F(MiscTest, RdtscReadsModeledCycles) {
  const uint64_t c0 = cpu_.cycles();
  run_bytes({0x90, 0x90, 0x0F, 0x31}, 3);
  EXPECT_EQ(reg(EAX), static_cast<uint32_t>(c0 + 2));
  EXPECT_EQ(reg(EDX), static_cast<uint32_t>((c0 + 2) >> 32));
  cpu_.add_cycles(0x100000000ull);
  run_bytes({0x0F, 0x31});
  EXPECT_EQ(reg(EDX), static_cast<uint32_t>((c0 + 3 + 0x100000000ull) >> 32));
  EXPECT_EQ(reg(EDX), 1u);
  // CR4.TSD at CPL 0 is still allowed.
  st().cr4 |= cr4::TSD;
  run_bytes({0x0F, 0x31});
  EXPECT_EQ(st().eip, kCodeBase + 2);
}

TEST_F(MiscTest, RdtscWithTsdFaultsOutsideRingZero) {
  // Delivering from CPL 3 would need a TSS; execute the decoded instruction directly and
  // observe the exception it raises.
  const uint8_t bytes[] = {0x0F, 0x31};
  Insn insn;
  ASSERT_EQ(decode(bytes, sizeof(bytes), true, insn), DecodeStatus::kOk);
  st().cr4 |= cr4::TSD;
  st().cpl = 3;
  reg(EAX) = 0x1111;
  try {
    insn.exec(cpu_, insn);
    ADD_FAILURE() << "RDTSC did not fault";
  } catch (const CpuFault& fault) {
    EXPECT_EQ(fault.vector, vec::GP);
    EXPECT_TRUE(fault.has_error_code);
    EXPECT_EQ(fault.error_code, 0u);
  }
  EXPECT_EQ(reg(EAX), 0x1111u);
}

}  // namespace
}  // namespace vmlab::cpu::testing
