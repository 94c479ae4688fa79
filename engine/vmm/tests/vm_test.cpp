// A Vm in native mode on a few instructions: the events the hardware reports, their
// costs in modeled time (which RDTSC sees), and the refusal of modes not written yet.
#include "engine/vmm/core/vm.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/machine/tests/elf_builder.h"

namespace vmlab::vmm {
namespace {

// mov al,0x42; out 0x80,al; rdtsc; mov ebx,eax; mov al,0; out 0xF4,al; hlt
const std::vector<uint8_t> kCode = {0xB0, 0x42, 0xE6, 0x80, 0x0F, 0x31, 0x89,
                                    0xC3, 0xB0, 0x00, 0xE6, 0xF4, 0xF4};

std::unique_ptr<Vm> boot(CostProfile profile) {
  VmConfig config;
  config.machine.memory_mib = 4;
  config.profile = std::move(profile);
  auto vm = Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok()) << (vm.ok() ? "" : vm.error().message);
  if (!vm.ok()) return nullptr;
  auto loaded = vm.value()->load_kernel_image(machine::testing::minimal_kernel(kCode), "t.elf");
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  return std::move(vm.value());
}

TEST(VmTest, NativeModeReportsPortIoAndTheStop) {
  auto vm = boot(CostProfile());
  ASSERT_NE(vm, nullptr);
  vm->recorder().enable_ring(16);
  const machine::RunResult r = vm->run();
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const auto events = vm->recorder().ring()->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, EventKind::port_io);
  EXPECT_EQ(events[0].payload, (Payload{0x80, 1, 0x42, 3}));  // write, port assigned
  EXPECT_EQ(events[0].eip, 0x100002u);
  EXPECT_EQ(events[0].cpl, 0u);
  EXPECT_EQ(events[1].kind, EventKind::port_io);
  EXPECT_EQ(events[1].payload, (Payload{0xF4, 1, 0, 3}));
  EXPECT_EQ(events[2].kind, EventKind::machine_stop);
  EXPECT_EQ(events[2].payload, (Payload{0, 0, 1, 0}));  // exit port, value 0
  EXPECT_EQ(events[2].seq, 2u);
}

TEST(VmTest, ProfileCostsAreModeledTimeThatRdtscSees) {
  CostProfile p;
  ASSERT_TRUE(p.set("insn.port_io", 7, "test").ok());
  ASSERT_TRUE(p.set("event.port_io", 100, "test").ok());
  auto vm = boot(p);
  ASSERT_NE(vm, nullptr);
  const machine::RunResult r = vm->run();
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  // Before RDTSC: mov (1) + out (7) + its port_io event (100).
  EXPECT_EQ(vm->machine().cpu().r32(3), 108u);
  EXPECT_EQ(vm->recorder().counters().cycles_of(EventKind::port_io), 200u);
  EXPECT_EQ(vm->recorder().counters().total_count(), 3u);
}

TEST(VmTest, NoModeMeansNativeAndTheGuestGetsAllOfMachineMemory) {
  VmConfig config;
  config.machine.memory_mib = 8;
  auto vm = Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok()) << vm.error().message;
  EXPECT_EQ(vm.value()->mode(), ModeId::native);
  EXPECT_EQ(vm.value()->guest_mib(), 8u);
  EXPECT_EQ(vm.value()->machine().memory().size_mib(), 8u);
}

}  // namespace
}  // namespace vmlab::vmm
