// The second virtual disk (vbd 1): a second `--disk` under pv is a ring, a port (4) and a
// back end of its own beside the first disk's (blk_back.h; docs/pv-abi.md, "The block
// ring"), as Xen gives each vbd its own blkfront/blkback pair. Its I/O reaches its own
// image only; its hostile indexes, handles and grants are refused as the first ring's are,
// and nothing of the first disk (its ring, back end, image) moves.
#include <gtest/gtest.h>

#include <algorithm>

#include "modes/paravirt/tests/blk_ring_fixture.h"

namespace vmlab::modes::paravirt {
namespace {

namespace b = abi::blk;
namespace si = abi::start_info;
using testing::BlkRingFixture;
using testing::kImageSectors;
using testing::Segment;
constexpr uint32_t kPage = MachineMemory::kPageSize;

class BlkBackSecondDiskTest : public BlkRingFixture {
 protected:
  void SetUp() override {
    boot(false, 32, 1);
    for (uint32_t i = 0; i < 4; ++i) grant(i, scratch_pfn(i));
    first_disk_ = bytes_of(other_image_);
    first_ring_ = ring_page(mon().layout().blk_ring_ma);
  }
  std::vector<uint8_t> ring_page(uint32_t ma) {
    std::vector<uint8_t> p(kPage);
    mem().read_bytes(ma, p.data(), kPage);
    return p;
  }
  // Nothing of the first disk moved: its image, its ring page, its back end.
  void expect_first_disk_untouched() {
    EXPECT_EQ(bytes_of(other_image_), first_disk_) << "the first disk's image changed";
    EXPECT_EQ(ring_page(mon().layout().blk_ring_ma), first_ring_) << "the first ring changed";
    EXPECT_EQ(mon().blk(0)->stats(), BlkBack::Stats{});
    EXPECT_FALSE(mon().blk(0)->working());
  }
  // A refused request on the second ring: `want`, its image and memory unchanged.
  void expect_refused(int16_t want, uint8_t op, uint64_t sector, const std::vector<Segment>& segs,
                      int nr_segments = -1, uint16_t handle = 1) {
    const auto disk = image_bytes();
    const auto types = frames();
    const auto stats = back().stats();
    EXPECT_EQ(submit(op, sector, segs, nr_segments, handle), want);
    EXPECT_EQ(image_bytes(), disk) << "the image changed";
    EXPECT_TRUE(same_frames(types, frames())) << "a frame's type changed";
    EXPECT_EQ(back().stats().errors, stats.errors + 1);
    EXPECT_EQ(back().stats().sectors_read, stats.sectors_read);
    EXPECT_EQ(back().stats().sectors_written, stats.sectors_written);
  }
  int16_t submit1(uint8_t op, uint64_t sector, const std::vector<Segment>& segs) {
    return submit(op, sector, segs, -1, 1);
  }

  std::vector<uint8_t> first_disk_, first_ring_;
};

TEST_F(BlkBackSecondDiskTest, TheStartInfoPageNamesASecondRingPortAndDisk) {
  EXPECT_NE(si(si::kBlk1Ring), 0u);
  EXPECT_NE(si(si::kBlk1Ring), si(si::kBlkRing));
  EXPECT_EQ(si(si::kBlk1PortOff), abi::kBlk1Port);
  EXPECT_EQ(si(si::kBlkPortOff), abi::kBlkPort);
  EXPECT_EQ(si(si::kBlk1SectorsLo), kImageSectors);
  EXPECT_EQ(si(si::kBlk1SectorsHi), 0u);
  EXPECT_EQ(si(si::kBlk1Info), 0u);
  EXPECT_EQ(mon().blk(1)->vbd(), 1u);
  EXPECT_EQ(mon().blk(0)->vbd(), 0u);
  EXPECT_EQ(mon().blk(2), nullptr);
  // SHARED_RING_INIT, and typed writable for good like the first ring.
  EXPECT_EQ(req_event(), 1u);
  EXPECT_EQ(mem().read32(ring_ + b::kRspEvent), 1u);
  EXPECT_TRUE(mon().paging().frame(ring_ / kPage).permanent);
}

TEST_F(BlkBackSecondDiskTest, ReadsAndWritesReachTheSecondImageOnly) {
  // The second image's sector i holds i; the first's i + 1.
  EXPECT_EQ(submit1(b::kOpRead, 3, {{0, 0, 3}}), b::kRspOkay);
  for (uint32_t s = 0; s < 4; ++s) EXPECT_EQ(mem().read8(scratch_ma(0) + s * 512), 3 + s) << s;
  std::vector<uint8_t> pattern(kPage, 0xAB);
  mem().write_bytes(scratch_ma(1), pattern.data(), kPage);
  EXPECT_EQ(submit1(b::kOpWrite, 40, {{1, 0, 7}}), b::kRspOkay);
  EXPECT_EQ(submit1(b::kOpFlush, 0, {}), b::kRspOkay);
  const auto disk = image_bytes();
  EXPECT_TRUE(std::equal(pattern.begin(), pattern.end(), disk.begin() + 40 * 512));
  EXPECT_EQ(disk[39 * 512], 39);
  EXPECT_EQ(disk[48 * 512], 48);
  const auto& s = back().stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.notifications_in, 3u);
  // rsp_event stayed at 1 (this front end never consumes): only the first response notified.
  EXPECT_EQ(s.notifications_out, 1u);
  // The notification back is on the second disk's port, not the first's.
  EXPECT_NE(mon().events().pending_ports() & (1u << abi::kBlk1Port), 0u);
  EXPECT_EQ(mon().events().pending_ports() & (1u << abi::kBlkPort), 0u);
  expect_first_disk_untouched();
}

TEST_F(BlkBackSecondDiskTest, TheFirstDisksHandleAndBadRequestsAreRefused) {
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 0}}, -1, 0);  // vbd 0's handle
  expect_refused(b::kRspError, b::kOpWrite, 0, {{0, 0, 0}}, -1, 0);
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 0}}, -1, 2);
  expect_refused(b::kRspNotSupported, 0xFF, 0, {{0, 0, 0}});
  expect_refused(b::kRspError, b::kOpRead, kImageSectors, {{0, 0, 0}});
  expect_refused(b::kRspError, b::kOpRead, 0, {{0, 0, 8}});
  expect_refused(b::kRspError, b::kOpRead, 0, {{abi::grant::kEntries, 0, 0}});
  // Neither ring page, nor the grant table, may be granted to either disk.
  for (const uint32_t off : {si::kBlkRing, si::kBlk1Ring, si::kGrantTable}) {
    grant(8, pfn_of_va(si(off)));
    expect_refused(b::kRspError, b::kOpRead, 0, {{8, 0, 0}});
    expect_refused(b::kRspError, b::kOpWrite, 0, {{8, 0, 0}});
  }
  expect_first_disk_untouched();
}

