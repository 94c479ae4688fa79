// Stores to the page of the guest's GDT, under trap-and-emulate on the classic CPU and under
// binary translation (issue 12; docs/outside-kernels.md, "Why classic and bt are slower").
//
// The monitors write-protect the frames of the guest's GDT so that the shadow GDT follows
// every write. Linux's decompressor keeps its stack and the xz decoder's state on the same
// page as its GDT, so most stores there are next to the table, not into it. Each test runs
// one guest program that loads a GDT at 0x6000 (six descriptors, limit 0x2F) and then
// executes the same `mov [ebx], eax` once per (address, value) pair, in order:
//   - a store next to the GDT on its page is performed, and changes no shadow descriptor
//     (bt: after four trace faults the guilty store runs in the TC, kind kTableWrite, with
//     no callout; classic: a write fault and an emulated store each);
//   - a store into the GDT's bytes updates the shadow descriptor it belongs to, exactly as
//     LGDT would copy it (compressed to ring 1, cut below the hypervisor hole);
//   - hostile: descriptors aimed at the monitor (DPL 0, a base in the hole, 4 GiB limits)
//     written into the table and at the page offsets of the monitor's own slots: the shadow
//     GDT then holds exactly the compressed guest table and the monitor's slots as they
//     were, and nothing else.
#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {

using vmm::DeprivilegedSegments;
using vmm::EventKind;

constexpr uint32_t kCode = 0x1000;
constexpr uint32_t kGdt = 0x6000;
constexpr uint32_t kGdtr = 0x6100;  // the LGDT operand, on the GDT's page
constexpr uint16_t kGdtLimit = 6 * 8 - 1;
constexpr uint32_t kAddrs = 0x40000;
constexpr uint32_t kValues = 0x48000;

uint64_t seg(uint32_t base, uint32_t raw_limit, uint8_t access, uint8_t flags) {
  return uint64_t{raw_limit & 0xFFFF} | uint64_t{base & 0xFFFFFF} << 16 | uint64_t{access} << 40 |
         uint64_t{(raw_limit >> 16) & 0xF} << 48 | uint64_t{flags & 0xFu} << 52 |
         uint64_t{base >> 24} << 56;
}

// The guest's GDT: null, flat ring-0 code 0x08 and data 0x10, ring-3 code 0x1B and data
// 0x23, a ring-0 data segment 0x28 based at 0x20000.
const uint64_t kTable[6] = {0,
                            seg(0, 0xFFFFF, 0x9A, 0xC),
                            seg(0, 0xFFFFF, 0x92, 0xC),
                            seg(0, 0xFFFFF, 0xFA, 0xC),
                            seg(0, 0xFFFFF, 0xF2, 0xC),
                            seg(0x20000, 0xFFFF, 0x92, 0x4)};

using Stores = std::vector<std::pair<uint32_t, uint32_t>>;

class GdtPageStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  bool bt() const { return GetParam(); }

  void SetUp() override {
    vmm::VmConfig config;
    config.machine.memory_mib = 4;
    config.machine.max_instructions = 100000;
    // The pentium4 profile prices the in-TC store (bt.in_tc_pte_write, 390 cycles).
    auto profile =
        vmm::CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/pentium4.profile");
    ASSERT_TRUE(profile.ok()) << profile.error().message;
    config.profile = std::move(profile.value());
    if (bt()) {
      auto mode = std::make_unique<bt::BtMode>();
      bt::BtMode* m = mode.get();
      config.mode = std::move(mode);
      auto vm = vmm::Vm::create(std::move(config));
      ASSERT_TRUE(vm.ok()) << vm.error().message;
      vm_ = std::move(vm.value());
      auto attached = m->attach(*vm_);
      ASSERT_TRUE(attached.ok()) << attached.error().message;
      bt_ = attached.value();
      monitor_ = bt_;
    } else {
      auto mode = std::make_unique<TrapMode>();  // the classic CPU
      TrapMode* m = mode.get();
      config.mode = std::move(mode);
      auto vm = vmm::Vm::create(std::move(config));
      ASSERT_TRUE(vm.ok()) << vm.error().message;
      vm_ = std::move(vm.value());
      auto attached = m->attach(*vm_);
      ASSERT_TRUE(attached.ok()) << attached.error().message;
      monitor_ = attached.value();
    }
    for (uint32_t i = 0; i < 6; ++i) poke64(kGdt + 8 * i, kTable[i]);
    poke32(kGdtr, kGdtLimit | kGdt << 16);
    poke32(kGdtr + 4, kGdt >> 16);
  }

  void poke32(uint32_t gpa, uint32_t v) { monitor_->memory().write_phys32(gpa, v); }
  void poke64(uint32_t gpa, uint64_t v) {
    poke32(gpa, static_cast<uint32_t>(v));
    poke32(gpa + 4, static_cast<uint32_t>(v >> 32));
  }
  uint32_t peek32(uint32_t gpa) { return monitor_->memory().read_phys32(gpa); }
  uint64_t peek64(uint32_t gpa) { return peek32(gpa) | uint64_t{peek32(gpa + 4)} << 32; }
  uint64_t count(EventKind k) const { return vm_->recorder().counters().count_of(k); }
  uint64_t cycles_of(EventKind k) const { return vm_->recorder().counters().cycles_of(k); }
  uint64_t table_writes_in_tc() const {
    return bt_->in_tc_counts()[static_cast<size_t>(bt::InTcKind::kTableWrite)];
  }

  // The whole shadow GDT: every slot's descriptor.
  std::vector<uint64_t> shadow_gdt() const {
    std::vector<uint64_t> all(8192);
    for (uint32_t i = 0; i < 8192; ++i) {
      all[i] = monitor_->segments().descriptor(static_cast<uint16_t>(i << 3));
    }
    return all;
  }

  // mov esp,0x8000; lgdt [kGdtr]; then `mov [ebx], eax` once per pair, from one loop;
  // mov al,0; out 0xF4,al.
  machine::RunResult store_loop(const Stores& stores) {
    const auto n = static_cast<uint32_t>(stores.size());
    for (uint32_t i = 0; i < n; ++i) {  // the loop counts ECX down from n
      poke32(kAddrs + 4 * (n - 1 - i), stores[i].first);
      poke32(kValues + 4 * (n - 1 - i), stores[i].second);
    }
    std::vector<uint8_t> code = {0xBC, 0x00, 0x80, 0x00, 0x00};           // mov esp, 0x8000
    code.insert(code.end(), {0x0F, 0x01, 0x15, 0x00, 0x61, 0x00, 0x00});  // lgdt [0x6100]
    code.insert(code.end(), {0xB9, static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8), 0, 0});
    std::vector<uint8_t> body = {0x8B, 0x1C, 0x8D, 0, 0, 0, 0};  // mov ebx,[kAddrs-4+ecx*4]
    body.insert(body.end(), {0x8B, 0x04, 0x8D, 0, 0, 0, 0});     // mov eax,[kValues-4+ecx*4]
    body.insert(body.end(), {0x89, 0x03, 0x49, 0x75, 0x00});     // mov [ebx],eax; dec ecx; jnz
    for (int b = 0; b < 4; ++b) {
      body[3 + b] = static_cast<uint8_t>((kAddrs - 4) >> (8 * b));
      body[10 + b] = static_cast<uint8_t>((kValues - 4) >> (8 * b));
    }
    body.back() = static_cast<uint8_t>(-static_cast<int>(body.size()));
    code.insert(code.end(), body.begin(), body.end());
    code.insert(code.end(), {0xB0, 0x00, 0xE6, 0xF4});  // mov al,0; out 0xF4,al
    for (size_t i = 0; i < code.size(); ++i) {
      monitor_->memory().write_phys8(kCode + static_cast<uint32_t>(i), code[i]);
    }
    monitor_->start(kCode, 0, 0);
    return vm_->run();
  }

  // The shadow GDT must be the compressed guest table in its slots, nothing past its
  // limit, and the monitor's own slots as `before` had them.
  void expect_shadow_is_guest_table(const std::vector<uint64_t>& before) {
    const std::vector<uint64_t> after = shadow_gdt();
    const uint32_t first_monitor = bt() ? (bt::layout::kTcCode >> 3) : (0xFFF8 >> 3);
    for (uint32_t i = 0; i < 8192; ++i) {
      if (i <= kGdtLimit / 8u) {
        EXPECT_EQ(after[i], DeprivilegedSegments::compress(peek64(kGdt + 8 * i))) << i;
      } else if (i >= first_monitor) {
        EXPECT_EQ(after[i], before[i]) << "the monitor's slot " << i;
      } else if (bt() && i == (bt::layout::kGsCache >> 3)) {
        // The cached copy of the guest's %gs (binary-translation.md, "Segment caches"):
        // empty, or a descriptor the shadow held for a guest slot, compressed and cut.
        const cpu::Descriptor d{after[i]};
        if (after[i] != 0) {
          EXPECT_GE(d.dpl(), 1u);
          EXPECT_LT(uint64_t{d.base()} + d.limit(), uint64_t{vmm::hole::kBase});
        }
      } else {
        EXPECT_EQ(after[i], 0u) << i;
      }
    }
  }

  std::unique_ptr<vmm::Vm> vm_;
  vmm::DeprivilegedMonitor* monitor_ = nullptr;
  bt::BtMonitor* bt_ = nullptr;
};

