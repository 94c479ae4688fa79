// The modes vmlab has, made by name: the one place that knows every mode folder.
// engine/vmm defines the Mode interface; each modes/<name>/ implements it; the front ends
// (cli/, later gui/ and labs/) create modes only through here.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "engine/machine/result.h"
#include "engine/vmm/core/event.h"
#include "engine/vmm/core/mode.h"

namespace vmlab::modes {

// Whether `mode` is implemented in this build.
bool implemented(vmm::ModeId mode);

// Makes a mode. Errors: ENOSYS for a mode not implemented yet (the CLI's status 76),
// EINVAL for options that do not fit the mode (e.g. --npt without the VT CPU).
machine::Result<std::unique_ptr<vmm::Mode>> make(vmm::ModeId mode,
                                                 const vmm::ModeOptions& options = {});

// A mode with the options that make it one variant (trap's CPU and paging, which `vmlab run`
// selects with --cpu and --npt), named as `vmlab compare` names it.
struct Variant {
  const char* name;
  vmm::ModeId mode;
  vmm::ModeOptions options;
};
// The six variants, in the order `vmlab compare all` runs them: native, trap (VT CPU, shadow
// paging), trap-npt, trap-classic, bt, pv. The one table; frontend/variants.h and the tests
// use it.
std::span<const Variant> variants();
// The name of the variant `mode` with `options` is (trap's default CPU is the VT CPU), or
// the mode's own name: config.json's and stats.json's "variant".
std::string variant_name(vmm::ModeId mode, const vmm::ModeOptions& options);

}  // namespace vmlab::modes
