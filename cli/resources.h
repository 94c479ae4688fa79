// Where vmlab finds what it ships besides the binary: the cost profiles (profiles/) and
// the guest OS image that `vmlab compare` boots.
//
//   profiles: $VMLAB_PROFILES_DIR, else <bin>/../share/vmlab/profiles beside the binary
//             (installed, or copied into the build tree), else the source tree's
//             profiles/ (compiled in)
//   guest:    --kernel, else $VMLAB_GUEST_KERNEL, else <bin>/../share/vmlab/guest/ or
//             <bin>/../guest/vmlab_guest.elf beside the binary, else the guest built with
//             vmlab (compiled in: <build>/guest/vmlab_guest.elf)
// So an installed vmlab, or a checkout moved with its build folder, finds both.
#pragma once

#include <string>

#include "cli/options.h"
#include "engine/machine/result.h"
#include "engine/vmm/cost_profile.h"

namespace vmlab::cli {

std::string profiles_dir();
std::string default_guest_kernel();

// Loads profile NAME (profiles_dir()/NAME.profile, or NAME itself when it names a file,
// i.e. contains a '/' or ends in .profile) and applies the --cost overrides.
machine::Result<vmm::CostProfile> load_profile(const std::string& name,
                                               const CostOverrides& overrides);

}  // namespace vmlab::cli
