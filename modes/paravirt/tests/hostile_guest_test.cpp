// Hostile paravirtual guests (issue 12, item 2): each test is one rule of the monitor's
// isolation, tried through the hypercall interface of a booted domain, and asserts the
// exact result and that the monitor's state (all of machine memory, every frame's type,
// the trap table, the callback, the delegated system-call gate) is what it was before a
// refused call. The rules are Xen's: a frame the monitor writes has a permanent writable
// type (share_xen_page_with_guest in xen/arch/x86/mm.c), a frame mapped writable is never
// a page table, the monitor's frames are never mapped, entries with a flag of the disallow
// mask are refused (L1_DISALLOW_MASK in xen/include/asm-x86/x86_32/page.h), and a refused
// request changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/vm.h"
#include "modes/paravirt/pv_abi.h"
#include "modes/paravirt/pv_mode.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {
namespace {

constexpr uint32_t kP = 0x1, kW = 0x2, kPat = 0x80, kG = 0x100;
constexpr uint32_t kPage = MachineMemory::kPageSize;
// A page-directory slot the bootstrap tables leave empty (2 GiB).
constexpr uint32_t kFreeSlot = 512;
// The guest's handler address for its trap table (never run: the tests stop at the bounce).
constexpr uint32_t kHandler = abi::kKernBase + 0x100000;

struct Snapshot {
  std::vector<uint8_t> ram;
  std::vector<DirectPaging::Frame> frames;
  std::array<PvMonitor::TrapEntry, 256> traps;
  uint16_t callback_cs;
  uint32_t callback_eip;
  bool syscall_delegated;
  uint32_t cr3;
};

void expect_same(const Snapshot& a, const Snapshot& b) {
  EXPECT_TRUE(a.ram == b.ram) << "machine memory changed";
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (size_t i = 0; i < a.frames.size(); ++i) {
    const auto &x = a.frames[i], &y = b.frames[i];
    EXPECT_TRUE(x.owned == y.owned && x.pinned == y.pinned && x.type == y.type &&
                x.type_count == y.type_count)
        << "frame " << i << " changed";
  }
  EXPECT_TRUE(a.traps == b.traps) << "trap table changed";
  EXPECT_EQ(a.callback_cs, b.callback_cs);
  EXPECT_EQ(a.callback_eip, b.callback_eip);
  EXPECT_EQ(a.syscall_delegated, b.syscall_delegated);
  EXPECT_EQ(a.cr3, b.cr3);
}

class HostileGuestTest : public ::testing::Test {
 protected:
  HostileGuestTest() { boot(); }
  // A freshly built domain, the same every time.
  void boot() {
    vmm::VmConfig config;
    config.mode = std::make_unique<PvMode>();
    config.machine.memory_mib = 32;
    config.machine.cmdline = std::string(VMLAB_GUEST_KERNEL) + " run=syscall";
    auto vm = vmm::Vm::create(std::move(config));
    EXPECT_TRUE(vm.ok());
    vm_ = std::move(vm.value());
    auto loaded = vm_->load_kernel(VMLAB_GUEST_KERNEL);
    EXPECT_TRUE(loaded.ok()) << loaded.error().message;
    start_info_ = st().gpr[cpu::ESI];
    first_free_ = si(abi::start_info::kFirstFreePfn);
    // A well-behaved start: a trap table for the exceptions, a ring-1 stack.
    std::vector<uint8_t> table;
    for (uint8_t v = 0; v < 32; ++v) append_trap(table, v, 0, abi::kRing1Cs, kHandler);
    append_trap(table, 0, 0, 0, 0);
    poke(scratch_va(0), table.data(), static_cast<uint32_t>(table.size()));
    EXPECT_EQ(hcall(abi::kSetTrapTable, scratch_va(0)), 0);
    EXPECT_EQ(hcall(abi::kStackSwitch, abi::kRing1Ds, scratch_va(4)), 0);
    st().gpr[cpu::ESP] = scratch_va(4);
  }

