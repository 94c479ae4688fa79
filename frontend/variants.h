// The mode variants a comparison can name: a mode, or a variant of trap (its CPU and its
// paging, which `vmlab run` selects with --cpu and --npt). `vmlab compare`, `vmlab
// reproduce` and the GUI's compare view name them the same way (docs/cli.md).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "engine/vmm/core/mode.h"
#include "modes/registry.h"

namespace vmlab::frontend {

// The registry's table (modes/registry.h).
using Variant = modes::Variant;

// Every variant, in the order `all` runs them: native, trap (VT CPU, shadow paging),
// trap-npt, trap-classic, bt, pv.
std::span<const Variant> all_variants();
const Variant* find_variant(const std::string& name);
// Whether the registry can make this variant (its mode is implemented and accepts its options).
bool variant_available(const Variant& v);
// "native, trap, trap-npt, trap-classic, bt, pv": for error messages.
std::string variant_names();

}  // namespace vmlab::frontend
