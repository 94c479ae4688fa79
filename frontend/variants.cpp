#include "frontend/variants.h"

#include "modes/registry.h"

namespace vmlab::frontend {

std::span<const Variant> all_variants() {
  return modes::variants();
}

const Variant* find_variant(const std::string& name) {
  for (const Variant& v : modes::variants()) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

bool variant_available(const Variant& v) {
  return modes::implemented(v.mode) && static_cast<bool>(modes::make(v.mode, v.options));
}

std::string variant_names() {
  std::string names;
  for (const Variant& v : modes::variants())
    names += (names.empty() ? "" : ", ") + std::string(v.name);
  return names;
}

}  // namespace vmlab::frontend