  PvMonitor& mon() {
    return const_cast<PvMonitor&>(*static_cast<PvMode&>(vm_->mode_impl()).monitor());
  }
  cpu::CpuState& st() { return vm_->machine().cpu().state(); }
  int32_t hcall(uint32_t nr, uint32_t a1 = 0, uint32_t a2 = 0, uint32_t a3 = 0) {
    st().gpr[cpu::EAX] = nr;
    st().gpr[cpu::EBX] = a1;
    st().gpr[cpu::ECX] = a2;
    st().gpr[cpu::EDX] = a3;
    mon().on_interrupt(abi::kHypercallVector, cpu::EventSource::kSoftware, false, 0);
    return static_cast<int32_t>(st().gpr[cpu::EAX]);
  }
  uint32_t si(uint32_t offset) {
    uint32_t v = 0;
    EXPECT_TRUE(mon().memory().copy_from_guest(mon().cr3(), start_info_ + offset, &v, 4));
    return v;
  }
  // Free guest pages after the boot area, mapped writable at KERNBASE + pa.
  uint32_t scratch_va(uint32_t i) const { return abi::kKernBase + (first_free_ + i) * kPage; }
  uint32_t scratch_mfn(uint32_t i) { return mon().p2m().machine_frame(first_free_ + i); }
  void poke(uint32_t va, const void* src, uint32_t len) {
    ASSERT_TRUE(mon().memory().copy_to_guest(mon().cr3(), va, src, len));
  }
  static void append_trap(std::vector<uint8_t>& t, uint8_t vector, uint8_t flags, uint16_t cs,
                          uint32_t eip) {
    const uint8_t e[8] = {vector,
                          flags,
                          static_cast<uint8_t>(cs),
                          static_cast<uint8_t>(cs >> 8),
                          static_cast<uint8_t>(eip),
                          static_cast<uint8_t>(eip >> 8),
                          static_cast<uint8_t>(eip >> 16),
                          static_cast<uint8_t>(eip >> 24)};
    t.insert(t.end(), e, e + 8);
  }
  // One mmuext op or mmu_update request, written to scratch page 1, and the call.
  int32_t mmuext(uint32_t cmd, uint32_t arg, uint32_t done_out = 0) {
    const uint32_t op[3] = {cmd, arg, 0};
    poke(scratch_va(1), op, sizeof op);
    return hcall(abi::kMmuextOp, scratch_va(1), 1, done_out);
  }
  int32_t mmu_update(uint32_t entry_ma, uint32_t value, uint32_t done_out = 0) {
    const uint32_t req[2] = {entry_ma, value};
    poke(scratch_va(1), req, sizeof req);
    return hcall(abi::kMmuUpdate, scratch_va(1), 1, done_out);
  }
  // The machine address of the L1 entry that maps `va` in the current address space.
  uint32_t l1_entry_ma(uint32_t va) {
    const uint32_t pde = mon().memory().read32(mon().cr3() + (va >> 22) * 4);
    return (pde & ~(kPage - 1)) + ((va >> 12) & 0x3FF) * 4;
  }
  uint32_t pde_ma(uint32_t slot) { return mon().cr3() + slot * 4; }
  const DirectPaging::Frame& frame(uint32_t mfn) { return mon().paging().frame(mfn); }
  Snapshot snap() {
    auto ram = vm_->machine().memory().span();
    Snapshot s;
    s.ram.assign(ram.begin(), ram.end());
    for (uint32_t f = 0; f < mon().paging().frames(); ++f) s.frames.push_back(frame(f));
    s.traps = mon().traps();
    s.callback_cs = mon().callback_cs();
    s.callback_eip = mon().callback_eip();
    s.syscall_delegated = mon().delegates_software_vector(abi::kSyscallVector);
    s.cr3 = mon().cr3();
    return s;
  }
  // Whether the guest can write machine frame `mfn` through any present entry of the
  // current address space (the test's own walk, independent of the validator).
  bool guest_can_write_frame(uint32_t mfn) {
    MachineMemory& m = mon().memory();
    for (uint32_t slot = 0; slot < abi::kFirstHoleSlot; ++slot) {
      const uint32_t pde = m.read32(pde_ma(slot));
      if (!(pde & kP) || !(pde & kW)) continue;
      for (uint32_t i = 0; i < 1024; ++i) {
        const uint32_t pte = m.read32((pde & ~(kPage - 1)) + i * 4);
        if ((pte & kP) && (pte & kW) && (pte >> 12) == mfn) return true;
      }
    }
    return false;
  }

  // RandomHypercallsNeverGiveTheGuestTheMonitor's walk over one domain.
  void random_hypercalls(uint32_t seed, int max_steps, uint32_t& accepted, uint32_t& steps,
                         uint32_t& kills);

