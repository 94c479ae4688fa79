// Adaptive BT's page-table store performed in the translation cache (translate_pte_write.cpp,
// in_tc_pte_write.cpp): after four trace faults a guilty `mov [r], r32` stores the guest's
// PTE and updates the shadow with no callout, the shadow follows every change exactly, and
// every store the TC may not perform (misaligned, straddling, of another size, to an
// untraced page, into the hole) takes the SIMULATE callout with the monitor's state intact.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "modes/binary-translation/tests/bt_guest_fixture.h"

namespace vmlab::modes::bt {
namespace {

using vmm::EventKind;

constexpr uint32_t kPd = 0x10000;
constexpr uint32_t kPt = 0x11000;  // maps the first 4 MiB, identity, user and writable
constexpr uint32_t kAddrs = 0x40000;
constexpr uint32_t kValues = 0x48000;
constexpr uint32_t kPte200 = kPt + 4 * 0x200;  // the PTE of linear 0x200000

// The tiny-guest fixture under the pentium4 profile (bt.in_tc_pte_write = 390), paging on.
class InTcPteWriteTest : public BtGuestTest {
 protected:
  void SetUp() override {
    create("pentium4");
    if (HasFatalFailure()) return;
    poke32(kPd, kPt | 7);
    for (uint32_t i = 0; i < 1024; ++i) poke32(kPt + 4 * i, (i << 12) | 7);
  }

  // mov eax,kPd; mov cr3,eax; mov eax,cr0; or eax,0x80000000; mov cr0,eax
  static std::vector<uint8_t> paging_on() {
    return {0xB8, 0x00, 0x00, 0x01, 0x00, 0x0F, 0x22, 0xD8, 0x0F, 0x20,
            0xC0, 0x0D, 0x00, 0x00, 0x00, 0x80, 0x0F, 0x22, 0xC0};
  }

  // Runs `store` (one instruction storing EAX, AX or AL to [EBX]) once per (address, value)
  // pair, in order, from one loop: every iteration is the same guest instruction. After
  // each store, `after` (may be empty) runs.
  machine::RunResult store_loop(const std::vector<uint8_t>& store,
                                const std::vector<std::pair<uint32_t, uint32_t>>& writes,
                                const std::vector<uint8_t>& after = {}) {
    const auto n = static_cast<uint32_t>(writes.size());
    for (uint32_t i = 0; i < n; ++i) {  // the loop counts ECX down from n
      poke32(kAddrs + 4 * (n - 1 - i), writes[i].first);
      poke32(kValues + 4 * (n - 1 - i), writes[i].second);
    }
    std::vector<uint8_t> code = paging_on();
    code.insert(code.end(), {0xB9, static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8), 0, 0});
    std::vector<uint8_t> body = {0x8B, 0x1C, 0x8D, 0, 0, 0, 0,   // mov ebx,[kAddrs-4+ecx*4]
                                 0x8B, 0x04, 0x8D, 0, 0, 0, 0};  // mov eax,[kValues-4+ecx*4]
    for (int b = 0; b < 4; ++b) {
      body[3 + b] = static_cast<uint8_t>((kAddrs - 4) >> (8 * b));
      body[10 + b] = static_cast<uint8_t>((kValues - 4) >> (8 * b));
    }
    body.insert(body.end(), store.begin(), store.end());
    body.insert(body.end(), after.begin(), after.end());
    body.push_back(0x49);  // dec ecx
    const auto back = static_cast<int8_t>(-static_cast<int>(body.size() + 2));
    body.insert(body.end(), {0x75, static_cast<uint8_t>(back)});  // jnz
    code.insert(code.end(), body.begin(), body.end());
    return run(0x1000, code);
  }

  uint64_t pte_writes_in_tc() const {
    return monitor_->in_tc_counts()[static_cast<size_t>(InTcKind::kPteWrite)];
  }
  uint32_t monitor_frame(uint32_t gs_offset) {
    return monitor_->cache().data_physical(gs_offset) >> 12;
  }

