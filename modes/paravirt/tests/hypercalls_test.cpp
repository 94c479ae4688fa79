// The hypercall dispatch on a booted PV domain: the number in EAX selects the call, the
// result comes back in EAX, unknown numbers and wrong rings are refused, and each call is
// one `hypercall` event. And the whole guest under --mode pv: a system call costs no
// monitor entry, fork pays batched mmu_update hypercalls.
#include "modes/paravirt/hypercalls.h"

#include <gtest/gtest.h>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/vm.h"
#include "modes/paravirt/pv_abi.h"
#include "modes/paravirt/pv_mode.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {
namespace {

std::unique_ptr<vmm::Vm> boot(const std::string& cmdline) {
  vmm::VmConfig config;
  config.mode = std::make_unique<PvMode>();
  config.machine.memory_mib = 32;
  config.machine.cmdline = std::string(VMLAB_GUEST_KERNEL) + " " + cmdline;
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  auto loaded = vm.value()->load_kernel(VMLAB_GUEST_KERNEL);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return std::move(vm.value());
}

PvMonitor& monitor_of(vmm::Vm& vm) {
  return const_cast<PvMonitor&>(*static_cast<PvMode&>(vm.mode_impl()).monitor());
}

uint32_t call(vmm::Vm& vm, uint32_t nr, uint32_t a1 = 0, uint32_t a2 = 0) {
  auto& s = vm.machine().cpu().state();
  s.gpr[cpu::EAX] = nr;
  s.gpr[cpu::EBX] = a1;
  s.gpr[cpu::ECX] = a2;
  monitor_of(vm).on_interrupt(abi::kHypercallVector, cpu::EventSource::kSoftware, false, 0);
  return s.gpr[cpu::EAX];
}

TEST(HypercallsTest, TheDomainBuilderEntersRingOneWithTheStartInfo) {
  auto vm = boot("run=syscall");
  const auto& s = vm->machine().cpu().state();
  EXPECT_EQ(s.cpl, 1);
  EXPECT_EQ(s.gpr[cpu::EAX], abi::kBootMagic);
  EXPECT_GE(s.gpr[cpu::ESI], abi::kKernBase);
  EXPECT_EQ(s.eflags & cpu::flags::IOPL, 0u);
  EXPECT_TRUE(s.eflags & cpu::flags::IF);
  EXPECT_TRUE(s.paging());
}

TEST(HypercallsTest, NumberInEaxResultInEax) {
  auto vm = boot("run=syscall");
  const uint64_t before = vm->recorder().counters().count[vmm::index_of(vmm::EventKind::hypercall)];
  EXPECT_EQ(call(*vm, abi::kXenVersion, abi::kVersionGet), abi::kAbiVersion);
  EXPECT_EQ(call(*vm, abi::kXenVersion, abi::kVersionRequest, 1), 0u);
  EXPECT_EQ(static_cast<int32_t>(call(*vm, abi::kXenVersion, abi::kVersionRequest, 2)),
            -abi::kEINVAL);
  EXPECT_EQ(static_cast<int32_t>(call(*vm, 63)), -abi::kENOSYS);
  EXPECT_EQ(static_cast<int32_t>(call(*vm, abi::kSchedOp, 77)), -abi::kENOSYS);
  EXPECT_EQ(static_cast<int32_t>(call(*vm, abi::kPhysdevOp, abi::kPhysdevPortRead, 0x3F8)),
            -abi::kEPERM);
  EXPECT_EQ(static_cast<int32_t>(call(*vm, abi::kStackSwitch, 0x08, 0xC0001000)), -abi::kEPERM);
  EXPECT_EQ(static_cast<int32_t>(call(*vm, abi::kMmuUpdate, 0xFC000000, 1)), -abi::kEFAULT);
  EXPECT_EQ(vm->recorder().counters().count[vmm::index_of(vmm::EventKind::hypercall)] - before, 8u);
}

TEST(HypercallsTest, AHypercallFromUserModeIsAProtectionFault) {
  auto vm = boot("run=syscall");
  auto& s = vm->machine().cpu().state();
  s.cpl = 3;
  s.gpr[cpu::EAX] = abi::kXenVersion;
  monitor_of(*vm).on_interrupt(abi::kHypercallVector, cpu::EventSource::kSoftware, false, 0);
  // Not executed: reflected as #GP, and with no trap table yet the domain is ended.
  EXPECT_EQ(s.gpr[cpu::EAX], abi::kXenVersion);
  EXPECT_TRUE(vm->machine().cpu().is_shut_down());
}

struct GuestRun {
  vmm::EventCounters counters;
  std::string console;
};

GuestRun run(const std::string& cmdline) {
  auto vm = boot(cmdline);
  auto r = vm->run();
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(r.exit_value.value_or(99), 0u) << vm->machine().console_output();
  return {vm->recorder().counters(), vm->machine().console_output()};
}

uint64_t per_op(const GuestRun& a, const GuestRun& b, vmm::EventKind k, uint64_t n) {
  return (b.counters.count[vmm::index_of(k)] - a.counters.count[vmm::index_of(k)]) / n;
}

TEST(PvGuestTest, SystemCallsNeverEnterTheMonitor) {
  const GuestRun a = run("run=syscall iters=100"), b = run("run=syscall iters=200");
  EXPECT_EQ(b.counters.count[vmm::index_of(vmm::EventKind::software_interrupt)] -
                a.counters.count[vmm::index_of(vmm::EventKind::software_interrupt)],
            100u);  // the 100 extra INT 0x80 happened...
  // ... without a single extra monitor entry or hypercall.
  EXPECT_EQ(b.counters.count[vmm::index_of(vmm::EventKind::trap)],
            a.counters.count[vmm::index_of(vmm::EventKind::trap)]);
  EXPECT_EQ(b.counters.count[vmm::index_of(vmm::EventKind::hypercall)],
            a.counters.count[vmm::index_of(vmm::EventKind::hypercall)]);
}

TEST(PvGuestTest, ForkPaysBatchedHypercallsNotPerEntryTraps) {
  const GuestRun a = run("run=forkexit iters=10"), b = run("run=forkexit iters=20");
  const uint64_t writes = per_op(a, b, vmm::EventKind::guest_pt_write, 10);
  const uint64_t calls = per_op(a, b, vmm::EventKind::hypercall, 10);
  EXPECT_GT(writes, calls);  // several entries per hypercall
  // The monitor is entered only for the copy-on-write page faults, never per entry.
  EXPECT_EQ(per_op(a, b, vmm::EventKind::trap, 10), per_op(a, b, vmm::EventKind::exception, 10));
}

}  // namespace
}  // namespace vmlab::modes::paravirt
