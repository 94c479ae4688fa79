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
// are listed in each processor's Intel specification update).
constexpr Entry kProfiles[] = {
    // Pentium 4 672: Prescott 2M (family 15, model 4), stepping R0, the VT-x parts.
    {"pentium4", {kIntel, signature(15, 4, 10)}},
    {"vtx-prescott", {kIntel, signature(15, 4, 10)}},
    // Core 2 Duo E6700 (Conroe) and the Core 2 mobile parts (Merom): family 6, model 15,
    // stepping B2.
    {"core2", {kIntel, signature(6, 15, 6)}},
    {"vtx-merom", {kIntel, signature(6, 15, 6)}},
    // Penryn: family 6, model 23, stepping C0.
    {"vtx-penryn", {kIntel, signature(6, 23, 6)}},
    // Nehalem (Bloomfield): family 6, model 26, stepping D0.
    {"vtx-nehalem", {kIntel, signature(6, 26, 5)}},
    // Westmere (Gulftown): family 6, model 44, stepping B1.
    {"vtx-westmere", {kIntel, signature(6, 44, 2)}},
    // Sandy Bridge: family 6, model 42, stepping D2.
    {"vtx-sandybridge", {kIntel, signature(6, 42, 7)}},
};

}  // namespace

CpuIdentity default_identity() {
  // QEMU's "qemu32" model: GenuineIntel, family 6, model 6, stepping 3.
  return {kIntel, signature(6, 6, 3)};
}

CpuIdentity identity_for_profile(std::string_view profile_name) {
  for (const Entry& e : kProfiles) {
    if (e.profile == profile_name) return e.identity;
  }
  return default_identity();
}

}  // namespace vmlab::cpu