  static std::vector<std::pair<uint32_t, uint32_t>> guilty_first(uint32_t more_addr,
                                                                 uint32_t more_value) {
    // Four stores of the identity PTE of 0x200000 make the instruction guilty; a fifth is
    // performed in the TC; then the store under test.
    std::vector<std::pair<uint32_t, uint32_t>> w(5, {kPte200, 0x200007});
    w.emplace_back(more_addr, more_value);
    return w;
  }
};

const std::vector<uint8_t> kMovDword = {0x89, 0x03};       // mov [ebx], eax
const std::vector<uint8_t> kMovWord = {0x66, 0x89, 0x03};  // mov [ebx], ax
const std::vector<uint8_t> kMovByte = {0x88, 0x03};        // mov [ebx], al

TEST_F(InTcPteWriteTest, AGuiltyPteStoreRunsInTheTcAndTheShadowFollowsEveryChange) {
  // Physical 0x200000 holds 0xAAAA, 0x300000 holds 0xBBBB. Each iteration remaps linear
  // 0x200000 and reads it: `add esi, [0x200000]`. Ten maps to 0x300000 and ten back.
  poke32(0x200000, 0xAAAA);
  poke32(0x300000, 0xBBBB);
  std::vector<std::pair<uint32_t, uint32_t>> w;
  for (int i = 0; i < 10; ++i) {
    w.emplace_back(kPte200, 0x300007);
    w.emplace_back(kPte200, 0x200007);
  }
  const auto r = store_loop(kMovDword, w, {0x03, 0x35, 0x00, 0x00, 0x20, 0x00});
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::ESI], 10u * 0xBBBB + 10u * 0xAAAA);  // every read saw its map
  // Four trace faults, then sixteen stores in the TC, none a callout.
  EXPECT_EQ(monitor_->adaptive().trace_faults(), Adaptive::kGuiltyAfter);
  EXPECT_EQ(monitor_->adaptive().simulate_callouts(), 0u);
  EXPECT_EQ(monitor_->adaptive().in_tc_writes(), 16u);
  EXPECT_EQ(pte_writes_in_tc(), 16u);
  EXPECT_EQ(count(EventKind::guest_pt_write), 20u);
  EXPECT_EQ(count(EventKind::bt_in_tc), 16u);
  EXPECT_EQ(cycles_of(EventKind::bt_in_tc), 16u * 390u);
  EXPECT_EQ(peek32(kPte200) & ~0x60u, 0x200007u);  // (A and D set by the walks)
  // ECX, the sequence's scratch register, was the loop counter throughout.
  EXPECT_EQ(state().gpr[cpu::ECX], 0u);
}

TEST_F(InTcPteWriteTest, TheSequenceKeepsTheGuestsFlags) {
  // stc before the loop; dec keeps CF, the stores must too; setc bl after it.
  const uint32_t n = 8;
  std::vector<uint8_t> code = paging_on();
  code.insert(code.end(), {0xB9, static_cast<uint8_t>(n),
                           0,    0,
                           0,    0xF9,  // mov ecx,n; stc
                           0xBB, 0x00,
                           0x18, 0x01,
                           0x00,  // mov ebx, 0x11800
                           0xB8, 0x07,
                           0x00, 0x20,
                           0x00,  // mov eax, 0x200007
                           0x89, 0x03,
                           0x49, 0x75,
                           0xFB,  // L: mov [ebx],eax; dec; jnz L
                           0x0F, 0x92,
                           0xC7});  // setc bh
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ((state().gpr[cpu::EBX] >> 8) & 0xFF, 1u);
  EXPECT_EQ(pte_writes_in_tc(), 4u);
}

TEST_F(InTcPteWriteTest, APteNamingAFrameAboveRamMapsNothingTheGuestDoesNotOwn) {
  // The guilty store points 0x200000 at guest frame 0x3FF00 (1 GiB up; the guest has
  // 4 MiB), then reads it: the bus's all ones, as natively, through the unbacked frame.
  const auto r = store_loop(kMovDword, guilty_first(kPte200, 0x3FF00007),
                            {0x8B, 0x15, 0x00, 0x00, 0x20, 0x00});
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(pte_writes_in_tc(), 2u);
  EXPECT_EQ(state().gpr[cpu::EDX], 0xFFFFFFFFu);
  const uint32_t spte = monitor_->shadow().shadow_pte(0x200000);
  EXPECT_EQ(spte >> 12, monitor_->p2m().backing_frame(0x3FF00));
}

TEST_F(InTcPteWriteTest, APteNamingAMonitorFrameMapsTheGuestsFrameOfThatNumberOrNothing) {
  // The machine frame of the translator's %gs data, named as a guest frame: the guest gets
  // the guest frame of that number (or the unbacked frame past RAM), never the monitor's.
  const uint32_t mfn = monitor_frame(0);
  const auto r = store_loop(kMovDword, guilty_first(kPte200, (mfn << 12) | 7),
                            {0x8B, 0x15, 0x00, 0x00, 0x20, 0x00});
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(pte_writes_in_tc(), 2u);
  const uint32_t spte = monitor_->shadow().shadow_pte(0x200000);
  EXPECT_EQ(spte >> 12, monitor_->p2m().backing_frame(mfn));
  EXPECT_NE(spte >> 12, mfn);
  const bool in_ram = uint64_t{mfn} * 4096 < 4u * 1024 * 1024;
  EXPECT_EQ(state().gpr[cpu::EDX], in_ram ? peek32(mfn << 12) : 0xFFFFFFFFu);
}

