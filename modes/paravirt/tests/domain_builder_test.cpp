// The domain builder boots only kernels that carry the PV note (docs/pv-abi.md, "The
// kernel's note"), and refuses the rest with a message before loading anything.
#include "modes/paravirt/domain_builder.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <vector>

#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace vmlab::modes::paravirt {
namespace {

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(DomainBuilderTest, TheGuestOsCarriesThePvNoteAndTheSmokeKernelDoesNot) {
  const auto guest = read_file(VMLAB_GUEST_KERNEL);
  const auto smoke = read_file(VMLAB_SMOKE_KERNEL);
  ASSERT_FALSE(guest.empty());
  ASSERT_FALSE(smoke.empty());
  EXPECT_TRUE(has_pv_note(guest));
  EXPECT_FALSE(has_pv_note(smoke));
  // Cut short or garbled, an image has no note (and reading it stays in bounds).
  EXPECT_FALSE(has_pv_note(std::vector<uint8_t>(guest.begin(), guest.begin() + 60)));
  std::vector<uint8_t> bad = guest;
  bad[30] = 0xFF;  // e_phoff far past the file
  bad[31] = 0xFF;
  EXPECT_FALSE(has_pv_note(bad));
}

TEST(DomainBuilderTest, AKernelWithoutTheNoteIsRefusedWithAMessage) {
  vmm::VmConfig config;
  config.machine.memory_mib = 16;
  config.mode = make(vmm::ModeId::pv).value();
  auto vm = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok());
  const auto loaded = vm.value()->load_kernel(VMLAB_SMOKE_KERNEL);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ENOEXEC);  // exit status 65
  EXPECT_NE(loaded.error().message.find("not a paravirtualized kernel"), std::string::npos);
}

}  // namespace
}  // namespace vmlab::modes::paravirt