  std::unique_ptr<vmm::Vm> vm_;
  uint32_t start_info_ = 0;
  uint32_t first_free_ = 0;
};

// The first way to ring 0: the shared-info page, remapped read-only and pinned as a page
// table, would take the monitor's next CR2 write as an unvalidated entry. Here the CR2 of a
// page fault names the GDT's frame, writable.
TEST_F(HostileGuestTest, TheSharedInfoPageCanNeverBecomeAPageTable) {
  const uint32_t va = si(abi::start_info::kSharedInfo);
  const uint32_t ma = mon().layout().shared_info_ma;
  const uint32_t mfn = ma / kPage;
  ASSERT_EQ(frame(mfn).type, DirectPaging::Type::writable);
  // Dropping its only writable mapping is allowed; its type stays (it is permanent).
  ASSERT_EQ(hcall(abi::kUpdateVaMapping, va, ma | kP, abi::kUvmfInvlpg), 0);
  EXPECT_EQ(frame(mfn).type, DirectPaging::Type::writable);
  EXPECT_EQ(frame(mfn).type_count, 1u);
  const Snapshot before = snap();
  EXPECT_EQ(mmuext(abi::kPinL1Table, mfn), -abi::kEINVAL);
  EXPECT_EQ(mmuext(abi::kPinL2Table, mfn), -abi::kEINVAL);
  EXPECT_EQ(mmuext(abi::kNewBaseptr, mfn), -abi::kEINVAL);
  EXPECT_EQ(mmu_update(pde_ma(kFreeSlot), ma | kP | kW), -abi::kEINVAL);
  Snapshot after = snap();
  // Only the request words in the scratch page differ.
  std::memcpy(after.ram.data() + scratch_mfn(1) * kPage, before.ram.data() + scratch_mfn(1) * kPage,
              kPage);
  expect_same(before, after);
  // The monitor's next write: a page fault whose CR2 reads as "the GDT, present, writable".
  const uint32_t gdt_entry = mon().layout().gdt_mfn * kPage | kP | kW;
  st().cr2 = gdt_entry;
  mon().on_interrupt(cpu::vec::PF, cpu::EventSource::kException, true, 0);
  EXPECT_EQ(mon().memory().read32(ma + abi::shared_info::kCr2), gdt_entry);
  EXPECT_EQ(st().eip, kHandler);  // bounced to the guest's handler
  EXPECT_FALSE(frame(mfn).pinned);
  EXPECT_FALSE(guest_can_write_frame(mon().layout().gdt_mfn));
  EXPECT_FALSE(mon().memory().translate_to_machine(mon().cr3(), kFreeSlot << 22 | 1 << 12, true));
}

// The second way: the console ring, whose consumer index the monitor writes. With the
// producer index a valid writable entry, the consumer index becomes the same entry in
// another slot, a writable mapping without a reference.
TEST_F(HostileGuestTest, TheConsoleRingCanNeverBecomeAPageTable) {
  namespace cr = abi::console_ring;
  const uint32_t va = si(abi::start_info::kConsoleRing);
  const uint32_t ma = mon().layout().console_ring_ma;
  const uint32_t mfn = ma / kPage;
  const uint32_t alias = scratch_mfn(2) * kPage | kP | kW;
  const uint32_t idx[2] = {alias - 9, alias};  // out_cons (not present), out_prod
  poke(va + cr::kOutCons, idx, sizeof idx);
  ASSERT_EQ(hcall(abi::kUpdateVaMapping, va, ma | kP, abi::kUvmfInvlpg), 0);
  EXPECT_EQ(frame(mfn).type, DirectPaging::Type::writable);
  EXPECT_EQ(frame(mfn).type_count, 1u);
  const Snapshot before = snap();
  EXPECT_EQ(mmuext(abi::kPinL1Table, mfn), -abi::kEINVAL);
  EXPECT_EQ(mmuext(abi::kPinL2Table, mfn), -abi::kEINVAL);
  Snapshot after = snap();
  std::memcpy(after.ram.data() + scratch_mfn(1) * kPage, before.ram.data() + scratch_mfn(1) * kPage,
              kPage);
  expect_same(before, after);
  // The back end consumes the 9 bytes and writes its index.
  EXPECT_EQ(hcall(abi::kEventChannelOp, abi::kEvtchnSend, abi::kConsolePort), 0);
  EXPECT_EQ(mon().memory().read32(ma + cr::kOutCons), alias);
  EXPECT_FALSE(frame(mfn).pinned);
  EXPECT_EQ(frame(mfn).type, DirectPaging::Type::writable);
}

TEST_F(HostileGuestTest, TheMonitorsFramesCanNeverBeMapped) {
  const auto& l = mon().layout();
  const uint32_t entry = l1_entry_ma(scratch_va(2));
  const Snapshot before = snap();
  for (const uint32_t mfn : {l.gdt_mfn, l.idt_mfn, l.tss_mfn, l.hole_l1_mfn}) {
    EXPECT_EQ(mmu_update(entry, mfn * kPage | kP), -abi::kEPERM) << mfn;
    EXPECT_EQ(mmu_update(entry, mfn * kPage | kP | kW), -abi::kEPERM) << mfn;
    EXPECT_EQ(hcall(abi::kUpdateVaMapping, scratch_va(2), mfn * kPage | kP, 0), -abi::kEPERM);
    EXPECT_EQ(mmuext(abi::kPinL1Table, mfn), -abi::kEPERM);
    EXPECT_EQ(mmuext(abi::kNewBaseptr, mfn), -abi::kEPERM);
    EXPECT_EQ(mmu_update(mfn * kPage, 0), -abi::kEPERM);  // an "entry" in the monitor's frame
  }
  // Frames past the end of RAM, and the reserve above the monitor's tables.
  EXPECT_EQ(mmu_update(entry, 0xFFFFF000u | kP), -abi::kEPERM);
  EXPECT_EQ(mmu_update(entry, (mon().p2m().reserved_frames() - 1) * kPage | kP), -abi::kEPERM);
  EXPECT_EQ(mmu_update(0xFFFFFFFCu, 0), -abi::kEPERM);
  Snapshot after = snap();
  std::memcpy(after.ram.data() + scratch_mfn(1) * kPage, before.ram.data() + scratch_mfn(1) * kPage,
              kPage);
  expect_same(before, after);
}

TEST_F(HostileGuestTest, AFrameMappedWritableCanNeverBecomeAPageTable) {
  const uint32_t mfn = scratch_mfn(2);
  ASSERT_EQ(frame(mfn).type, DirectPaging::Type::writable);
  const Snapshot before = snap();
  EXPECT_EQ(mmuext(abi::kPinL1Table, mfn), -abi::kEINVAL);
  EXPECT_EQ(mmuext(abi::kPinL2Table, mfn), -abi::kEINVAL);
  EXPECT_EQ(mmuext(abi::kNewBaseptr, mfn), -abi::kEINVAL);
  EXPECT_EQ(mmu_update(pde_ma(kFreeSlot), mfn * kPage | kP), -abi::kEINVAL);
  Snapshot after = snap();
  std::memcpy(after.ram.data() + scratch_mfn(1) * kPage, before.ram.data() + scratch_mfn(1) * kPage,
              kPage);
  expect_same(before, after);
}

// Xen's L1_DISALLOW_MASK for two-level tables (xen/include/asm-x86/x86_32/page.h): PAT/PSE
// and GLOBAL are refused in every present entry, even when the frame and access are
// unchanged (no new reference is needed).
TEST_F(HostileGuestTest, EntriesWithDisallowedFlagsAreRefused) {
  const uint32_t va = scratch_va(2);
  const uint32_t entry = l1_entry_ma(va);
  const uint32_t old = mon().memory().read32(entry);
  ASSERT_EQ(old & (kP | kW), kP | kW);
  const Snapshot before = snap();
  EXPECT_EQ(hcall(abi::kUpdateVaMapping, va, old | kG, 0), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kUpdateVaMapping, va, old | kPat, 0), -abi::kEINVAL);
  EXPECT_EQ(mmu_update(entry, (old & ~kW) | kG), -abi::kEINVAL);
  const uint32_t pde = mon().memory().read32(pde_ma(abi::kKernBase >> 22));
  EXPECT_EQ(mmu_update(pde_ma(abi::kKernBase >> 22), pde | kG), -abi::kEINVAL);
  EXPECT_EQ(mmu_update(pde_ma(abi::kKernBase >> 22), pde | kPat), -abi::kEINVAL);
  Snapshot after = snap();
  std::memcpy(after.ram.data() + scratch_mfn(1) * kPage, before.ram.data() + scratch_mfn(1) * kPage,
              kPage);
  expect_same(before, after);
  // The flags the mask allows: accessed, dirty, cache control and the software bits.
  EXPECT_EQ(hcall(abi::kUpdateVaMapping, va, old | 0x20 | 0x40 | 0x18 | 0xE00, 0), 0);
}

