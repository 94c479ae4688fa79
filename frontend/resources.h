// Where every front end (vmlab, vmlab-gui, the labs) finds what vmlab ships besides the
// binary: the cost profiles (profiles/) and the guest OS image that `vmlab compare` and the
// GUI boot by default.
//
//   profiles: $VMLAB_PROFILES_DIR, else <bin>/../share/vmlab/profiles beside the binary
//             (installed, or copied into the build tree), else the source tree's
//             profiles/ (compiled in)
//   guest:    --kernel (the front end's), else $VMLAB_GUEST_KERNEL, else
//   <bin>/../share/vmlab/guest/ or
//             <bin>/../guest/vmlab_guest.elf beside the binary, else the guest built with
//             vmlab (compiled in: <build>/guest/vmlab_guest.elf)
// So an installed vmlab, or a checkout moved with its build folder, finds both, and the
// binary looked beside is whichever front end runs (/proc/self/exe).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/machine/result.h"
#include "engine/vmm/core/cost_profile.h"

namespace vmlab::frontend {

// --cost KEY=CYCLES overrides, in the order given.
using CostOverrides = std::vector<std::pair<std::string, uint64_t>>;

std::string profiles_dir();
std::string default_guest_kernel();
// The names of the profiles in profiles_dir() (file stems), sorted.
std::vector<std::string> profile_names();

// Loads profile NAME (profiles_dir()/NAME.profile, or NAME itself when it names a file,
// i.e. contains a '/' or ends in .profile) and applies the --cost overrides.
machine::Result<vmm::CostProfile> load_profile(const std::string& name,
                                               const CostOverrides& overrides);

}  // namespace vmlab::frontend
