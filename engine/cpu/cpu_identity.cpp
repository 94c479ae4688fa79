#include "engine/cpu/cpu_identity.h"

namespace vmlab::cpu {

namespace {

constexpr const char* kIntel = "GenuineIntel";

// Family 6 and 15 signatures put models above 15 in the extended-model field (bits 19:16),
// SDM Vol. 2A, CPUID, "The Extended Model ID needs to be examined only when the Family ID
// is 06H or 0FH".
constexpr uint32_t signature(uint32_t family, uint32_t model, uint32_t stepping) {
  return ((model >> 4) << 16) | (family << 8) | ((model & 0xF) << 4) | stepping;
}

struct Entry {
  std::string_view profile;
  CpuIdentity identity;
};

// Each profile's processor, with the signature of its production stepping (the signatures
// are listed in each processor's Intel specification update) and the brand string that
// part reports. The VT-x series profiles (papers.md 3a) name a microarchitecture, not a
// part: each reports a representative desktop or mobile part of that microarchitecture
// and stepping. The Pentium 4's string is right-justified, as NetBurst parts report it.
//
// Execute-disable (XD, CPUID.80000001H:EDX bit 20): every part listed has it. The Core 2
// and later parts all do (Intel SDM Vol. 3A, 4.1.4, and each part's datasheet). Among the
// Pentium 4s, XD came with the 90 nm Prescott at stepping E0 (the "J" parts, 5x0J and
// 5x1) and is in every Pentium 4 6x1/6x2 (Prescott 2M and Cedar Mill; Intel's Pentium 4
// processor 6x1 and 6x2 sequence datasheet lists "Execute Disable Bit" among the features),
// so the 672 has it. QEMU's qemu32, the default, reports no extended features: no XD.
constexpr Entry kProfiles[] = {
    // Pentium 4 672: Prescott 2M (family 15, model 4), stepping R0, the VT-x parts, 3.8 GHz.
    {"pentium4",
     {kIntel, signature(15, 4, 10), "              Intel(R) Pentium(R) 4 CPU 3.80GHz", true}},
    {"vtx-prescott",
     {kIntel, signature(15, 4, 10), "              Intel(R) Pentium(R) 4 CPU 3.80GHz", true}},
    // Core 2 Duo E6700 (Conroe, 2.66 GHz) and the Core 2 mobile parts (Merom, a T7200):
    // family 6, model 15, stepping B2.
    {"core2",
     {kIntel, signature(6, 15, 6), "Intel(R) Core(TM)2 CPU          6700  @ 2.66GHz", true}},
    {"vtx-merom",
     {kIntel, signature(6, 15, 6), "Intel(R) Core(TM)2 CPU         T7200  @ 2.00GHz", true}},
    // Penryn: family 6, model 23, stepping C0 (a Core 2 Duo E8400).
    {"vtx-penryn",
     {kIntel, signature(6, 23, 6), "Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz", true}},
    // Nehalem (Bloomfield): family 6, model 26, stepping D0 (a Core i7 920).
    {"vtx-nehalem",
     {kIntel, signature(6, 26, 5), "Intel(R) Core(TM) i7 CPU         920  @ 2.67GHz", true}},
    // Westmere (Gulftown): family 6, model 44, stepping B1 (a Core i7 980X).
    {"vtx-westmere",
     {kIntel, signature(6, 44, 2), "Intel(R) Core(TM) i7 CPU       X 980  @ 3.33GHz", true}},
    // Sandy Bridge: family 6, model 42, stepping D2 (a Core i7 2600).
    {"vtx-sandybridge",
     {kIntel, signature(6, 42, 7), "Intel(R) Core(TM) i7-2600 CPU @ 3.40GHz", true}},
};

}  // namespace

CpuIdentity default_identity() {
  // QEMU's "qemu32" model: GenuineIntel, family 6, model 6, stepping 3, and its model ID
  // as QEMU 7.2 reports it in the brand string.
  return {kIntel, signature(6, 6, 3), "QEMU Virtual CPU version 2.5+"};
}

CpuIdentity identity_for_profile(std::string_view profile_name) {
  for (const Entry& e : kProfiles) {
    if (e.profile == profile_name) return e.identity;
  }
  return default_identity();
}

}  // namespace vmlab::cpu
