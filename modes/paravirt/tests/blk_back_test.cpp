// The block ring's back end (blk_back.h; docs/pv-abi.md, "The block ring"): the I/O a
// well-formed ring gets, the notification rules, and every validation rule as a hostile
// front end would break it, each asserting the exact status and that the image file,
// every frame's type and all of machine memory outside the ring page are unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "modes/paravirt/tests/blk_ring_fixture.h"

namespace vmlab::modes::paravirt {
namespace {

namespace b = abi::blk;
namespace g = abi::grant;
using testing::BlkRingFixture;
using testing::kImageSectors;
using testing::Segment;
constexpr uint32_t kPage = MachineMemory::kPageSize;

class BlkBackTest : public BlkRingFixture {
 protected:
  void SetUp() override {
    boot();
    for (uint32_t i = 0; i < 4; ++i) grant(i, scratch_pfn(i));
  }

  // Memory but the ring page (the response, the indexes) and the shared-info page (the
  // back end's notification sets the block port pending there).
  std::vector<uint8_t> without_ring(std::vector<uint8_t> m) {
    std::fill(m.begin() + ring_, m.begin() + ring_ + kPage, 0);
    const uint32_t shared = mon().layout().shared_info_ma & ~(kPage - 1);
    std::fill(m.begin() + shared, m.begin() + shared + kPage, 0);
    return m;
  }

