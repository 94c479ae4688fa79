// Random rings against the block back end (blk_back.h): random requests (operations,
// segment counts, sector ranges, grant references), random grant entries (the guest's own
// pages, its page tables, the monitor's shared pages, frames past its memory) and random
// producer indexes. After every round: the host is unharmed (no crash, the image keeps its
// size), no frame's type changed, machine memory changed only in the ring page, the
// shared-info page (the notification) and the plain guest pages the grants may name, and
// every request the back end consumed has exactly one response.
#include <gtest/gtest.h>

#include <random>

#include "modes/paravirt/tests/blk_ring_fixture.h"

namespace vmlab::modes::paravirt {
namespace {

namespace b = abi::blk;
namespace g = abi::grant;
using testing::BlkRingFixture;
using testing::kImageSectors;
constexpr uint32_t kPage = MachineMemory::kPageSize;
constexpr uint32_t kScratch = 16;  // plain guest pages the grants may name

class BlkBackFuzzTest : public BlkRingFixture {
 protected:
  void fuzz(uint32_t vbd);
};

void BlkBackFuzzTest::fuzz(uint32_t vbd) {
  boot(false, 8, vbd);  // small: every round compares all of machine memory
  std::mt19937 rng(2026);
  const auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint32_t pd = pfn_of_va(si(abi::start_info::kPtBase));
  std::vector<uint32_t> hostile_pfns = {pd,
                                        pd + 1,
                                        pfn_of_va(si(abi::start_info::kSharedInfo)),
                                        pfn_of_va(si(abi::start_info::kConsoleRing)),
                                        pfn_of_va(si(abi::start_info::kBlkRing)),
                                        pfn_of_va(si(abi::start_info::kGrantTable)),
                                        si(abi::start_info::kNrPages),
                                        0xFFFFFFFFu};
  if (vbd == 1) hostile_pfns.push_back(pfn_of_va(si(abi::start_info::kBlk1Ring)));
  const std::vector<uint8_t> other_disk =
      vbd == 1 ? bytes_of(other_image_) : std::vector<uint8_t>{};
  const size_t image_size = image_bytes().size();
  uint64_t answered = 0, ok = 0;
  for (int round = 0; round < 400; ++round) {
    // Grants: mostly the scratch pages, some hostile frames and flags.
    for (uint32_t gref = 0; gref < 24; ++gref) {
      const uint32_t pfn =
          pick(4) != 0 ? scratch_pfn(pick(kScratch)) : hostile_pfns[pick(hostile_pfns.size())];
      const uint16_t flags = pick(5) != 0 ? g::kPermitAccess : static_cast<uint16_t>(rng());
      grant(gref, pfn, flags, pick(10) != 0 ? 0 : static_cast<uint16_t>(rng()));
    }
    // Requests.
    const uint32_t cons = back().req_cons();
    const uint32_t n = pick(b::kRingSize + 1);
    for (uint32_t i = 0; i < n; ++i) {
      const uint8_t ops[] = {b::kOpRead, b::kOpWrite, b::kOpFlush, 2, static_cast<uint8_t>(rng())};
      const uint8_t op = ops[pick(pick(3) != 0 ? 3 : 5)];
      std::vector<testing::Segment> segs(pick(b::kMaxSegments + 2));
      for (auto& s : segs) {
        s.gref = pick(8) != 0 ? pick(24) : rng();
        s.first = static_cast<uint8_t>(pick(9));
        s.last = static_cast<uint8_t>(s.first + pick(pick(4) != 0 ? 8 - s.first + 1 : 3));
      }
      const uint64_t sector =
          pick(4) != 0 ? pick(kImageSectors + 8) : (uint64_t{rng()} << 32 | rng());
      const int nseg = pick(10) != 0 ? -1 : static_cast<int>(pick(256));
      request(cons + i, op, rng(), sector, segs, nseg, pick(20) != 0 ? vbd : vbd ^ 1u);
    }
    if (pick(6) != 0) {
      // Random bytes over a few slots.
      for (uint32_t k = pick(3); k > 0; --k) {
        const uint32_t at = slot(pick(b::kRingSize)) + pick(b::kSlotSize);
        mem().write8(at, static_cast<uint8_t>(rng()));
      }
    }
    const uint32_t prod = pick(8) != 0 ? cons + n : rng();
    set_req_prod(prod);
    const auto before = ram();
    const auto types = frames();
    const auto stats = back().stats();
    EXPECT_EQ(notify(), 0);
    EXPECT_EQ(yield(), 0);
    const auto after = ram();
    ASSERT_TRUE(same_frames(types, frames())) << "round " << round;
    ASSERT_EQ(image_bytes().size(), image_size) << "round " << round;
    // Memory may change in the ring page, the scratch pages and the shared-info page (the
    // back end's notification) only.
    std::vector<bool> may_change(after.size() / kPage, false);
    may_change[ring_ / kPage] = true;
    may_change[mon().layout().shared_info_ma / kPage] = true;
    for (uint32_t i = 0; i < kScratch; ++i) may_change[scratch_ma(i) / kPage] = true;
    for (size_t f = 0; f < may_change.size(); ++f) {
      if (may_change[f]) continue;
      ASSERT_TRUE(std::equal(before.begin() + f * kPage, before.begin() + (f + 1) * kPage,
                             after.begin() + f * kPage))
          << "round " << round << ": frame " << f << " changed";
    }
    // One response per consumed request; a refused producer index consumes nothing.
    const auto& s = back().stats();
    ASSERT_EQ(back().rsp_prod(), back().req_cons());
    ASSERT_EQ(rsp_prod(), back().rsp_prod());
    if (prod - cons > b::kRingSize) {
      ASSERT_EQ(s.bad_indexes, stats.bad_indexes + 1);
      ASSERT_EQ(back().req_cons(), cons);
      set_req_prod(cons);
    } else {
      ASSERT_EQ(back().req_cons(), prod);
      answered += prod - cons;
      ok += (s.requests - s.errors) - (stats.requests - stats.errors);
    }
  }
  // The rounds did exercise both sides.
  EXPECT_GT(answered, 3000u);
  EXPECT_GT(ok, 150u);
  EXPECT_GT(back().stats().errors, 300u);
  EXPECT_GT(back().stats().bad_indexes, 15u);
  if (vbd == 1) {
    // The first disk's ring, back end and image saw none of it.
    EXPECT_EQ(mon().blk(0)->stats(), BlkBack::Stats{});
    EXPECT_EQ(bytes_of(other_image_), other_disk);
  }
}

TEST_F(BlkBackFuzzTest, RandomRingsNeverHarmTheHostOrMemoryTheGuestDidNotGrant) {
  fuzz(0);
}

// The same on the second disk's ring (vbd 1, port 4), with its own ring page among the
// hostile grants and requests that name the other disk's handle.
TEST_F(BlkBackFuzzTest, RandomRingsOnTheSecondDiskNeverHarmTheHostOrTheFirstDisk) {
  fuzz(1);
}

}  // namespace
}  // namespace vmlab::modes::paravirt
