// Live console input (engine/machine/live_input.h): the guest OS's shell, booted without
// run=, running on a worker thread, gets commands typed from the test's thread and answers
// them, natively and under the monitors that give the guest the UART (trap VT, trap
// classic, bt). The test waits on the console's contents, never on a timer.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/machine/live_input.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace vmlab::modes {
namespace {

// The console as the worker writes it, and a wait for text to appear.
struct Console {
  std::mutex mutex;
  std::condition_variable changed;
  std::string text;
  void put(char c) {
    {
      const std::lock_guard lock(mutex);
      text.push_back(c);
    }
    changed.notify_all();
  }
  // Waits until `needle` appears after `from`; returns where it ends. The timeout only
  // bounds a broken run: a correct one gets there by itself.
  size_t wait_for(const std::string& needle, size_t from = 0) {
    std::unique_lock lock(mutex);
    size_t at = std::string::npos;
    changed.wait_for(lock, std::chrono::seconds(60), [&] {
      at = text.find(needle, from);
      return at != std::string::npos;
    });
    EXPECT_NE(at, std::string::npos) << "never saw '" << needle << "' in:\n" << text;
    return at == std::string::npos ? text.size() : at + needle.size();
  }
  std::string snapshot() {
    const std::lock_guard lock(mutex);
    return text;
  }
};

void type_into_shell(vmm::ModeId id, const vmm::ModeOptions& options) {
  auto mode = make(id, options);
  ASSERT_TRUE(mode.ok()) << mode.error().message;
  vmm::VmConfig config;
  config.mode = std::move(mode.value());
  auto profile =
      vmm::CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/native-1c.profile");
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  config.profile = profile.value();
  config.machine.memory_mib = 32;
  config.machine.cmdline = "vmlab_guest";  // no run=: the shell
  Console console;
  config.machine.console_sink = [&console](char c) { console.put(c); };
  auto live = std::make_shared<machine::LiveInput>();
  config.machine.input = machine::ConsoleInput::from_live(live);
  auto vm = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok()) << vm.error().message;
  auto loaded = vm.value()->load_kernel(VMLAB_GUEST_KERNEL);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;

  vmm::Vm& v = *vm.value();
  std::thread worker([&v] { v.resume(); });  // the worker owns the Vm until it stops
  size_t at = console.wait_for("vmlab$ ");
  live->push("help\r");
  at = console.wait_for("commands: list | <workload> [iters=N] | all [iters=N] | exit [status]\r\n",
                        at);
  at = console.wait_for("vmlab$ ", at);
  // Byte by byte, as a user types, with Enter as '\n' this time.
  for (char c : std::string("nosuch\n")) live->push(std::string(1, c));
  at = console.wait_for("error unknown command=nosuch\r\n", at);
  at = console.wait_for("vmlab$ ", at);
  live->push("exit 3\r");
  if (::testing::Test::HasFailure()) v.request_stop();  // never hang on a broken run
  worker.join();

  ASSERT_TRUE(v.last_stop().has_value());
  EXPECT_EQ(v.last_stop()->reason, machine::StopReason::kExitPort) << v.last_stop()->message;
  const std::string text = console.snapshot();
  // The shell echoes what it reads (the kernel's UART driver ends lines with CR LF), so the
  // typed commands appear in order.
  const size_t help = text.find("vmlab$ help\r\n");
  const size_t nosuch = text.find("vmlab$ nosuch\r\n");
  const size_t exit = text.find("vmlab$ exit 3\r\n");
  EXPECT_NE(help, std::string::npos) << text;
  EXPECT_NE(nosuch, std::string::npos) << text;
  EXPECT_NE(exit, std::string::npos) << text;
  EXPECT_LT(help, nosuch);
  EXPECT_LT(nosuch, exit);
}

TEST(LiveConsoleTest, NativeShellAnswersTypedCommands) {
  type_into_shell(vmm::ModeId::native, {});
}

TEST(LiveConsoleTest, TrapShellAnswersTypedCommands) {
  type_into_shell(vmm::ModeId::trap, {});
}

TEST(LiveConsoleTest, TrapClassicShellAnswersTypedCommands) {
  vmm::ModeOptions classic;
  classic.cpu = vmm::ModeOptions::Cpu::kClassic;
  type_into_shell(vmm::ModeId::trap, classic);
}

TEST(LiveConsoleTest, BtShellAnswersTypedCommands) {
  type_into_shell(vmm::ModeId::bt, {});
}

}  // namespace
}  // namespace vmlab::modes
