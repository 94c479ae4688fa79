// The registry makes every implemented mode and refuses the rest with ENOSYS, and
// options that do not fit a mode with EINVAL.
#include "modes/registry.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace vmlab::modes {
namespace {

TEST(RegistryTest, ImplementedModesAreMadeWithTheirId) {
  for (vmm::ModeId m : {vmm::ModeId::native, vmm::ModeId::trap, vmm::ModeId::bt, vmm::ModeId::pv,
                        vmm::ModeId::kvm}) {
    auto made = make(m);
    if (implemented(m)) {
      ASSERT_TRUE(made.ok()) << made.error().message;
      EXPECT_EQ(made.value()->id(), m);
      EXPECT_FALSE(made.value()->describe().empty());
    } else {
      ASSERT_FALSE(made.ok());
      EXPECT_EQ(made.error().code, ENOSYS);
      EXPECT_NE(made.error().message.find(vmm::mode_name(m)), std::string::npos);
    }
  }
}

TEST(RegistryTest, NativeHasNoCpuVariants) {
  vmm::ModeOptions o;
  o.nested_paging = true;
  auto made = make(vmm::ModeId::native, o);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, EINVAL);
}

}  // namespace
}  // namespace vmlab::modes