TEST_F(InTcPteWriteTest, APdeOverTheHoleChangesNoShadowEntryOfTheMonitor) {
  // The guilty store then writes the guest's PDE 1008 (0xFC000000, where the monitor's
  // hole lies in the real address space): a traced page directory, so the TC performs it
  // in the guest's table, but the shadow's hole entry stays the monitor's page table.
  const auto r = store_loop(kMovDword, guilty_first(kPd + 4 * vmm::hole::kFirstPde, 0x00300007));
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(pte_writes_in_tc(), 2u);
  EXPECT_EQ(peek32(kPd + 4 * vmm::hole::kFirstPde), 0x00300007u);  // the guest's own table
  auto& cpu = vm_->machine().cpu();
  const uint32_t pd = monitor_->shadow().root_machine_frame() * 4096;
  EXPECT_EQ(cpu.phys_read32(pd + 4 * vmm::hole::kFirstPde) & ~0x60u,  // (A, D: the processor's)
            (monitor_->segments().hole_pt_mfn() * 4096) | 3u);
  EXPECT_EQ(cpu.phys_read32(pd + 4 * (vmm::hole::kFirstPde + 1)), 0u);
  EXPECT_EQ(monitor_->shadow().shadow_pte(layout::kDataBase), 0u);  // (no guest PT there)
}

TEST_F(InTcPteWriteTest, AStoreIntoTheHoleIsNeverPerformedInTheTc) {
  // The guilty store's last address is the %gs data's own (linear 0xFC040034, the guest
  // TR slot): the guest's cut DS refuses it, so the TC does not perform it; the callout's
  // emulator decides, and the monitor's word is not the guest's value.
  const uint32_t tr_slot = layout::kDataBase + gsdata::kTr;
  const auto r = store_loop(kMovDword, guilty_first(tr_slot, 0xDEADBEEF));
  (void)r;  // (the guest has no tables for it: whatever the emulator raises)
  EXPECT_EQ(pte_writes_in_tc(), 1u);
  EXPECT_NE(monitor_->cache().data32(gsdata::kTr), 0xDEADBEEFu);
}

TEST_F(InTcPteWriteTest, MisalignedAndStraddlingStoresTakeTheCalloutAndStayExact) {
  // 0x11802: the high half of 0x200000's PTE and the low half of 0x201000's, which then
  // maps frame 0x200 (supervisor). Then 0x11FFE: across the end of the page table. Both
  // call out, both exact; each iteration reads 0x201000, whose shadow entry must follow.
  poke32(0x200000, 0xAAAA);
  poke32(0x201000, 0xCCCC);
  poke32(0x12000, 0x5555AAAA);
  auto w = guilty_first(kPte200 + 2, 0x01230020);
  w.emplace_back(kPt + 0xFFE, 0x77776666);
  const auto r = store_loop(kMovDword, w, {0x8B, 0x15, 0x00, 0x10, 0x20, 0x00});
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(pte_writes_in_tc(), 1u);
  EXPECT_EQ(monitor_->adaptive().simulate_callouts(), 2u);
  EXPECT_EQ(peek32(kPte200) >> 16, 0x0020u);
  EXPECT_EQ(peek32(kPte200 + 4) & 0xFFFF, 0x0123u);
  EXPECT_EQ(peek32(kPt + 0xFFC) >> 16, 0x6666u);
  EXPECT_EQ(peek32(0x12000), 0x55557777u);
  EXPECT_EQ(state().gpr[cpu::EDX], 0xAAAAu);  // 0x201000 now maps frame 0x200
  EXPECT_EQ(monitor_->shadow().shadow_pte(0x201000) >> 12, monitor_->p2m().backing_frame(0x200));
}

TEST_F(InTcPteWriteTest, AWordStoreStaysASimulateCallout) {
  const auto r = store_loop(kMovWord, std::vector<std::pair<uint32_t, uint32_t>>(8, {kPte200, 7}));
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(pte_writes_in_tc(), 0u);
  EXPECT_EQ(monitor_->adaptive().trace_faults(), Adaptive::kGuiltyAfter);
  EXPECT_EQ(monitor_->adaptive().simulate_callouts(), 4u);
  EXPECT_EQ(count(EventKind::guest_pt_write), 8u);
}

