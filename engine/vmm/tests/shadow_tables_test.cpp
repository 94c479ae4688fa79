// The shadow MMU and the shadow GDT on a bare processor (issue 12): every guest frame
// outside the guest's RAM is shadowed by the one unbacked machine frame, never by one of
// the monitor's; the guest GDT's frames are traced, and a store to them reaches the shadow
// GDT; the monitor's own descriptor slots stay the monitor's.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "engine/cpu/descriptor.h"
#include "engine/cpu/tests/cpu_test_support.h"
#include "engine/vmm/kit/deprivileged_segments.h"
#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {
namespace {

// 1 MiB of monitor reserve (frames 0x000-0x0FF) below 4 MiB of guest RAM.
constexpr uint32_t kReserved = 256;
constexpr uint32_t kGuest = 1024;
constexpr uint32_t kPresentWritable = pte::P | pte::RW;

uint64_t seg(uint32_t base, uint32_t raw_limit, uint8_t access, uint8_t flags) {
  return uint64_t{raw_limit & 0xFFFF} | uint64_t{base & 0xFFFFFF} << 16 | uint64_t{access} << 40 |
         uint64_t{(raw_limit >> 16) & 0xF} << 48 | uint64_t{flags & 0xFu} << 52 |
         uint64_t{base >> 24} << 56;
}

class ShadowTablesTest : public ::testing::Test {
 protected:
  ShadowTablesTest()
      : ram_((kReserved + kGuest) * 4096, 0),
        cpu_(ram_, bus_),
        recorder_(ModeId::trap, cpu_),
        p2m_(kGuest, kReserved),
        frames_(cpu_, 1, kReserved),
        memory_(cpu_, p2m_, vcpu_),
        segments_(cpu_, frames_) {
    EXPECT_TRUE(segments_.init().ok());
    shadow_ = std::make_unique<ShadowMmu>(cpu_, recorder_, p2m_, frames_, memory_, vcpu_,
                                          segments_.hole_pt_mfn());
    segments_.attach(*shadow_, memory_, vcpu_);
    shadow_->activate();
  }

  void store64(uint32_t gpa, uint64_t v) {
    memory_.write_phys32(gpa, static_cast<uint32_t>(v));
    memory_.write_phys32(gpa + 4, static_cast<uint32_t>(v >> 32));
  }
  // A guest store to a traced page, as the emulator hands it over.
  void traced64(uint32_t gpa, uint64_t v) {
    ASSERT_TRUE(shadow_->tracked(gpa >> 12));
    shadow_->write_traced(gpa, static_cast<uint32_t>(v), 4);
    shadow_->write_traced(gpa + 4, static_cast<uint32_t>(v >> 32), 4);
  }
  // Paging on with the page directory at guest-physical `pd`.
  void paging_on(uint32_t pd) {
    vcpu_.cr3 = pd;
    vcpu_.cr0 |= cpu::cr0::PG;
    shadow_->activate();
  }
  bool lgdt(uint32_t base, uint16_t limit) {
    vcpu_.gdtr = {base, limit};
    std::string error;
    return segments_.rebuild(memory_, vcpu_, error);
  }
  std::vector<uint8_t> monitor_frames() const {
    return {ram_.begin(), ram_.begin() + kReserved * 4096};
  }