TEST_F(HostileGuestTest, ReRegisteringTheSystemCallVectorWithoutDpl3RemovesItsGate) {
  const uint32_t gate = mon().layout().idt_mfn * kPage + abi::kSyscallVector * 8;
  std::vector<uint8_t> table;
  append_trap(table, abi::kSyscallVector, 3, abi::kRing1Cs, kHandler + 0x80);
  append_trap(table, 0, 0, 0, 0);
  poke(scratch_va(0), table.data(), static_cast<uint32_t>(table.size()));
  ASSERT_EQ(hcall(abi::kSetTrapTable, scratch_va(0)), 0);
  EXPECT_TRUE(mon().delegates_software_vector(abi::kSyscallVector));
  EXPECT_EQ(mon().memory().read32(gate + 4) & 0xE000u, 0xE000u);  // present, DPL 3
  table.clear();
  append_trap(table, abi::kSyscallVector, 1, abi::kRing1Cs, kHandler + 0x100);
  append_trap(table, 0, 0, 0, 0);
  poke(scratch_va(0), table.data(), static_cast<uint32_t>(table.size()));
  ASSERT_EQ(hcall(abi::kSetTrapTable, scratch_va(0)), 0);
  // The real IDT no longer delivers INT 0x80 to the old handler: the monitor checks it.
  EXPECT_FALSE(mon().delegates_software_vector(abi::kSyscallVector));
  EXPECT_EQ(mon().memory().read32(gate), 0u);
  EXPECT_EQ(mon().memory().read32(gate + 4), 0u);
  // From user mode it is now a #GP (error code: the vector's IDT slot, IDT flag set).
  st().cpl = 3;
  st().seg[cpu::SS].selector = abi::kUserDs;
  mon().on_interrupt(abi::kSyscallVector, cpu::EventSource::kSoftware, false, 0);
  EXPECT_EQ(st().eip, kHandler);  // the #GP handler (vector 13 of the fixture's table)
  EXPECT_EQ(st().cpl, 1);
}

TEST_F(HostileGuestTest, ARefusedTrapTableChangesNothing) {
  std::vector<uint8_t> table;
  append_trap(table, 0x40, 3, abi::kRing1Cs, kHandler + 0x40);
  append_trap(table, abi::kSyscallVector, 3, abi::kRing1Cs, kHandler + 0x80);
  append_trap(table, 0x41, 0, 0x08, kHandler + 0x41);  // a ring-0 selector: refused
  append_trap(table, 0, 0, 0, 0);
  poke(scratch_va(0), table.data(), static_cast<uint32_t>(table.size()));
  Snapshot before = snap();
  EXPECT_EQ(hcall(abi::kSetTrapTable, scratch_va(0)), -abi::kEPERM);
  expect_same(before, snap());
  // A handler in the hole, and a table without a terminator within 256 entries.
  table[table.size() - 16 + 2] = abi::kRing1Cs;
  table[table.size() - 16 + 7] = 0xFC;
  poke(scratch_va(0), table.data(), static_cast<uint32_t>(table.size()));
  before = snap();
  EXPECT_EQ(hcall(abi::kSetTrapTable, scratch_va(0)), -abi::kEINVAL);
  expect_same(before, snap());
  std::vector<uint8_t> endless;
  for (int i = 0; i < 256; ++i) append_trap(endless, 0x40, 3, abi::kRing1Cs, kHandler);
  poke(scratch_va(0), endless.data(), static_cast<uint32_t>(endless.size()));
  before = snap();
  EXPECT_EQ(hcall(abi::kSetTrapTable, scratch_va(0)), -abi::kEINVAL);
  expect_same(before, snap());
  // A table that runs into an unmapped page.
  before = snap();
  EXPECT_EQ(hcall(abi::kSetTrapTable, kFreeSlot << 22), -abi::kEFAULT);
  expect_same(before, snap());
}