TEST_P(GdtPageStoreTest, AStoreNextToTheGdtIsPerformedAndChangesNoDescriptor) {
  Stores w;
  for (uint32_t i = 0; i < 20; ++i) w.emplace_back(kGdt + 0x800 + 4 * i, 0xA5A50000u + i);
  const std::vector<uint64_t> before = shadow_gdt();
  const auto r = store_loop(w);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  for (uint32_t i = 0; i < 20; ++i) EXPECT_EQ(peek32(kGdt + 0x800 + 4 * i), 0xA5A50000u + i);
  EXPECT_EQ(monitor_->shadow().traced_tables(), std::vector<uint32_t>{kGdt >> 12});
  expect_shadow_is_guest_table(before);
  EXPECT_EQ(count(EventKind::guest_pt_write), 0u);
  if (bt()) {
    // Four trace faults make the store guilty; the other sixteen run in the TC.
    EXPECT_EQ(bt_->adaptive().trace_faults(), bt::Adaptive::kGuiltyAfter);
    EXPECT_EQ(bt_->adaptive().simulate_callouts(), 0u);
    EXPECT_EQ(bt_->adaptive().in_tc_writes(), 16u);
    EXPECT_EQ(table_writes_in_tc(), 16u);
    EXPECT_EQ(count(EventKind::bt_in_tc), 16u);
    EXPECT_EQ(cycles_of(EventKind::bt_in_tc), 16u * 390u);
    EXPECT_EQ(bt_->adaptive().guilty().size(), 1u);
  } else {
    // Every store is a write fault the monitor emulates (the other faults fill the shadow).
    EXPECT_EQ(count(EventKind::page_fault) - count(EventKind::hidden_fault), 20u);
  }
}

TEST_P(GdtPageStoreTest, AStoreIntoTheGdtUpdatesTheShadowDescriptor) {
  // Four stores next to the table (under bt they make the store guilty), then entry 5
  // rewritten: base 0x00345000, limit 0x2FFF, a word at a time.
  const uint64_t moved = seg(0x345000, 0x2FFF, 0x92, 0x4);
  Stores w(4, {kGdt + 0x800, 7});
  w.emplace_back(kGdt + 0x28, static_cast<uint32_t>(moved));
  w.emplace_back(kGdt + 0x2C, static_cast<uint32_t>(moved >> 32));
  const std::vector<uint64_t> before = shadow_gdt();
  const auto r = store_loop(w);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(peek64(kGdt + 0x28), moved);
  const cpu::Descriptor d{monitor_->segments().descriptor(0x28)};
  EXPECT_EQ(monitor_->segments().descriptor(0x28), DeprivilegedSegments::compress(moved));
  EXPECT_EQ(d.base(), 0x345000u);
  EXPECT_EQ(d.limit(), 0x2FFFu);
  EXPECT_EQ(d.dpl(), 1u);  // ring compression
  expect_shadow_is_guest_table(before);
  if (bt()) {
    EXPECT_EQ(table_writes_in_tc(), 2u);
    EXPECT_EQ(bt_->adaptive().simulate_callouts(), 0u);
  } else {
    EXPECT_EQ(count(EventKind::page_fault) - count(EventKind::hidden_fault), 6u);
  }
}

TEST_P(GdtPageStoreTest, HostileDescriptorsReachNeitherTheHoleNorTheMonitorsSlots) {
  // Into the table (not the CS and DS the program runs on): a ring-0 code segment based in
  // the hypervisor hole, a flat 4 GiB ring-0 data segment, a ring-0 code segment whose
  // limit runs through the hole and wraps. Next to it,
  // at the page offsets of the monitor's own slots (0xFE8, 0xFF0, 0xFF8: the TC's code,
  // its %gs data, the monitor's TSS), descriptors that would open the hole.
  const uint64_t in_hole = seg(vmm::hole::kBase, 0xFFFFF, 0x9A, 0xC);
  const uint64_t flat = seg(0, 0xFFFFF, 0x92, 0xC);
  const uint64_t wraps = seg(0xFBFFF000, 0xFFFFF, 0x9A, 0xC);
  Stores w(4, {kGdt + 0x800, 7});
  for (const auto& [at, d] : {std::pair{kGdt + 0x18, in_hole},
                              {kGdt + 0x20, flat},
                              {kGdt + 0x28, wraps},
                              {kGdt + 0xFE8, flat},
                              {kGdt + 0xFF0, in_hole},
                              {kGdt + 0xFF8, flat}}) {
    w.emplace_back(at, static_cast<uint32_t>(d));
    w.emplace_back(at + 4, static_cast<uint32_t>(d >> 32));
  }
  const std::vector<uint64_t> before = shadow_gdt();
  const auto r = store_loop(w);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  // The guest's memory holds what it stored, as natively.
  EXPECT_EQ(peek64(kGdt + 0x18), in_hole);
  EXPECT_EQ(peek64(kGdt + 0xFF8), flat);
  // The shadow: the compressed table, the monitor's slots untouched, nothing else.
  expect_shadow_is_guest_table(before);
  for (const uint16_t sel : {0x18, 0x20, 0x28}) {
    const cpu::Descriptor d{monitor_->segments().descriptor(sel)};
    if (!d.present()) continue;
    EXPECT_GE(d.dpl(), 1u) << sel;
    EXPECT_LT(uint64_t{d.base()} + d.limit(), uint64_t{vmm::hole::kBase}) << sel;
  }
  if (bt()) {
    EXPECT_EQ(table_writes_in_tc(), 12u);
    EXPECT_EQ(bt_->adaptive().simulate_callouts(), 0u);
  } else {
    EXPECT_EQ(count(EventKind::page_fault) - count(EventKind::hidden_fault), 16u);
  }
}

INSTANTIATE_TEST_SUITE_P(ClassicAndBt, GdtPageStoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Bt" : "Classic"; });

}  // namespace
}  // namespace vmlab::modes
