#include "frontend/variants.h"

#include "modes/registry.h"

namespace vmlab::frontend {

namespace {

const Variant kVariants[] = {
    {"native", vmm::ModeId::native, {}},
    {"trap", vmm::ModeId::trap, {}},  // the VT CPU with shadow paging
    {"trap-npt", vmm::ModeId::trap, {vmm::ModeOptions::Cpu::kVt, true}},
    {"trap-classic", vmm::ModeId::trap, {vmm::ModeOptions::Cpu::kClassic, false}},
    {"bt", vmm::ModeId::bt, {}},
    {"pv", vmm::ModeId::pv, {}},
};

}  // namespace

std::span<const Variant> all_variants() {
  return kVariants;
}

const Variant* find_variant(const std::string& name) {
  for (const Variant& v : kVariants) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

bool variant_available(const Variant& v) {
  return modes::implemented(v.mode) && static_cast<bool>(modes::make(v.mode, v.options));
}

std::string variant_names() {
  std::string names;
  for (const Variant& v : kVariants) names += (names.empty() ? "" : ", ") + std::string(v.name);
  return names;
}

}  // namespace vmlab::frontend