// The completion count is written after the batch: a pointer the guest cannot write is
// found before anything is applied, not reported after the update happened.
TEST_F(HostileGuestTest, AnUnwritableCompletionPointerRefusesTheBatchBeforeItIsApplied) {
  const uint32_t read_only = si(abi::start_info::kPtBase);  // the page tables: read-only
  const uint32_t entry = l1_entry_ma(scratch_va(2));
  const uint32_t mfn3 = scratch_mfn(3);
  // An op that would succeed: pinning a page that nothing maps writable.
  ASSERT_EQ(hcall(abi::kUpdateVaMapping, scratch_va(6), 0, abi::kUvmfInvlpg), 0);
  const uint32_t pin[3] = {abi::kPinL1Table, scratch_mfn(6), 0};
  for (const uint32_t done_out : {read_only, abi::kHypervisorHole + 16, kFreeSlot << 22}) {
    const Snapshot before = snap();
    EXPECT_EQ(mmu_update(entry, mfn3 * kPage | kP | kW, done_out), -abi::kEFAULT);
    poke(scratch_va(1), pin, sizeof pin);
    EXPECT_EQ(hcall(abi::kMmuextOp, scratch_va(1), 1, done_out), -abi::kEFAULT);
    Snapshot after = snap();
    std::memcpy(after.ram.data() + scratch_mfn(1) * kPage,
                before.ram.data() + scratch_mfn(1) * kPage, kPage);
    expect_same(before, after);
  }
  // A writable one gets the count.
  EXPECT_EQ(mmu_update(entry, mfn3 * kPage | kP | kW, scratch_va(0)), 0);
  EXPECT_EQ(mon().memory().read32(scratch_mfn(0) * kPage), 1u);
}

// A request array that runs into an unmapped page is refused before its first request
// is applied.
TEST_F(HostileGuestTest, AnUnreadableRequestArrayChangesNothing) {
  const uint32_t entry = l1_entry_ma(scratch_va(2));
  // The last request of the page, then the next page unmapped.
  const uint32_t end = scratch_va(5);
  ASSERT_EQ(hcall(abi::kUpdateVaMapping, end, 0, abi::kUvmfInvlpg), 0);
  const uint32_t req[2] = {entry, scratch_mfn(3) * kPage | kP | kW};
  poke(end - 8, req, sizeof req);
  Snapshot before = snap();
  EXPECT_EQ(hcall(abi::kMmuUpdate, end - 8, 2, 0), -abi::kEFAULT);
  expect_same(before, snap());
  const uint32_t op[3] = {abi::kPinL1Table, scratch_mfn(5), 0};  // would validate
  poke(end - 12, op, sizeof op);
  before = snap();
  EXPECT_EQ(hcall(abi::kMmuextOp, end - 12, 2, 0), -abi::kEFAULT);
  expect_same(before, snap());
  // Counts above the batch limit.
  EXPECT_EQ(hcall(abi::kMmuUpdate, end - 8, abi::kMaxBatch + 1, 0), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kMmuextOp, end - 12, 0xFFFFFFFFu, 0), -abi::kEINVAL);
  expect_same(before, snap());
}

TEST_F(HostileGuestTest, SelectorsAreNotTruncatedToSixteenBits) {
  const uint32_t tss = mon().layout().tss_mfn * kPage;
  ASSERT_EQ(hcall(abi::kSetCallbacks, abi::kRing1Cs, kHandler + 4), 0);
  const Snapshot before = snap();
  EXPECT_EQ(hcall(abi::kStackSwitch, 0x10000u | abi::kRing1Ds, scratch_va(3)), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kStackSwitch, 0xFFFF0000u | abi::kRing1Ds, scratch_va(3)), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kSetCallbacks, 0x10000u | abi::kRing1Cs, kHandler + 8), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kStackSwitch, abi::kRing1Ds, abi::kHypervisorHole + 4), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kSetCallbacks, abi::kRing1Cs, abi::kHypervisorHole), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kStackSwitch, abi::kUserDs, scratch_va(3)), -abi::kEPERM);
  EXPECT_EQ(hcall(abi::kSetCallbacks, abi::kUserCs, kHandler), -abi::kEPERM);
  expect_same(before, snap());
  EXPECT_EQ(mon().memory().read32(tss + 12), scratch_va(4));  // ESP1 as the fixture set it
  EXPECT_EQ(mon().callback_eip(), kHandler + 4);
}

TEST_F(HostileGuestTest, UpdateVaMappingRefusesUnknownFlagsBeforeApplying) {
  const uint32_t va = scratch_va(2);
  const Snapshot before = snap();
  EXPECT_EQ(hcall(abi::kUpdateVaMapping, va, 0, 4), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kUpdateVaMapping, va, 0, 0x80000000u), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kUpdateVaMapping, abi::kHypervisorHole, 0, 0), -abi::kEPERM);
  EXPECT_EQ(hcall(abi::kUpdateVaMapping, kFreeSlot << 22, 0, 0), -abi::kEINVAL);
  expect_same(before, snap());
}