  // `status` for a request the back end must refuse, and nothing but the ring page changed.
  void expect_refused(int16_t want, uint8_t op, uint64_t sector, const std::vector<Segment>& segs,
                      int nr_segments = -1, uint16_t handle = 0) {
    const auto disk = image_bytes();
    const auto before = ram();
    const auto types = frames();
    const auto stats = mon().blk()->stats();
    EXPECT_EQ(submit(op, sector, segs, nr_segments, handle), want);
    EXPECT_EQ(image_bytes(), disk) << "the image changed";
    EXPECT_TRUE(same_frames(types, frames())) << "a frame's type changed";
    EXPECT_TRUE(without_ring(ram()) == without_ring(before))
        << "machine memory outside the ring page changed";
    EXPECT_EQ(mon().blk()->stats().errors, stats.errors + 1);
    EXPECT_EQ(mon().blk()->stats().sectors_read, stats.sectors_read);
    EXPECT_EQ(mon().blk()->stats().sectors_written, stats.sectors_written);
  }
};

TEST_F(BlkBackTest, TheStartInfoPageNamesTheRingAndTheDisk) {
  EXPECT_NE(si(abi::start_info::kBlkRing), 0u);
  EXPECT_NE(si(abi::start_info::kGrantTable), 0u);
  EXPECT_EQ(si(abi::start_info::kGrantEntries), g::kEntries);
  EXPECT_EQ(si(abi::start_info::kBlkPortOff), abi::kBlkPort);
  EXPECT_EQ(si(abi::start_info::kBlkSectorsLo), kImageSectors);
  EXPECT_EQ(si(abi::start_info::kBlkSectorsHi), 0u);
  EXPECT_EQ(si(abi::start_info::kBlkInfo), 0u);
  // SHARED_RING_INIT.
  EXPECT_EQ(req_event(), 1u);
  EXPECT_EQ(mem().read32(ring_ + b::kRspEvent), 1u);
  // The ring and the grant table are typed writable for good, as the console ring is.
  EXPECT_TRUE(mon().paging().frame(ring_ / kPage).permanent);
  EXPECT_TRUE(mon().paging().frame(grants_ / kPage).permanent);
}

TEST_F(BlkBackTest, ReadsAndWritesGoThroughGrantedPages) {
  // A READ of sectors 3-10 into two granted pages: 4 sectors into each page's second half.
  EXPECT_EQ(submit(b::kOpRead, 3, {{0, 4, 7}, {1, 4, 7}}), b::kRspOkay);
  for (uint32_t s = 0; s < 8; ++s) {
    const uint32_t at = scratch_ma(s / 4) + (4 + s % 4) * 512;
    EXPECT_EQ(mem().read8(at), 3 + s) << s;
    EXPECT_EQ(mem().read8(at + 511), 3 + s) << s;
  }
  EXPECT_EQ(mem().read8(scratch_ma(0)), 0) << "outside the segment";
  // A WRITE of one page (8 sectors) at sector 100, then a FLUSH.
  std::vector<uint8_t> pattern(kPage);
  for (uint32_t i = 0; i < kPage; ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 1);
  mem().write_bytes(scratch_ma(2), pattern.data(), kPage);
  EXPECT_EQ(submit(b::kOpWrite, 100, {{2, 0, 7}}), b::kRspOkay);
  EXPECT_EQ(submit(b::kOpFlush, 0, {}), b::kRspOkay);
  const auto disk = image_bytes();
  ASSERT_EQ(disk.size(), kImageSectors * 512u);
  EXPECT_TRUE(std::equal(pattern.begin(), pattern.end(), disk.begin() + 100 * 512));
  EXPECT_EQ(disk[99 * 512], 99);
  EXPECT_EQ(disk[108 * 512], 108);
  const auto& s = mon().blk()->stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.sectors_read, 8u);
  EXPECT_EQ(s.sectors_written, 8u);
  EXPECT_EQ(s.flushes, 1u);
  EXPECT_EQ(s.segments, 3u);
}

TEST_F(BlkBackTest, ABatchIsOneNotificationAndTheBackEndAnswersWhenTheDomainYields) {
  // Three requests pushed at once: one send, nothing answered until the yield.
  for (uint32_t i = 0; i < 3; ++i) request(i, b::kOpRead, i, i, {{i, 0, 0}});
  set_req_prod(3);
  EXPECT_EQ(notify(), 0);
  EXPECT_TRUE(mon().blk()->working());
  EXPECT_EQ(rsp_prod(), 0u);
  EXPECT_EQ(req_event(), 1u) << "still working: a front end adding requests now sends nothing";
  EXPECT_EQ(yield(), 0);
  EXPECT_FALSE(mon().blk()->working());
  EXPECT_EQ(rsp_prod(), 3u);
  EXPECT_EQ(req_event(), 4u) << "RING_FINAL_CHECK_FOR_REQUESTS";
  // rsp_event was 1: the responses crossed it, so the front end is told (port 3 pending).
  EXPECT_EQ(mon().events().pending_ports() & (1u << abi::kBlkPort), 1u << abi::kBlkPort);
  EXPECT_EQ(mon().blk()->stats().notifications_in, 1u);
  EXPECT_EQ(mon().blk()->stats().notifications_out, 1u);
  EXPECT_EQ(mon().blk()->stats().runs, 1u);
  // A front end that has not asked (rsp_event behind) is not told again.
  mem().write32(mon().layout().shared_info_ma + abi::shared_info::kEvtchnPending, 0);
  request(3, b::kOpRead, 3, 3, {{0, 0, 0}});
  set_req_prod(4);
  EXPECT_EQ(notify(), 0);
  EXPECT_EQ(yield(), 0);
  EXPECT_EQ(rsp_prod(), 4u);
  EXPECT_EQ(mon().events().pending_ports() & (1u << abi::kBlkPort), 0u);
  EXPECT_EQ(mon().blk()->stats().notifications_out, 1u);
}

TEST_F(BlkBackTest, ABackEndNobodyNotifiedDoesNothing) {
  request(0, b::kOpRead, 0, 0, {{0, 0, 0}});
  set_req_prod(1);
  EXPECT_EQ(yield(), 0);
  EXPECT_EQ(rsp_prod(), 0u);
  EXPECT_EQ(mon().blk()->stats().runs, 0u);
}

TEST_F(BlkBackTest, MalformedRequestsGetAnErrorResponseAndChangeNothing) {
  expect_refused(b::kRspNotSupported, 2, 0, {{0, 0, 0}});  // WRITE_BARRIER: not offered
  expect_refused(b::kRspNotSupported, 0xFF, 0, {{0, 0, 0}});
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 0}}, -1, 1);  // handle 1
  expect_refused(b::kRspError, b::kOpRead, 0, {}, 0);               // no segment
  expect_refused(b::kRspError, b::kOpRead, 0, std::vector<Segment>(11, {0, 0, 0}), 12);
  expect_refused(b::kRspError, b::kOpFlush, 0, {{0, 0, 0}});  // a flush with a segment
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 5, 4}});   // first > last
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 8}});   // last past the page
  // A valid segment then a bad one: nothing of the first is done either.
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 7}, {1, 0, 9}});
}

