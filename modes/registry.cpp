#include "modes/registry.h"

#include <cerrno>
#include <string>

#include "engine/vmm/native_mode.h"

namespace vmlab::modes {

bool implemented(vmm::ModeId mode) {
  return mode == vmm::ModeId::native;
}

machine::Result<std::unique_ptr<vmm::Mode>> make(vmm::ModeId mode,
                                                 const vmm::ModeOptions& options) {
  const std::string name(vmm::mode_name(mode));
  switch (mode) {
    case vmm::ModeId::native:
      if (options.cpu != vmm::ModeOptions::Cpu::kDefault || options.nested_paging) {
        return machine::Error{"--cpu and --npt select variants of --mode trap, not of native",
                              EINVAL};
      }
      return std::unique_ptr<vmm::Mode>(std::make_unique<vmm::NativeMode>());
    default: return machine::Error{"mode '" + name + "' is not implemented yet", ENOSYS};
  }
}

}  // namespace vmlab::modes