TEST_F(HostileGuestTest, PortAndStatusValuesAreRefusedNotTruncated) {
  const Snapshot before = snap();
  EXPECT_EQ(hcall(abi::kPhysdevOp, abi::kPhysdevPortWrite, abi::kPostPort, 0x100), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kPhysdevOp, abi::kPhysdevPortWrite, 0x10080, 1), -abi::kEPERM);
  EXPECT_EQ(hcall(abi::kSchedOp, abi::kSchedShutdown, 0x100), -abi::kEINVAL);
  EXPECT_FALSE(st().halted);
  expect_same(before, snap());
}

// A deadline hours away once overflowed the tick arithmetic and armed the 8254 for a
// couple of ticks; now it is the counter's longest period, 65535 ticks (about 55 ms).
TEST_F(HostileGuestTest, AFarTimerDeadlineArmsTheLongestPeriod) {
  const uint64_t now = vm_->machine().cpu().tsc();
  // 2^63 cycles away: times the 8254's 1193182 Hz it is 0 modulo 2^64.
  const uint64_t deadline = now + (uint64_t{1} << 63);
  ASSERT_EQ(hcall(abi::kSetTimerOp, static_cast<uint32_t>(deadline),
                  static_cast<uint32_t>(deadline >> 32)),
            0);
  const uint64_t hz = uint64_t{vm_->machine().config().cpu_mhz} * 1'000'000;
  const uint64_t edge = vm_->machine().pit().next_event_cycle();
  EXPECT_GT(edge - now, hz / 20);  // more than 50 ms away
  EXPECT_LT(edge - now, hz / 16);  // less than 62.5 ms
}

// Every other hypercall argument the monitor refuses: numbers, commands, ports, counts and
// pointers. None of them changes the monitor's state or the guest's memory.
TEST_F(HostileGuestTest, EveryOtherRefusalChangesNothing) {
  const uint32_t unmapped = kFreeSlot << 22;
  const uint32_t ops[6] = {99, 0, 0, abi::kPinL1Table, scratch_mfn(5), 0};
  poke(scratch_va(1), ops, sizeof ops);
  const uint32_t reqs[2] = {l1_entry_ma(scratch_va(2)) | abi::kMmuMachphysUpdate, 0};
  poke(scratch_va(1) + 64, reqs, sizeof reqs);
  const Snapshot before = snap();
  for (const uint32_t nr : {2u, 5u, 63u, 64u, 0x82u, 0xFFFFFFFFu}) {
    EXPECT_EQ(hcall(nr, 1, 2, 3), -abi::kENOSYS) << nr;
  }
  EXPECT_EQ(hcall(abi::kConsoleIo, 1, 4, scratch_va(0)), -abi::kENOSYS);
  EXPECT_EQ(hcall(abi::kConsoleIo, abi::kConsoleWrite, 4097, scratch_va(0)), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kConsoleIo, abi::kConsoleWrite, 4, unmapped), -abi::kEFAULT);
  EXPECT_EQ(hcall(abi::kConsoleIo, abi::kConsoleWrite, 8, abi::kHypervisorHole - 4), -abi::kEFAULT);
  EXPECT_EQ(hcall(abi::kEventChannelOp, 3, abi::kConsolePort), -abi::kENOSYS);
  EXPECT_EQ(hcall(abi::kEventChannelOp, abi::kEvtchnSend, abi::kTimerPort), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kEventChannelOp, abi::kEvtchnSend, 0xFFFFFFFFu), -abi::kEINVAL);
  EXPECT_EQ(hcall(abi::kXenVersion, 7), -abi::kENOSYS);
  EXPECT_EQ(hcall(abi::kPhysdevOp, 102, abi::kPostPort), -abi::kENOSYS);
  EXPECT_EQ(hcall(abi::kSchedOp, 3), -abi::kENOSYS);
  // A batch whose first request is refused applies nothing, and says so in *done.
  EXPECT_EQ(hcall(abi::kMmuextOp, scratch_va(1), 2, scratch_va(1) + 60), -abi::kENOSYS);
  EXPECT_EQ(hcall(abi::kMmuUpdate, scratch_va(1) + 64, 1, scratch_va(1) + 60), -abi::kENOSYS);
  Snapshot after = snap();
  EXPECT_EQ(mon().memory().read32(scratch_mfn(1) * kPage + 60), 0u);
  expect_same(before, after);
  EXPECT_FALSE(vm_->machine().cpu().is_shut_down());
}

// A seeded random hostile guest at the hypercall interface: every hypercall with arguments
// drawn from the values that matter (the monitor's frames, the pages it writes, the page
// tables, frames past RAM, the hole, unmapped addresses, selectors and flags around the
// valid ones), batches of random requests, page faults with random CR2 and console
// notifications. After every step: the monitor's GDT and hole table are as built, its IDT
// holds nothing but the system-call gate (a DPL-3 gate to ring-1 code below the hole, or
// nothing), its TSS nothing but a ring-1 stack; no validated table maps a frame the guest
// does not own, or a page table writable; the base pointer is a validated directory.
TEST_F(HostileGuestTest, RandomHypercallsNeverGiveTheGuestTheMonitor) {
  uint32_t accepted = 0, steps = 0, kills = 0;
  // 16 seeds: with the shared pages' permanent type taken away, seed 15 finds the way to
  // the monitor's frames (a pinned shared page takes the monitor's store as an entry).
  for (uint32_t seed = 1; seed <= 16 && !HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    if (seed > 1) boot();
    random_hypercalls(seed, 1000, accepted, steps, kills);
  }
  // A domain may end itself (no handler left for a page fault, its stack unmapped): the
  // monitor then kills it, and the next seed boots a new one.
  EXPECT_GT(steps, 10000u);
  EXPECT_GT(accepted, 2000u);
  RecordProperty("kills", static_cast<int>(kills));
  RecordProperty("steps", static_cast<int>(steps));
  RecordProperty("accepted", static_cast<int>(accepted));
}