TEST_F(BlkBackSecondDiskTest, ProducerIndexesOutOfRangeAreRefusedWhole) {
  EXPECT_EQ(submit1(b::kOpRead, 0, {{0, 0, 0}}), b::kRspOkay);  // consumer at 1
  for (const uint32_t bad : {1u + 33, 0u, 0xFFFFFFFFu, 1u + 0x80000000u}) {
    request(1, b::kOpWrite, 1, 0, {{0, 0, 7}}, -1, 1);
    set_req_prod(bad);
    const auto disk = image_bytes();
    const auto before = ram();
    const auto refused = back().stats().bad_indexes;
    EXPECT_EQ(notify(), 0);
    EXPECT_EQ(yield(), 0);
    EXPECT_EQ(back().stats().bad_indexes, refused + 1) << bad;
    EXPECT_EQ(back().req_cons(), 1u);
    EXPECT_EQ(rsp_prod(), 1u);
    EXPECT_TRUE(ram() == before) << "machine memory changed for req_prod " << bad;
    EXPECT_EQ(image_bytes(), disk);
  }
  set_req_prod(1);
  EXPECT_EQ(submit1(b::kOpRead, 0, {{0, 0, 0}}), b::kRspOkay);
  expect_first_disk_untouched();
}

TEST_F(BlkBackSecondDiskTest, EachRingRunsOnlyForItsOwnPort) {
  // Requests in the second ring, notified on the first disk's port: the first back end has
  // work (an empty ring), the second none, so nothing of the second ring is answered.
  request(0, b::kOpRead, 7, 2, {{0, 0, 0}}, -1, 1);
  set_req_prod(1);
  EXPECT_EQ(hcall(abi::kEventChannelOp, abi::kEvtchnSend, abi::kBlkPort), 0);
  EXPECT_TRUE(mon().blk(0)->working());
  EXPECT_FALSE(back().working());
  EXPECT_EQ(yield(), 0);
  EXPECT_EQ(rsp_prod(), 0u);
  EXPECT_EQ(back().stats().runs, 0u);
  EXPECT_EQ(mon().blk(0)->stats().requests, 0u);
  // Its own port: answered.
  EXPECT_EQ(notify(), 0);
  EXPECT_EQ(yield(), 0);
  EXPECT_EQ(rsp_prod(), 1u);
  EXPECT_EQ(mem().read8(scratch_ma(0)), 2);
  EXPECT_EQ(bytes_of(other_image_), first_disk_);
}

TEST(BlkBackOneDiskTest, WithOneDiskThereIsNoSecondRingAndPort4IsRefused) {
  vmm::VmConfig config;
  config.mode = std::make_unique<PvMode>();
  config.machine.memory_mib = 32;
  const std::string image = testing::make_image(0);
  config.machine.disks.push_back(machine::DiskSpec{image, 0, false});
  auto vm = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok());
  ASSERT_TRUE(vm.value()->load_kernel(VMLAB_GUEST_KERNEL).ok());
  auto& mon = const_cast<PvMonitor&>(*static_cast<PvMode&>(vm.value()->mode_impl()).monitor());
  EXPECT_NE(mon.blk(0), nullptr);
  EXPECT_EQ(mon.blk(1), nullptr);
  EXPECT_EQ(mon.layout().blk1_ring_ma, 0u);
  auto& s = vm.value()->machine().cpu().state();
  uint32_t ring = 1;
  ASSERT_TRUE(mon.memory().copy_from_guest(mon.cr3(), s.gpr[cpu::ESI] + si::kBlk1Ring, &ring, 4));
  EXPECT_EQ(ring, 0u);
  s.gpr[cpu::EAX] = abi::kEventChannelOp;
  s.gpr[cpu::EBX] = abi::kEvtchnSend;
  s.gpr[cpu::ECX] = abi::kBlk1Port;
  mon.on_interrupt(abi::kHypercallVector, cpu::EventSource::kSoftware, false, 0);
  EXPECT_EQ(static_cast<int32_t>(s.gpr[cpu::EAX]), -abi::kEINVAL);
  vm.value().reset();
  std::remove(image.c_str());
}

}  // namespace
}  // namespace vmlab::modes::paravirt