  std::vector<uint8_t> ram_;
  cpu::testing::RecordingBus bus_;
  cpu::Cpu cpu_;
  Recorder recorder_;
  P2m p2m_;
  MonitorFrames frames_;
  VirtualCpu vcpu_;
  GuestMemory memory_;
  DeprivilegedSegments segments_;
  std::unique_ptr<ShadowMmu> shadow_;
};

TEST_F(ShadowTablesTest, AGuestFrameAtTheTopOfPhysicalSpaceIsTheUnbackedFrame) {
  // Guest frame 0xFFF00 plus the 0x100-frame reserve is 2^20: in 32 bits, machine 0.
  memory_.write_phys32(0x1000 + 1 * 4, 0x2000 | kPresentWritable);  // PDE 1
  memory_.write_phys32(0x2000 + 0 * 4, 0xFFF00000 | kPresentWritable | pte::D);
  memory_.write_phys32(0x2000 + 1 * 4, 0x3FF000 | kPresentWritable | pte::D);  // RAM's last
  paging_on(0x1000);
  for (const uint32_t lin : {0x00400000u, 0x00401000u}) {
    const auto out = shadow_->page_fault(lin, cpu::pferr::W);
    ASSERT_EQ(out.kind, ShadowMmu::FaultKind::kHidden) << lin;
  }
  EXPECT_EQ(p2m_.unbacked_frame(), 0x500u);
  EXPECT_EQ(shadow_->shadow_pte(0x00400000) >> 12, 0x500u);
  EXPECT_EQ(shadow_->shadow_pte(0x00401000) >> 12, 0x4FFu);
  EXPECT_EQ(cpu_.phys_read32(0x500000), 0xFFFFFFFFu);  // the bus: nothing there
  // A guest page table above RAM reads as all ones; the A bits the walk sets are dropped.
  const std::vector<uint8_t> before = monitor_frames();
  memory_.write_phys32(0x1000 + 2 * 4, 0xFFC00000 | kPresentWritable);  // PDE 2: PT at 4G-4M
  const auto out = shadow_->page_fault(0x00800000, cpu::pferr::W);
  ASSERT_EQ(out.kind, ShadowMmu::FaultKind::kHidden);
  EXPECT_EQ(shadow_->shadow_pte(0x00800000) >> 12, 0x500u);
  // The monitor's frames changed only where the shadow itself lives: no guest-frame data.
  const std::vector<uint8_t> after = monitor_frames();
  uint32_t changed_pages = 0;
  for (uint32_t f = 0; f < kReserved; ++f) {
    changed_pages += !std::equal(before.begin() + f * 4096, before.begin() + (f + 1) * 4096,
                                 after.begin() + f * 4096);
  }
  EXPECT_EQ(changed_pages, 2u);  // the shadow PDE, the new shadow page table
}

TEST_F(ShadowTablesTest, AStoreToTheGuestsGdtReachesTheShadowGdt) {
  store64(0x3008, seg(0, 0xFFFFF, 0x9A, 0xC));
  ASSERT_TRUE(lgdt(0x3000, 0x3F));  // 8 entries, paging off: frame 3
  EXPECT_EQ(shadow_->traced_tables(), std::vector<uint32_t>{3});
  EXPECT_EQ(segments_.descriptor(0x18), 0u);
  const uint64_t percpu = seg(0x12345, 0xFFF, 0x92, 0x4);
  traced64(0x3018, percpu);
  EXPECT_EQ(segments_.descriptor(0x18), DeprivilegedSegments::compress(percpu));
  // Cut below the hole, as at LGDT.
  traced64(0x3020, seg(0x800, 0xFFFFF, 0x92, 0xC));
  EXPECT_EQ(cpu::Descriptor{segments_.descriptor(0x20)}.limit(), 0xFBFFEFFFu);
  // A store past the GDT's limit, on its page, changes no shadow descriptor.
  const uint64_t d7 = segments_.descriptor(0x38);
  traced64(0x3040, percpu);
  EXPECT_EQ(segments_.descriptor(0x38), d7);
  EXPECT_EQ(segments_.descriptor(0x40), 0u);
  // A new LGDT elsewhere: the old frame is free again.
  ASSERT_TRUE(lgdt(0x5000, 0x17));
  EXPECT_EQ(shadow_->traced_tables(), std::vector<uint32_t>{5});
  EXPECT_FALSE(shadow_->tracked(3));
  EXPECT_EQ(segments_.descriptor(0x18), 0u);
}

TEST_F(ShadowTablesTest, AGdtThatStraddlesPagesIsTracedOnBoth) {
  // 4 entries from 0x3FF0: two on frame 3, two on frame 4.
  ASSERT_TRUE(lgdt(0x3FF0, 0x1F));
  EXPECT_EQ(shadow_->traced_tables(), (std::vector<uint32_t>{3, 4}));
  const uint64_t d = seg(0x4000, 0xFF, 0x92, 0x4);
  traced64(0x4000, d);  // entry 2
  EXPECT_EQ(segments_.descriptor(0x10), DeprivilegedSegments::compress(d));
  shadow_->write_traced(0x3FFC, 0xFFFFFFFFu, 4);  // the high half of entry 1
  EXPECT_EQ(segments_.descriptor(0x08), DeprivilegedSegments::compress(uint64_t{0xFFFFFFFF} << 32));
}

TEST_F(ShadowTablesTest, TheGdtsFramesFollowAChangeOfAddressSpace) {
  // Two address spaces mapping linear 0x00400000 to guest frames 0x10 and 0x11.
  for (const auto& [pd, pt, frame] :
       {std::tuple{0x1000u, 0x2000u, 0x10u}, {0x6000u, 0x7000u, 0x11u}}) {
    memory_.write_phys32(pd, 0x8000 | kPresentWritable);  // identity for the tables
    memory_.write_phys32(pd + 4, pt | kPresentWritable);
    memory_.write_phys32(pt, (frame << 12) | kPresentWritable);
  }
  for (uint32_t i = 0; i < 16; ++i)
    memory_.write_phys32(0x8000 + i * 4, (i << 12) | kPresentWritable);
  const uint64_t a = seg(0xA000, 0xFF, 0x92, 0x4), b = seg(0xB000, 0xFF, 0x92, 0x4);
  store64(0x10008, a);
  store64(0x11008, b);
  paging_on(0x1000);
  ASSERT_TRUE(lgdt(0x00400000, 0xF));
  EXPECT_EQ(shadow_->traced_tables(), std::vector<uint32_t>{0x10});
  EXPECT_EQ(segments_.descriptor(0x08), DeprivilegedSegments::compress(a));
  vcpu_.cr3 = 0x6000;
  shadow_->activate();
  EXPECT_EQ(shadow_->traced_tables(), std::vector<uint32_t>{0x11});
  EXPECT_EQ(segments_.descriptor(0x08), DeprivilegedSegments::compress(b));
}

TEST_F(ShadowTablesTest, AFullSizeGuestGdtLeavesTheMonitorsSlotsAlone) {
  const uint64_t tc_code = seg(0, 0xFFFFF, 0xBA, 0xC);
  segments_.install_monitor_descriptor(0xFFE9, tc_code);
  for (uint32_t i = 1; i < 8192; ++i) store64(0x100000 + i * 8, seg(0, 0xFFFFF, 0x92, 0xC));
  ASSERT_TRUE(lgdt(0x100000, 0xFFFF));
  // (installed accessed: the processor never writes the shadow's read-only pages for it)
  EXPECT_EQ(segments_.descriptor(0xFFE8), tc_code | uint64_t{1} << 40);
  EXPECT_EQ(segments_.descriptor(0xFFE0),
            DeprivilegedSegments::compress(seg(0, 0xFFFFF, 0x92, 0xC)));
  EXPECT_EQ(shadow_->traced_tables().size(), 16u);
}

TEST_F(ShadowTablesTest, TheLdtIsCopiedTracedAndCutLikeTheGdt) {
  ASSERT_TRUE(lgdt(0x3000, 0x3F));
  const uint64_t entry0 = seg(0x9000, 0xFF, 0xF2, 0x4);
  store64(0x7000, entry0);
  const uint64_t ldt = seg(0x7000, 0x17, 0x82, 0);  // 3 entries
  std::string error;
  ASSERT_TRUE(segments_.load_ldt(0x28, ldt, memory_, error)) << error;
  const cpu::SegmentCache& r = cpu_.state().ldtr;
  EXPECT_EQ(r.selector, 0x28u);
  EXPECT_EQ(r.base, DeprivilegedSegments::kLdtBase);
  EXPECT_EQ(r.limit, 0x17u);
  EXPECT_EQ(segments_.descriptor(0x04), DeprivilegedSegments::compress(entry0));
  EXPECT_EQ(shadow_->traced_tables(), (std::vector<uint32_t>{3, 7}));
  traced64(0x7008, seg(0x800, 0xFFFFF, 0x92, 0xC));
  EXPECT_EQ(cpu::Descriptor{segments_.descriptor(0x0C)}.limit(), 0xFBFFEFFFu);
  EXPECT_EQ(segments_.descriptor(0x1C), 0u);  // past the LDT's limit
  // The monitor's own frames hold the copy: the real processor, paging through the
  // shadow (whose hole maps them), reads the LDT there.
  cpu_.state().cr0 |= cpu::cr0::PE | cpu::cr0::PG;
  cpu_.tlb_flush(true);
  EXPECT_EQ(cpu_.lin_read32(DeprivilegedSegments::kLdtBase, true),
            static_cast<uint32_t>(DeprivilegedSegments::compress(entry0)));
  segments_.clear_ldt(0);
  EXPECT_FALSE(cpu_.state().ldtr.usable);
  EXPECT_EQ(segments_.descriptor(0x04), 0u);
  EXPECT_EQ(shadow_->traced_tables(), std::vector<uint32_t>{3});
}

TEST_F(ShadowTablesTest, TheProcessorsAccessedBitReachesTheGuestsDescriptorThroughTheMonitor) {
  ASSERT_TRUE(lgdt(0x3000, 0x3F));
  const uint64_t data = seg(0, 0xFFFFF, 0x92, 0xC);  // the accessed bit clear
  traced64(0x3010, data);
  // The real processor in ring 1 on the shadow: its load's write of the bit faults on the
  // shadow GDT's read-only page, before the register changes.
  cpu::CpuState& s = cpu_.state();
  s.cr0 |= cpu::cr0::PE | cpu::cr0::PG | cpu::cr0::WP;
  s.gdtr = {DeprivilegedSegments::kGdtBase, 0xFFFF};
  s.cpl = 1;
  cpu_.tlb_flush(true);
  const uint16_t ds_before = s.seg[cpu::DS].selector;
  uint8_t vector = 0;
  uint32_t error_code = 0;
  try {
    cpu_.load_segment(cpu::DS, 0x10);
  } catch (const cpu::CpuFault& f) {
    vector = f.vector;
    error_code = f.error_code;
  }
  EXPECT_EQ(vector, cpu::vec::PF);
  EXPECT_EQ(error_code, cpu::pferr::P | cpu::pferr::W);
  EXPECT_EQ(s.cr2, DeprivilegedSegments::kGdtBase + 0x15);
  EXPECT_EQ(s.seg[cpu::DS].selector, ds_before);
  // Anything but that write is not the monitor's to take: nothing changes.
  using Kind = DeprivilegedSegments::AccessedMark::Kind;
  const uint32_t pw = cpu::pferr::P | cpu::pferr::W;
  EXPECT_EQ(segments_.accessed_write(s.cr2, pw | cpu::pferr::U).kind, Kind::kNotTable);
  EXPECT_EQ(segments_.accessed_write(s.cr2, cpu::pferr::P).kind, Kind::kNotTable);
  EXPECT_EQ(segments_.accessed_write(DeprivilegedSegments::kGdtBase + 0x45, pw).kind,
            Kind::kNotTable);  // past the guest's limit
  EXPECT_EQ(segments_.accessed_write(DeprivilegedSegments::kGdtBase + 5, pw).kind,
            Kind::kNotTable);  // the null descriptor
  EXPECT_EQ(memory_.read_phys8(0x3015), 0x92u);
  EXPECT_EQ(segments_.descriptor(0x10), DeprivilegedSegments::compress(data));
  // The processor's write: the guest's descriptor gets the bit, so does the shadow's copy,
  // and the load made again writes nothing.
  EXPECT_EQ(segments_.accessed_write(s.cr2, pw).kind, Kind::kMarked);
  EXPECT_EQ(memory_.read_phys8(0x3015), 0x93u);
  EXPECT_EQ(segments_.descriptor(0x10), DeprivilegedSegments::compress(data | uint64_t{1} << 40));
  cpu_.load_segment(cpu::DS, 0x10);
  EXPECT_EQ(s.seg[cpu::DS].selector, 0x10u);
  // A load the monitor makes itself: the same, and nothing for a descriptor already marked.
  traced64(0x3018, data);
  EXPECT_EQ(segments_.mark_accessed(0x18).kind, Kind::kMarked);
  EXPECT_EQ(memory_.read_phys8(0x301D), 0x93u);
  EXPECT_EQ(segments_.mark_accessed(0x18).kind, Kind::kMarked);
  EXPECT_EQ(segments_.mark_accessed(0).kind, Kind::kNotTable);
  EXPECT_EQ(segments_.mark_accessed(0x40).kind, Kind::kNotTable);  // past the limit
}

TEST_F(ShadowTablesTest, AShadowLdtTakesAllItsFramesOrNone) {
  std::vector<uint32_t> taken;
  while (frames_.free_count() > 15) taken.push_back(*frames_.alloc());
  const uint64_t ldt = seg(0x7000, 0x7, 0x82, 0);
  std::string error;
  EXPECT_FALSE(segments_.load_ldt(0x28, ldt, memory_, error));
  EXPECT_EQ(error, "the monitor's reserve holds no frames for the shadow LDT");
  EXPECT_EQ(frames_.free_count(), 15u);
  frames_.free(taken.back());
  EXPECT_TRUE(segments_.load_ldt(0x28, ldt, memory_, error));
  EXPECT_EQ(frames_.free_count(), 0u);
}

}  // namespace
}  // namespace vmlab::vmm