void HostileGuestTest::random_hypercalls(uint32_t seed, int max_steps, uint32_t& accepted,
                                         uint32_t& steps, uint32_t& kills) {
  std::mt19937 rng(seed);
  const uint32_t shared_va = si(abi::start_info::kSharedInfo);
  const uint32_t ring_va = si(abi::start_info::kConsoleRing);
  const uint32_t pt_va = si(abi::start_info::kPtBase);
  // Pages 9 and 10 are out of the walk's reach: the ring-1 stack, and a trap table the
  // guest registers again whenever the walk has cleared its page-fault handler.
  std::vector<uint8_t> recovery;
  append_trap(recovery, cpu::vec::PF, 0, abi::kRing1Cs, kHandler);
  append_trap(recovery, 0, 0, 0, 0);
  poke(scratch_va(10), recovery.data(), static_cast<uint32_t>(recovery.size()));
  // The guest's own stores: they fail where the walk took its own mappings away.
  const auto put = [&](uint32_t to, const void* src, uint32_t len) {
    mon().memory().copy_to_guest(mon().cr3(), to, src, len);
  };
  const auto batch = [&](uint32_t nr, const uint32_t* words, uint32_t n, uint32_t size,
                         uint32_t done) {
    put(scratch_va(1), words, n * size);
    return hcall(nr, scratch_va(1), n, done);
  };
  const auto pick = [&](uint32_t n) {
    return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng);
  };
  const auto& l = mon().layout();
  const uint32_t shared_mfn = l.shared_info_ma / kPage, ring_mfn = l.console_ring_ma / kPage;
  const uint32_t l2_mfn = mon().paging().baseptr();
  const uint32_t l1_mfn = mon().memory().read32(l2_mfn * kPage + (abi::kKernBase >> 22) * 4) >> 12;
  const uint32_t frames = mon().paging().frames();
  const std::vector<uint8_t> gdt_before(vm_->machine().memory().span().begin(),
                                        vm_->machine().memory().span().begin() + kPage);
  const uint32_t hole_l1_entry0 = mon().memory().read32(l.hole_l1_mfn * kPage);
  const auto mfn = [&]() -> uint32_t {
    switch (pick(10)) {
      case 0: return pick(4);  // the monitor's
      case 1:
      case 5:
      case 6: return pick(2) ? shared_mfn : ring_mfn;
      case 2: return pick(2) ? l2_mfn : l1_mfn;
      case 3: return frames + pick(3);
      case 4: return mon().p2m().reserved_frames() - 1;
      default: return scratch_mfn(pick(8));
    }
  };
  const auto flags = [&]() -> uint32_t {
    static constexpr uint32_t kF[] = {0, kP, kP | kW, kP | kW | 4, kP | kG, kP | kPat, 0x63};
    return pick(5) ? kF[pick(7)] : pick(4096);
  };
  const auto va = [&]() -> uint32_t {
    switch (pick(8)) {
      case 0: return shared_va;
      case 1: return ring_va;
      case 2: return pt_va;
      case 3: return abi::kHypervisorHole + pick(3) * kPage;
      case 4: return kFreeSlot << 22;
      case 5: return pick(2) ? 0u : 0xFFFFFFFCu;
      default: return scratch_va(pick(8)) + (pick(4) == 0 ? 4092 : 0);
    }
  };
  const auto entry_ma = [&]() -> uint32_t {
    if (pick(3) == 0) return mfn() * kPage + pick(1024) * 4;
    if (pick(2)) return l1_entry_ma(scratch_va(pick(8)));
    return pde_ma(pick(2) ? kFreeSlot + pick(3) : abi::kFirstHoleSlot + pick(16));
  };
  for (int step = 0; step < max_steps; ++step, ++steps) {
    st().gpr[cpu::ESP] = scratch_va(10);
    st().cpl = 1;
    if (!mon().traps()[cpu::vec::PF].set) {
      ASSERT_EQ(hcall(abi::kSetTrapTable, scratch_va(10)), 0) << step;
    }
    st().halted = false;
    int32_t r = 0;
    switch (pick(12)) {
      case 0: {
        const uint32_t req[2] = {entry_ma(), mfn() * kPage | flags()};
        r = batch(abi::kMmuUpdate, req, 1, 8, pick(3) ? 0 : va());
        break;
      }
      case 1: {
        static constexpr uint32_t kCmd[] = {0, 1, 4, 5, 6, 7, 2, 99};
        const uint32_t cmd = kCmd[pick(8)];
        const uint32_t op[3] = {cmd, cmd == 7 ? va() : mfn(), 0};
        r = batch(abi::kMmuextOp, op, 1, 12, pick(3) ? 0 : va());
        break;
      }
      case 2: r = hcall(abi::kUpdateVaMapping, va(), mfn() * kPage | flags(), pick(4)); break;
      case 3: {
        std::vector<uint8_t> t;
        for (uint32_t n = pick(4); n > 0; --n) {
          append_trap(t, static_cast<uint8_t>(pick(2) ? abi::kSyscallVector : pick(256)),
                      static_cast<uint8_t>(pick(8)), pick(4) ? abi::kRing1Cs : pick(0x30),
                      pick(4) ? kHandler : va());
        }
        append_trap(t, 0, 0, 0, 0);
        put(scratch_va(0), t.data(), static_cast<uint32_t>(t.size()));
        r = hcall(abi::kSetTrapTable, pick(8) ? scratch_va(0) : va());
        break;
      }
      case 4:
        r = hcall(abi::kStackSwitch, pick(3) ? abi::kRing1Ds : pick(2) * 0x10000 + pick(0x30),
                  pick(2) ? scratch_va(4) : va());
        break;
      case 5:
        r = hcall(abi::kSetCallbacks, pick(3) ? abi::kRing1Cs : pick(2) * 0x10000 + pick(0x30),
                  pick(2) ? kHandler : va());
        break;
      case 6: {
        // A batch of random requests.
        std::vector<uint32_t> req;
        const uint32_t n = 1 + pick(8);
        for (uint32_t i = 0; i < n; ++i) {
          req.push_back(entry_ma() | (pick(8) == 0 ? pick(4) : 0));
          req.push_back(mfn() * kPage | flags());
        }
        r = batch(abi::kMmuUpdate, req.data(), n, 8, pick(2) ? 0 : scratch_va(0));
        break;
      }
      case 7:
        st().cr2 = mfn() * kPage | flags();
        mon().on_interrupt(cpu::vec::PF, cpu::EventSource::kException, true, 0);
        break;
      case 8: {
        const uint32_t idx[2] = {mfn() * kPage | flags(), mfn() * kPage | flags()};
        mon().memory().write_bytes(l.console_ring_ma + abi::console_ring::kOutCons, idx, 8);
        r = hcall(abi::kEventChannelOp, abi::kEvtchnSend, abi::kConsolePort);
        break;
      }
      case 9: r = hcall(abi::kConsoleIo, abi::kConsoleWrite, pick(8), va()); break;
      default: r = hcall(pick(64), va(), mfn(), pick(16)); break;
    }
    if (r == 0) ++accepted;
    if (vm_->machine().cpu().is_shut_down()) {
      const std::string& why = vm_->machine().cpu().stop_message();
      ASSERT_TRUE(why.find("registered no handler") != std::string::npos ||
                  why.find("cannot deliver") != std::string::npos)
          << "step " << step << ": " << why;
      ++kills;
      return;
    }
    // The monitor's own frames.
    auto ram = vm_->machine().memory().span();
    ASSERT_TRUE(std::equal(gdt_before.begin(), gdt_before.end(), ram.begin())) << step;
    ASSERT_EQ(mon().memory().read32(l.hole_l1_mfn * kPage), hole_l1_entry0) << step;
    for (uint32_t v = 0; v < 256; ++v) {
      const uint32_t lo = mon().memory().read32(l.idt_mfn * kPage + v * 8);
      const uint32_t hi = mon().memory().read32(l.idt_mfn * kPage + v * 8 + 4);
      if (v != abi::kSyscallVector || (lo == 0 && hi == 0)) {
        ASSERT_EQ(lo | hi, 0u) << "step " << step << ": IDT gate " << v;
        continue;
      }
      ASSERT_EQ(lo >> 16, abi::kRing1Cs) << step;
      ASSERT_EQ(hi & 0xFFFFu, 0xEF00u) << step;  // present, DPL 3, 32-bit trap gate
      ASSERT_LT((hi & 0xFFFF0000u) | (lo & 0xFFFFu), abi::kHypervisorHole) << step;
    }
    ASSERT_EQ(mon().memory().read32(l.tss_mfn * kPage + 16), abi::kRing1Ds) << step;
    ASSERT_LE(mon().memory().read32(l.tss_mfn * kPage + 12), abi::kHypervisorHole) << step;
    // The guest's tables.
    const uint32_t cr3_mfn = mon().cr3() / kPage;
    ASSERT_EQ(frame(cr3_mfn).type, DirectPaging::Type::l2) << step;
    for (uint32_t t = 0; t < frames; ++t) {
      const auto& ft = frame(t);
      if (ft.type_count == 0 ||
          (ft.type != DirectPaging::Type::l1 && ft.type != DirectPaging::Type::l2)) {
        continue;
      }
      const bool l2 = ft.type == DirectPaging::Type::l2;
      for (uint32_t i = 0; i < (l2 ? abi::kFirstHoleSlot : 1024u); ++i) {
        const uint32_t e = mon().memory().read32(t * kPage + i * 4);
        if (!(e & kP)) continue;
        const uint32_t target = e >> 12;
        ASSERT_TRUE(target < frames && frame(target).owned)
            << "step " << step << ": table " << t << " maps frame " << target;
        ASSERT_EQ(e & DirectPaging::kDisallowMask, 0u) << step;
        if (l2) {
          ASSERT_EQ(frame(target).type, DirectPaging::Type::l1) << step;
        } else if (e & kW) {
          ASSERT_EQ(frame(target).type, DirectPaging::Type::writable)
              << "step " << step << ": table " << t << " maps frame " << target << " writable";
        }
      }
    }
  }
}

}  // namespace
}  // namespace vmlab::modes::paravirt
