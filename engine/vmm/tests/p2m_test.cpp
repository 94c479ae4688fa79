// The P2M (p2m.h): what backs each guest-physical frame, with 64-bit machine addresses.
#include "engine/vmm/core/p2m.h"

#include <gtest/gtest.h>

namespace vmlab::vmm {
namespace {

// The binary translator's layout: a 24 MiB reserve below 64 MiB of guest RAM.
const P2m kBt = P2m::from_mib(64, 24);

TEST(P2mTest, GuestRamLiesAboveTheReserve) {
  EXPECT_EQ(kBt.backing(0), P2m::Backing::kRam);
  EXPECT_EQ(kBt.backing(0x3FFF), P2m::Backing::kRam);
  EXPECT_EQ(kBt.backing_frame(0), 0x1800u);
  EXPECT_EQ(kBt.backing_frame(0x3FFF), 0x57FFu);
  EXPECT_EQ(kBt.machine_address(0x3FFFFFC), uint64_t{0x57FFFFC});
  EXPECT_EQ(kBt.to_machine(0x1234), 0x1801234u);
}

TEST(P2mTest, EveryFrameOutsideRamIsTheOneUnbackedFramePastMachineRam) {
  EXPECT_EQ(kBt.machine_frames(), uint64_t{0x5800});
  EXPECT_EQ(kBt.unbacked_frame(), 0x5800u);
  for (const uint32_t gfn : {0x4000u, 0x80000u, 0xFE800u, 0xFEE00u, 0xFFFFFu}) {
    EXPECT_EQ(kBt.backing(gfn), P2m::Backing::kUnbacked) << gfn;
    EXPECT_EQ(kBt.backing_frame(gfn), 0x5800u) << gfn;
    EXPECT_FALSE(kBt.machine_address(gfn * P2m::kPageSize).has_value()) << gfn;
    EXPECT_FALSE(kBt.to_machine(gfn * P2m::kPageSize + 0xFFF).has_value()) << gfn;
  }
}

// The defect of issue 12: 0xFE800 + 0x1800 frames is 2^20, and 2^20 * 4096 wrapped to
// machine address 0 in 32 bits, the monitor's own frames. No guest frame may name one.
TEST(P2mTest, NoGuestFrameReachesTheMonitorsReserve) {
  for (const P2m& p : {kBt, P2m::from_mib(64, 16), P2m::from_mib(3072, 24)}) {
    for (uint64_t gfn = 0; gfn < P2m::kPhysFrames; ++gfn) {
      const uint32_t mfn = p.backing_frame(gfn);
      ASSERT_GE(mfn, p.reserved_frames()) << gfn;
      ASSERT_LE(mfn, p.unbacked_frame()) << gfn;
      ASSERT_EQ(mfn == p.unbacked_frame(), gfn >= p.guest_frames()) << gfn;
    }
  }
}

TEST(P2mTest, TheM2pInvertsTheP2mOnRamOnly) {
  EXPECT_EQ(kBt.guest_frame(0x1800), 0u);
  EXPECT_EQ(kBt.guest_frame(0x57FF), 0x3FFFu);
  EXPECT_FALSE(kBt.guest_frame(0x17FF).has_value());
  EXPECT_FALSE(kBt.guest_frame(0x5800).has_value());
}

}  // namespace
}  // namespace vmlab::vmm
