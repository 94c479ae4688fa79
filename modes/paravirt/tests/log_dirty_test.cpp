// PvLogDirty (log_dirty.h): the PV monitor's write tracking through the dirty bits of the
// page tables it validated. On the guest OS's fork-heavy workload, each round's set holds
// every guest frame an instruction stored to (the engine's dirty log is the referee), the
// peek gives the set take_dirty gives without changing memory, the sweep leaves no
// writable entry of a validated L1 table dirty, and no fault is counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/cpu/dirty_log.h"
#include "engine/vmm/core/vm.h"
#include "modes/paravirt/log_dirty.h"
#include "modes/paravirt/pv_mode.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {
namespace {

constexpr uint32_t kDirtyWritable = 0x43;  // P, R/W, D

std::unique_ptr<vmm::Vm> boot(const char* append) {
  vmm::VmConfig config;
  config.mode = std::make_unique<PvMode>();
  config.machine.memory_mib = 32;
  config.machine.cmdline = std::string(VMLAB_GUEST_KERNEL) + " " + append;
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  auto loaded = vm.value()->load_kernel(VMLAB_GUEST_KERNEL);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return std::move(vm.value());
}

// Writable, dirty entries of validated L1 tables.
size_t dirty_entries(PvMonitor& m) {
  size_t n = 0;
  for (uint32_t mfn = 0; mfn < m.paging().frames(); ++mfn) {
    const DirectPaging::Frame& f = m.paging().frame(mfn);
    if (!f.owned || f.type != DirectPaging::Type::l1 || f.type_count == 0) continue;
    for (uint32_t i = 0; i < DirectPaging::kEntries; ++i) {
      const uint32_t e = m.memory().read32(mfn * MachineMemory::kPageSize + i * 4);
      if ((e & kDirtyWritable) == kDirtyWritable) ++n;
    }
  }
  return n;
}

TEST(PvLogDirty, EveryStoredFrameIsInTheSet) {
  auto vm = boot("run=forkwait parent_touch=100 iters=300");
  auto& mode = static_cast<PvMode&>(vm->mode_impl());
  vmm::WriteTracker* t = vm->mode_impl().write_tracker();
  ASSERT_NE(t, nullptr);
  PvMonitor& m = const_cast<PvMonitor&>(*mode.monitor());
  cpu::Cpu& cpu = vm->machine().cpu();
  ASSERT_EQ(vm->run_for(300000), vmm::VmState::kPaused);
  t->start_tracking();
  EXPECT_EQ(dirty_entries(m), 0u);
  const size_t frames = vm->machine().memory().span().size() / MachineMemory::kPageSize;
  size_t found = 0;
  for (int round = 0; round < 6; ++round) {
    cpu.clear_dirty_log();
    ASSERT_EQ(vm->run_for(50000), vmm::VmState::kPaused);
    std::vector<uint8_t> peeked(frames, 0), taken(frames, 0);
    const std::vector<uint8_t> before(vm->machine().memory().span().begin(),
                                      vm->machine().memory().span().end());
    t->peek_dirty(peeked);
    EXPECT_TRUE(std::equal(before.begin(), before.end(), vm->machine().memory().span().begin()))
        << "the peek changed memory";
    t->take_dirty(taken);
    EXPECT_EQ(peeked, taken) << "round " << round;
    EXPECT_EQ(dirty_entries(m), 0u) << "round " << round;
    const auto log = cpu.dirty_log();
    const uint32_t first_guest = vm->mode_impl().guest_p2m()->reserved_frames();
    for (size_t p = first_guest; p < frames && p < log.size(); ++p) {
      if (log[p] & cpu::kDirtyByStore) {
        EXPECT_TRUE(taken[p]) << "round " << round << ": frame " << p << " stored to, not logged";
      }
    }
    for (uint8_t b : taken) found += b;
  }
  EXPECT_GT(found, 0u);
  EXPECT_EQ(t->tracking_faults(), 0u);
  t->stop_tracking();
}

}  // namespace
}  // namespace vmlab::modes::paravirt