TEST_F(BlkBackTest, SectorsPastTheEndAreRefused) {
  expect_refused(b::kRspError, b::kOpRead, kImageSectors, {{0, 0, 0}});
  expect_refused(b::kRspError, b::kOpRead, kImageSectors - 7, {{0, 0, 7}});
  expect_refused(b::kRspError, b::kOpWrite, kImageSectors - 1, {{0, 0, 1}});
  expect_refused(b::kRspError, b::kOpWrite, ~uint64_t{0}, {{0, 0, 0}});  // no wrap to 0
  expect_refused(b::kRspError, b::kOpRead, uint64_t{1} << 63, {{0, 0, 7}});
  // The last sector itself is fine.
  EXPECT_EQ(submit(b::kOpRead, kImageSectors - 1, {{0, 0, 0}}), b::kRspOkay);
}

TEST_F(BlkBackTest, GrantsOutOfRangeRevokedOrForAnotherDomainAreRefused) {
  expect_refused(b::kRspError, b::kOpRead, 0, {{g::kEntries, 0, 0}});
  expect_refused(b::kRspError, b::kOpRead, 0, {{0xFFFFFFFFu, 0, 0}});
  expect_refused(b::kRspError, b::kOpRead, 0, {{4, 0, 0}});  // never granted
  grant(0, scratch_pfn(0), 0);                               // revoked
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 0}});
  expect_refused(b::kRspError, b::kOpWrite, 0, {{0, 0, 0}});
  grant(0, scratch_pfn(0), g::kPermitAccess, 1);  // for domain 1
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 0}});
  // Read-only: the back end may read the page (WRITE), never write it (READ).
  grant(0, scratch_pfn(0), g::kPermitAccess | g::kReadonly);
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 0}});
  EXPECT_EQ(submit(b::kOpWrite, 0, {{0, 0, 0}}), b::kRspOkay);
}

TEST_F(BlkBackTest, GrantedFramesThatAreNotPlainGuestPagesAreRefused) {
  const uint32_t nr_pages = si(abi::start_info::kNrPages);
  grant(8, nr_pages);  // past the guest's memory: the P2M backs nothing there
  expect_refused(b::kRspError, b::kOpRead, 0, {{8, 0, 0}});
  grant(8, 0xFFFFFFFFu);
  expect_refused(b::kRspError, b::kOpRead, 0, {{8, 0, 0}});
  // The bootstrap page directory and its first page table.
  const uint32_t pd = pfn_of_va(si(abi::start_info::kPtBase));
  for (const uint32_t pfn : {pd, pd + 1}) {
    grant(8, pfn);
    expect_refused(b::kRspError, b::kOpRead, 0, {{8, 0, 0}});
    expect_refused(b::kRspError, b::kOpWrite, 0, {{8, 0, 0}});
  }
  // The monitor's shared pages.
  for (const uint32_t off : {abi::start_info::kSharedInfo, abi::start_info::kConsoleRing,
                             abi::start_info::kBlkRing, abi::start_info::kGrantTable}) {
    grant(8, pfn_of_va(si(off)));
    expect_refused(b::kRspError, b::kOpRead, 0, {{8, 0, 0}});
    expect_refused(b::kRspError, b::kOpWrite, 0, {{8, 0, 0}});
  }
}

