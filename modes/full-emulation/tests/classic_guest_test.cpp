// The unmodified guest OS (guest/) under `--mode trap --cpu classic`: it boots and runs a
// workload, and the Popek-Goldberg hole it falls into when a timer tick comes early is
// reproduced exactly (docs/modes/trap-and-emulate.md, "What goes wrong in the guest").
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/vmm/core/vm.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {

std::string run_guest(uint32_t cpu_mhz, const std::string& append, uint64_t* sensitive) {
  vmm::VmConfig config;
  config.mode = std::make_unique<TrapMode>();
  config.machine.memory_mib = 32;
  config.machine.cpu_mhz = cpu_mhz;
  config.machine.cmdline = std::string("vmlab_guest.elf ") + append;
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  if (!vm.ok()) return "";
  auto loaded = vm.value()->load_kernel(VMLAB_GUEST_KERNEL);
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  vm.value()->run();
  if (sensitive) {
    *sensitive = vm.value()->recorder().counters().count_of(vmm::EventKind::sensitive_no_trap);
  }
  return vm.value()->machine().console_output();
}

TEST(ClassicGuestTest, TheGuestOsRunsAWorkload) {
  uint64_t sensitive = 0;
  const std::string out = run_guest(1000, "run=syscall iters=10", &sensitive);
  EXPECT_NE(out.find("result workload=syscall iters=10"), std::string::npos) << out;
  EXPECT_NE(out.find("done status=0"), std::string::npos) << out;
  // Every console write reads EFLAGS with PUSHF (irq_save) in ring 1: the hole, reported.
  EXPECT_GT(sensitive, 0u);
}

TEST(ClassicGuestTest, PushfInIrqSaveEnablesInterruptsBeforeThePicIsProgrammed) {
  // At 1 MHz the PIT ticks every 10000 cycles, long before kmain reprograms the PIC. The
  // banner's irq_save reads IF = 1 with PUSHF (the real flag), irq_restore then executes
  // STI, and the tick arrives at the BIOS vector 8, which the guest takes for a #DF.
  const std::string out = run_guest(1, "run=syscall iters=10", nullptr);
  EXPECT_NE(out.find("panic: double fault (vector 8) in kernel mode"), std::string::npos) << out;
}

}  // namespace
}  // namespace vmlab::modes
