#include "modes/registry.h"

#include <cerrno>
#include <string>

#include "engine/vmm/core/native_mode.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/full-emulation/trap_mode.h"
#include "modes/full-emulation/vt_mode.h"
#include "modes/paravirt/pv_mode.h"

namespace vmlab::modes {

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

std::span<const Variant> variants() {
  return kVariants;
}

std::string variant_name(vmm::ModeId mode, const vmm::ModeOptions& options) {
  const auto cpu_of = [](vmm::ModeId m, vmm::ModeOptions::Cpu c) {
    return m == vmm::ModeId::trap && c == vmm::ModeOptions::Cpu::kDefault
               ? vmm::ModeOptions::Cpu::kVt
               : c;
  };
  for (const Variant& v : kVariants) {
    if (v.mode == mode && cpu_of(v.mode, v.options.cpu) == cpu_of(mode, options.cpu) &&
        v.options.nested_paging == options.nested_paging) {
      return v.name;
    }
  }
  return std::string(vmm::mode_name(mode));
}

bool implemented(vmm::ModeId mode) {
  return mode == vmm::ModeId::native || mode == vmm::ModeId::trap || mode == vmm::ModeId::pv ||
         mode == vmm::ModeId::bt;
}

machine::Result<std::unique_ptr<vmm::Mode>> make(vmm::ModeId mode,
                                                 const vmm::ModeOptions& options) {
  const std::string name(vmm::mode_name(mode));
  switch (mode) {
    case vmm::ModeId::native:
      if (options.cpu != vmm::ModeOptions::Cpu::kDefault || options.nested_paging) {
        return machine::Error{
            "the CPU choice (classic or VT) and nested paging are variants of trap mode, not of "
            "native",
            EINVAL};
      }
      return std::unique_ptr<vmm::Mode>(std::make_unique<vmm::NativeMode>());
    case vmm::ModeId::trap:
      if (options.cpu == vmm::ModeOptions::Cpu::kClassic) {
        if (options.nested_paging) {
          return machine::Error{
              "nested paging needs the VT CPU (a classic IA-32 CPU has no nested paging)", EINVAL};
        }
        return std::unique_ptr<vmm::Mode>(std::make_unique<TrapMode>());
      }
      // --cpu vt, the default CPU of trap: Adams & Agesen's hardware VMM.
      return std::unique_ptr<vmm::Mode>(
          std::make_unique<VtMode>(options.nested_paging ? VtPaging::kNested : VtPaging::kShadow));
    case vmm::ModeId::pv:
      if (options.cpu != vmm::ModeOptions::Cpu::kDefault || options.nested_paging) {
        return machine::Error{
            "the CPU choice (classic or VT) and nested paging are variants of trap mode, not of pv",
            EINVAL};
      }
      return std::unique_ptr<vmm::Mode>(std::make_unique<paravirt::PvMode>());
    case vmm::ModeId::bt:
      if (options.cpu != vmm::ModeOptions::Cpu::kDefault || options.nested_paging) {
        return machine::Error{
            "the CPU choice (classic or VT) and nested paging are variants of trap mode, not of bt",
            EINVAL};
      }
      return std::unique_ptr<vmm::Mode>(std::make_unique<bt::BtMode>());
    default: return machine::Error{"mode '" + name + "' is not implemented yet", ENOSYS};
  }
}

}  // namespace vmlab::modes
