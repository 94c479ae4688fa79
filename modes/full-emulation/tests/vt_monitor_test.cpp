// The VT monitor on tiny guests with exact event counts, in both paging variants, and the
// registry's rules for --cpu and --npt.
#include <gtest/gtest.h>

#include "engine/machine/tests/elf_builder.h"
#include "engine/vmm/vm.h"
#include "modes/registry.h"

namespace vmlab::modes {
namespace {

using vmm::EventKind;

// mov al, 0x42; out 0x80, al; xor eax, eax; cpuid; mov al, 0; out 0xF4, al; hlt
const std::vector<uint8_t> kTinyGuest = {0xB0, 0x42, 0xE6, 0x80, 0x31, 0xC0, 0x0F,
                                         0xA2, 0xB0, 0x00, 0xE6, 0xF4, 0xF4};

struct TinyRun {
  machine::RunResult result;
  vmm::EventCounters counters;
  uint64_t exits = 0;
};

TinyRun run_tiny(bool nested) {
  vmm::ModeOptions options;
  options.nested_paging = nested;
  auto mode = make(vmm::ModeId::trap, options);
  EXPECT_TRUE(mode.ok());
  vmm::VmConfig config;
  config.mode = std::move(mode.value());
  config.machine.memory_mib = 16;
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  machine::testing::ElfSpec spec;
  spec.segments.push_back({0x100000, 0x100000, kTinyGuest, 0x1000});
  const auto image = machine::testing::build_elf(spec);
  EXPECT_TRUE(vm.value()->load_kernel_image(image, "tiny").ok());
  TinyRun r;
  r.result = vm.value()->run();
  r.counters = vm.value()->recorder().counters();
  r.exits = vm.value()->machine().cpu().vm_exits();
  return r;
}

uint64_t count(const TinyRun& r, EventKind k) {
  return r.counters.count[vmm::index_of(k)];
}

TEST(VtMonitor, TinyGuestUnderNestedPagingExitsForIoAndCpuidOnly) {
  const TinyRun r = run_tiny(true);
  EXPECT_EQ(r.result.reason, machine::StopReason::kExitPort);
  // OUT 0x80, CPUID, OUT 0xF4: three exits, three emulations, two port accesses.
  EXPECT_EQ(r.exits, 3u);
  EXPECT_EQ(count(r, EventKind::trap), 3u);
  EXPECT_EQ(count(r, EventKind::emulated_insn), 3u);
  EXPECT_EQ(count(r, EventKind::port_io), 2u);
  // The one code page, with the guest's paging off: one walk of the nested table.
  EXPECT_EQ(count(r, EventKind::nested_walk), 1u);
  EXPECT_EQ(count(r, EventKind::hidden_fault), 0u);
}

TEST(VtMonitor, TinyGuestUnderShadowPagingAlsoTakesOneHiddenFault) {
  const TinyRun r = run_tiny(false);
  EXPECT_EQ(r.result.reason, machine::StopReason::kExitPort);
  // The code page is missing from the physical-mode shadow: one #PF exit, filled.
  EXPECT_EQ(r.exits, 4u);
  EXPECT_EQ(count(r, EventKind::trap), 4u);
  EXPECT_EQ(count(r, EventKind::hidden_fault), 1u);
  EXPECT_EQ(count(r, EventKind::true_fault), 0u);
  EXPECT_EQ(count(r, EventKind::emulated_insn), 3u);
  EXPECT_EQ(count(r, EventKind::nested_walk), 0u);
}

TEST(VtMonitor, NptNeedsTheVtCpu) {
  vmm::ModeOptions options;
  options.cpu = vmm::ModeOptions::Cpu::kClassic;
  options.nested_paging = true;
  auto mode = make(vmm::ModeId::trap, options);
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().code, EINVAL);
  options.cpu = vmm::ModeOptions::Cpu::kVt;
  auto vt = make(vmm::ModeId::trap, options);
  ASSERT_TRUE(vt.ok());
  EXPECT_EQ(vt.value()->describe(), "trap (VT CPU, nested paging)");
}

}  // namespace
}  // namespace vmlab::modes
