// Which processor CPUID says this is: the vendor string of leaf 0 and the family, model
// and stepping of leaf 1 (SDM Vol. 2A, CPUID, "INPUT EAX = 0" and "INPUT EAX = 01H",
// figure 3-6 "Version Information Returned by CPUID in EAX").
//
// The cost profiles that model a real Intel processor (profiles/*.profile) report it, so
// that a kernel's CPU identification finds what it would on that machine; vmlab's own
// unit model, which claims no real processor, reports the identity of QEMU's default
// 32-bit CPU ("qemu32"), which the test kernels are compared with. The features of leaf 1
// are never the modeled part's: they are exactly what this processor model implements.
#pragma once

#include <cstdint>
#include <string_view>

namespace vmlab::cpu {

struct CpuIdentity {
  const char* vendor;  // 12 characters: EBX, EDX, ECX of leaf 0
  uint32_t signature;  // leaf 1 EAX: extended model 19:16, family 11:8, model 7:4, stepping 3:0
  // The processor brand string of leaves 80000002H-80000004H (SDM Vol. 2A, CPUID, "INPUT
  // EAX = 80000002H"): at most 47 characters, padded with NULs to 48 bytes.
  const char* brand;
  // The part has the execute-disable bit (CPUID.80000001H:EDX.NX[bit 20], IA32_EFER.NXE).
  bool xd = false;

  uint32_t family() const { return (signature >> 8) & 0xF; }
  uint32_t model() const { return (signature >> 4) & 0xF; }
  uint32_t stepping() const { return signature & 0xF; }
};

// The identity of the processor a cost profile models, by the profile's name; vmlab's
// default identity for a name it does not know.
CpuIdentity identity_for_profile(std::string_view profile_name);

// The default: "GenuineIntel", family 6, model 6, stepping 3, "QEMU Virtual CPU version 2.5+".
CpuIdentity default_identity();

}  // namespace vmlab::cpu
