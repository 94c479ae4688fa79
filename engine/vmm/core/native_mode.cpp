#include "engine/vmm/core/native_mode.h"

#include "engine/vmm/core/vm.h"

namespace vmlab::vmm {

machine::Result<void> NativeMode::boot(Vm& vm, std::span<const uint8_t> image,
                                       const std::string& name) {
  return vm.machine().load_kernel_image(image, name);
}

}  // namespace vmlab::vmm