TEST_F(BlkBackTest, ProducerIndexesOutOfRangeAreRefusedWhole) {
  EXPECT_EQ(submit(b::kOpRead, 0, {{0, 0, 0}}), b::kRspOkay);  // consumer at 1
  for (const uint32_t bad : {1u + 33, 0u, 0xFFFFFFFFu, 1u + 0x80000000u}) {
    request(1, b::kOpWrite, 1, 0, {{0, 0, 7}});
    set_req_prod(bad);
    const auto disk = image_bytes();
    const auto before = ram();
    const auto refused = mon().blk()->stats().bad_indexes;
    EXPECT_EQ(notify(), 0);
    EXPECT_EQ(yield(), 0);
    EXPECT_EQ(mon().blk()->stats().bad_indexes, refused + 1) << bad;
    EXPECT_EQ(mon().blk()->req_cons(), 1u);
    EXPECT_EQ(rsp_prod(), 1u);
    EXPECT_TRUE(ram() == before) << "machine memory changed for req_prod " << bad;
    EXPECT_EQ(image_bytes(), disk);
  }
  set_req_prod(1);
  EXPECT_EQ(submit(b::kOpRead, 0, {{0, 0, 0}}), b::kRspOkay);
}

TEST_F(BlkBackTest, AFullRingIsAnsweredWhole) {
  for (uint32_t i = 0; i < b::kRingSize; ++i) request(i, b::kOpRead, i, i, {{i % 4, 0, 0}});
  set_req_prod(b::kRingSize);
  EXPECT_EQ(notify(), 0);
  EXPECT_EQ(yield(), 0);
  EXPECT_EQ(rsp_prod(), b::kRingSize);
  EXPECT_EQ(mon().blk()->stats().requests, b::kRingSize);
  EXPECT_EQ(mon().blk()->stats().errors, 0u);
}

class BlkBackReadonlyTest : public BlkRingFixture {};

TEST_F(BlkBackReadonlyTest, WritesToAReadonlyDiskAreRefused) {
  boot(true);
  EXPECT_EQ(si(abi::start_info::kBlkInfo), 1u);
  grant(0, scratch_pfn(0));
  const auto disk = image_bytes();
  EXPECT_EQ(submit(b::kOpWrite, 0, {{0, 0, 7}}), b::kRspError);
  EXPECT_EQ(submit(b::kOpRead, 0, {{0, 0, 7}}), b::kRspOkay);
  EXPECT_EQ(image_bytes(), disk);
}

TEST(BlkBackNoDiskTest, WithoutADiskThereIsNoRingAndPort3IsRefused) {
  vmm::VmConfig config;
  config.mode = std::make_unique<PvMode>();
  config.machine.memory_mib = 32;
  auto vm = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok());
  ASSERT_TRUE(vm.value()->load_kernel(VMLAB_GUEST_KERNEL).ok());
  auto& mon = const_cast<PvMonitor&>(*static_cast<PvMode&>(vm.value()->mode_impl()).monitor());
  EXPECT_EQ(mon.blk(), nullptr);
  auto& s = vm.value()->machine().cpu().state();
  uint32_t ring = 1;
  ASSERT_TRUE(mon.memory().copy_from_guest(mon.cr3(), s.gpr[cpu::ESI] + abi::start_info::kBlkRing,
                                           &ring, 4));
  EXPECT_EQ(ring, 0u);
  s.gpr[cpu::EAX] = abi::kEventChannelOp;
  s.gpr[cpu::EBX] = abi::kEvtchnSend;
  s.gpr[cpu::ECX] = abi::kBlkPort;
  mon.on_interrupt(abi::kHypercallVector, cpu::EventSource::kSoftware, false, 0);
  EXPECT_EQ(static_cast<int32_t>(s.gpr[cpu::EAX]), -abi::kEINVAL);
}

}  // namespace
}  // namespace vmlab::modes::paravirt
