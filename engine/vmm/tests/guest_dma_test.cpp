// GuestDma (engine/vmm/kit/guest_dma.h): what the IDE bus master reaches under a monitor.
// Only the guest's RAM, through the P2M: an address beyond it, or a range that wraps past
// 4 GiB, is refused whole and the monitor's frames below the guest's never change; a DMA
// write over a guest page table goes through the shadow MMU, which drops the shadow entries
// it makes stale, as it does for the guest's own stores.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include "engine/cpu/dirty_log.h"
#include "engine/cpu/tests/cpu_test_support.h"
#include "engine/vmm/kit/deprivileged_segments.h"
#include "engine/vmm/kit/guest_dma.h"
#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {
namespace {

// 1 MiB of monitor reserve (frames 0x000-0x0FF) below 4 MiB of guest RAM.
constexpr uint32_t kReserved = 256;
constexpr uint32_t kGuest = 1024;
constexpr uint32_t kGuestBytes = kGuest * 4096;
constexpr uint32_t kPresentWritable = pte::P | pte::RW;

class GuestDmaTest : public ::testing::Test {
 protected:
  GuestDmaTest()
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
    dma_ = std::make_unique<GuestDma>(cpu_, p2m_, shadow_.get());
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
  std::unique_ptr<GuestDma> dma_;
};

TEST_F(GuestDmaTest, MovesGuestRamThroughTheP2m) {
  std::vector<uint8_t> data(6000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 3 + 1);
  // Across a page boundary: each piece lands in its own machine frame.
  ASSERT_TRUE(dma_->write(0x10F00, data));
  EXPECT_EQ(ram_[(kReserved * 4096) + 0x10F00], data[0]);
  EXPECT_EQ(ram_[(kReserved * 4096) + 0x10F00 + 5999], data[5999]);
  std::vector<uint8_t> back(6000);
  ASSERT_TRUE(dma_->read(0x10F00, back));
  EXPECT_EQ(back, data);
  // The last byte of the guest's RAM is the guest's; one more is not.
  std::vector<uint8_t> one(1, 0x5A);
  EXPECT_TRUE(dma_->write(kGuestBytes - 1, one));
  EXPECT_EQ(dma_->traced_bytes(), 0u);
  // The processor was told: the dirty log has the pages (live migration reads it).
  EXPECT_TRUE(cpu_.dirty_log()[kReserved + 0x10] & cpu::kDirtyByPhysical);
}

TEST_F(GuestDmaTest, HostileAddressesNeverReachTheMonitorsFrames) {
  const std::vector<uint8_t> before = monitor_frames();
  std::vector<uint8_t> data(4096, 0xEE);
  std::vector<uint8_t> out(4096, 0);
  // Beyond the guest's RAM, straddling its end, wrapping past 4 GiB, at the top of the
  // physical space (guest frame 0xFFF00 plus the reserve is machine frame 2^20: in 32 bits,
  // the monitor's frame 0).
  for (const uint32_t gpa :
       {kGuestBytes, kGuestBytes - 2048, 0xFFFFF800u, 0xFFF00000u, 0xFFFFFFFFu, 0x80000000u}) {
    EXPECT_FALSE(dma_->write(gpa, data)) << std::hex << gpa;
    EXPECT_FALSE(dma_->read(gpa, out)) << std::hex << gpa;
  }
  // Random ranges, some inside, most not: refused ones move nothing.
  std::mt19937 rng(15);
  int refused = 0;
  for (int i = 0; i < 100'000; ++i) {
    const uint32_t gpa = rng() % 2 ? static_cast<uint32_t>(rng()) : kGuestBytes - (rng() % 8192);
    const size_t len = rng() % 70000;
    std::vector<uint8_t> bytes(len, static_cast<uint8_t>(rng()));
    // (An empty range moves nothing, wherever it is.)
    const bool inside = len == 0 || uint64_t{gpa} + len <= kGuestBytes;
    EXPECT_EQ(dma_->write(gpa, bytes), inside);
    refused += !inside;
  }
  EXPECT_GT(refused, 50'000);
  EXPECT_EQ(monitor_frames(), before);
}

TEST_F(GuestDmaTest, AWriteOverAGuestPageTableIsSeenByTheShadowMmu) {
  // Paging on: PD at 0x1000, its PDE 1 naming the page table at 0x2000, whose entry 0 maps
  // linear 0x00400000 to guest frame 0x300.
  memory_.write_phys32(0x1000 + 1 * 4, 0x2000 | kPresentWritable);
  memory_.write_phys32(0x2000 + 0 * 4, 0x300000 | kPresentWritable | pte::D);
  vcpu_.cr3 = 0x1000;
  vcpu_.cr0 |= cpu::cr0::PG;
  shadow_->activate();
  ASSERT_EQ(shadow_->page_fault(0x00400000, cpu::pferr::W).kind, ShadowMmu::FaultKind::kHidden);
  ASSERT_EQ(shadow_->shadow_pte(0x00400000) >> 12, kReserved + 0x300);
  ASSERT_TRUE(shadow_->tracked(2));
  const uint64_t pt_writes = recorder_.counters().count_of(EventKind::guest_pt_write);
  // A sector read by DMA over the page table's first 512 bytes, mapping guest frame 0x301
  // where 0x300 was.
  std::vector<uint8_t> sector(512, 0);
  const uint32_t pte = 0x301000 | kPresentWritable | pte::D;
  for (int b = 0; b < 4; ++b) sector[b] = static_cast<uint8_t>(pte >> (8 * b));
  ASSERT_TRUE(dma_->write(0x2000, sector));
  EXPECT_EQ(dma_->traced_bytes(), 512u);
  EXPECT_EQ(memory_.read_phys32(0x2000), pte);
  // The stale shadow entry is gone: the next access refills it from the new guest entry.
  EXPECT_EQ(shadow_->shadow_pte(0x00400000), 0u);
  EXPECT_GT(recorder_.counters().count_of(EventKind::guest_pt_write), pt_writes);
  ASSERT_EQ(shadow_->page_fault(0x00400000, cpu::pferr::W).kind, ShadowMmu::FaultKind::kHidden);
  EXPECT_EQ(shadow_->shadow_pte(0x00400000) >> 12, kReserved + 0x301);
}

}  // namespace
}  // namespace vmlab::vmm