TEST_F(InTcPteWriteTest, AByteStoreStaysASimulateCallout) {
  const auto r = store_loop(kMovByte, std::vector<std::pair<uint32_t, uint32_t>>(8, {kPte200, 7}));
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(pte_writes_in_tc(), 0u);
  EXPECT_EQ(monitor_->adaptive().trace_faults(), Adaptive::kGuiltyAfter);
  EXPECT_EQ(monitor_->adaptive().simulate_callouts(), 4u);
  EXPECT_EQ(count(EventKind::guest_pt_write), 8u);
}

TEST_F(InTcPteWriteTest, AGuiltyStoreToAnOrdinaryPageCallsOutAndBecomesInnocent) {
  // After guilt, 64 stores to an untraced page: each is declined by the TC, simulated by
  // the callout, and the 64th makes the instruction innocent (IDENT) again.
  auto w = guilty_first(0x20000, 1);
  for (uint32_t i = 1; i < Adaptive::kInnocentAfter; ++i) w.emplace_back(0x20000, 1 + i);
  w.emplace_back(0x20000, 0x99);  // IDENT again: runs natively
  const auto r = store_loop(kMovDword, w);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(pte_writes_in_tc(), 1u);
  EXPECT_EQ(monitor_->adaptive().simulate_callouts(), uint64_t{Adaptive::kInnocentAfter});
  EXPECT_TRUE(monitor_->adaptive().guilty().empty());
  EXPECT_EQ(count(EventKind::bt_adapt), 2u);
  EXPECT_EQ(peek32(0x20000), 0x99u);
}

// The monitor's state a forged doorbell must leave as it was: every event's count and
// cycles, the in-TC counts, the %gs data the doorbell's requests read and write, the
// shadow entry and the guest's memory.
struct MonitorView {
  std::vector<uint64_t> events;
  std::array<uint64_t, static_cast<size_t>(InTcKind::kCount)> in_tc{};
  std::vector<uint32_t> data;
  uint32_t shadow_pte = 0;
  uint64_t ram_sum = 0;
  bool operator==(const MonitorView&) const = default;
};

TEST_F(InTcPteWriteTest, AForgedDoorbellRequestIsRefusedQuietly) {
  // A guilty store performed in the TC first, so that every slot holds a real request's
  // leftovers; then requests the translator never emits ring the doorbell from outside any
  // in-TC sequence (a well-formed PTE request with a store the TC would perform, a segment
  // register that does not exist, every bit, a well-formed POST-port read, a read of the
  // keyboard port that would consume its data). Each is refused with nothing performed and
  // the machine still running: before, each stopped it with "unsupported".
  auto r = store_loop(kMovDword, guilty_first(kPte200, 0x200007));
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  ASSERT_EQ(pte_writes_in_tc(), 2u);
  auto view = [&] {
    MonitorView m;
    for (const EventKind k : vmm::all_event_kinds()) {
      m.events.push_back(count(k));
      m.events.push_back(cycles_of(k));
    }
    m.in_tc = monitor_->in_tc_counts();
    for (const uint32_t at : {gsdata::kPteOffset, gsdata::kPteValue, gsdata::kPteFallback,
                              gsdata::kPortValue, gsdata::kDoorbell}) {
      m.data.push_back(monitor_->cache().data32(at));
    }
    m.shadow_pte = monitor_->shadow().shadow_pte(0x200000);
    for (uint32_t a = 0; a < 4u * 1024 * 1024; a += 4) m.ram_sum = m.ram_sum * 31 + peek32(a);
    return m;
  };
  // The slots hold a store the TC would perform if the translator had rung.
  monitor_->cache().set_data32(gsdata::kPteOffset, kPte200);
  monitor_->cache().set_data32(gsdata::kPteValue, 0x300007);
  const MonitorView before = view();
  const uint32_t doorbell = monitor_->cache().data_physical(gsdata::kDoorbell);
  for (const uint32_t forged :
       {gsdata::kPteRequest | cpu::DS, gsdata::kPteRequest | 7u, gsdata::kPteRequest | 0x3FFFFFFFu,
        gsdata::kPortRequest | 8u << 16 | 0x80u, gsdata::kPortRequest | 8u << 16 | 0x60u,
        0xFFFFFFFFu}) {
    vm_->machine().cpu().phys_write32(doorbell, forged);
    EXPECT_EQ(view(), before) << std::hex << forged;
  }
  // Each ring reached the monitor (it cleared the doorbell: the view's last slot is 0, not
  // the request), and none performed its store.
  EXPECT_EQ(peek32(kPte200) & ~0x60u, 0x200007u);
  // The machine runs on: a new guest program at a fresh address ends normally.
  r = run(0x3000, {0x90});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
}

}  // namespace
}  // namespace vmlab::modes::bt
