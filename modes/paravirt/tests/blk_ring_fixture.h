// A booted PV domain with a disk, driven from outside through the block ring: the
// fixture of blk_back_test.cpp and blk_back_fuzz_test.cpp. Requests are written into the
// ring page and the grant table as a front end would, the notification and the yield that
// lets the back end run are hypercalls, and the image is a temporary file.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/vm.h"
#include "modes/paravirt/pv_abi.h"
#include "modes/paravirt/pv_mode.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt::testing {

inline constexpr uint32_t kImageSectors = 256;  // 128 KiB

struct Segment {
  uint32_t gref;
  uint8_t first, last;
};

// A temporary image whose sector i holds the byte i + `salt` in every position.
inline std::string make_image(uint32_t salt) {
  char path[] = "/tmp/vmlab_blk_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  if (fd >= 0) close(fd);
  std::ofstream f(path, std::ios::binary);
  for (uint32_t s = 0; s < kImageSectors; ++s) {
    const std::string sector(512, static_cast<char>(s + salt));
    f << sector;
  }
  return path;
}

class BlkRingFixture : public ::testing::Test {
 protected:
  ~BlkRingFixture() override {
    vm_.reset();
    if (!image_.empty()) std::remove(image_.c_str());
    if (!other_image_.empty()) std::remove(other_image_.c_str());
  }

  // A fresh domain on a fresh image whose sector i holds the byte i in every position.
  // With `vbd` 1 the domain has two disks (the first an image whose sector i holds i + 1)
  // and the fixture drives the second disk's ring, port and back end.
  void boot(bool readonly = false, uint32_t memory_mib = 32, uint32_t vbd = 0) {
    vbd_ = vbd;
    image_ = make_image(0);
    vmm::VmConfig config;
    config.mode = std::make_unique<PvMode>();
    config.machine.memory_mib = memory_mib;
    config.machine.cmdline = std::string(VMLAB_GUEST_KERNEL) + " run=syscall";
    if (vbd == 1) {
      other_image_ = make_image(1);
      config.machine.disks.push_back(machine::DiskSpec{other_image_, 0, false});
    }
    config.machine.disks.push_back(machine::DiskSpec{image_, vbd, readonly});
    auto vm = vmm::Vm::create(std::move(config));
    ASSERT_TRUE(vm.ok()) << vm.error().message;
    vm_ = std::move(vm.value());
    auto loaded = vm_->load_kernel(VMLAB_GUEST_KERNEL);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    start_info_ = st().gpr[cpu::ESI];
    first_free_ = si(abi::start_info::kFirstFreePfn);
    ASSERT_NE(mon().blk(vbd), nullptr);
    ring_ = vbd == 0 ? mon().layout().blk_ring_ma : mon().layout().blk1_ring_ma;
    grants_ = mon().layout().grant_table_ma;
  }

  BlkBack& back() { return *mon().blk(vbd_); }
  PvMonitor& mon() {
    return const_cast<PvMonitor&>(*static_cast<PvMode&>(vm_->mode_impl()).monitor());
  }
  MachineMemory& mem() { return mon().memory(); }
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
    EXPECT_TRUE(mem().copy_from_guest(mon().cr3(), start_info_ + offset, &v, 4));
    return v;
  }
  // Free guest frames after the boot area (their frame numbers, and machine addresses).
  uint32_t scratch_pfn(uint32_t i) const { return first_free_ + i; }
  uint32_t scratch_ma(uint32_t i) {
    return mon().p2m().machine_frame(scratch_pfn(i)) * MachineMemory::kPageSize;
  }
  uint32_t pfn_of_va(uint32_t va) const { return (va - abi::kKernBase) / MachineMemory::kPageSize; }

  void grant(uint32_t gref, uint32_t pfn, uint16_t flags = abi::grant::kPermitAccess,
             uint16_t domid = 0) {
    const uint32_t e = grants_ + gref * abi::grant::kEntrySize;
    mem().write32(e + abi::grant::kFlags, flags | uint32_t{domid} << 16);
    mem().write32(e + abi::grant::kFrame, pfn);
  }
  // A request in slot `index` % 32.
  void request(uint32_t index, uint8_t op, uint32_t id, uint64_t sector,
               const std::vector<Segment>& segs, int nr_segments = -1, uint16_t handle = 0) {
    const uint32_t at = slot(index);
    std::vector<uint8_t> r(abi::blk::kSlotSize, 0);
    r[abi::blk::kReqOperation] = op;
    r[abi::blk::kReqNrSegments] =
        static_cast<uint8_t>(nr_segments < 0 ? static_cast<int>(segs.size()) : nr_segments);
    r[2] = static_cast<uint8_t>(handle);
    r[3] = static_cast<uint8_t>(handle >> 8);
    for (int b = 0; b < 4; ++b) r[abi::blk::kReqId + b] = static_cast<uint8_t>(id >> (8 * b));
    for (int b = 0; b < 8; ++b) {
      r[abi::blk::kReqSector + b] = static_cast<uint8_t>(sector >> (8 * b));
    }
    for (size_t i = 0; i < segs.size() && i < abi::blk::kMaxSegments; ++i) {
      const uint32_t s = abi::blk::kReqSegments + static_cast<uint32_t>(i) * abi::blk::kSegmentSize;
      for (int b = 0; b < 4; ++b) r[s + b] = static_cast<uint8_t>(segs[i].gref >> (8 * b));
      r[s + 4] = segs[i].first;
      r[s + 5] = segs[i].last;
    }
    mem().write_bytes(at, r.data(), static_cast<uint32_t>(r.size()));
  }
  uint32_t slot(uint32_t index) const {
    return ring_ + abi::blk::kSlots + (index % abi::blk::kRingSize) * abi::blk::kSlotSize;
  }
  void set_req_prod(uint32_t v) { mem().write32(ring_ + abi::blk::kReqProd, v); }
  uint32_t req_prod() { return mem().read32(ring_ + abi::blk::kReqProd); }
  uint32_t rsp_prod() { return mem().read32(ring_ + abi::blk::kRspProd); }
  uint32_t req_event() { return mem().read32(ring_ + abi::blk::kReqEvent); }
  // The front end's notification, and the yield during which the back end runs.
  int32_t notify() { return hcall(abi::kEventChannelOp, abi::kEvtchnSend, abi::blk_port(vbd_)); }
  int32_t yield() { return hcall(abi::kSchedOp, abi::kSchedYield); }
  // Pushes one request and lets the back end answer it; returns its status.
  int16_t submit(uint8_t op, uint64_t sector, const std::vector<Segment>& segs,
                 int nr_segments = -1, uint16_t handle = 0) {
    const uint32_t index = req_prod();
    request(index, op, 0xC0DE0000u + index, sector, segs, nr_segments, handle);
    set_req_prod(index + 1);
    EXPECT_EQ(notify(), 0);
    EXPECT_EQ(yield(), 0);
    EXPECT_EQ(rsp_prod(), index + 1);
    EXPECT_EQ(mem().read32(slot(index) + abi::blk::kRspId), 0xC0DE0000u + index);
    EXPECT_EQ(mem().read8(slot(index) + abi::blk::kRspOperation), op);
    return static_cast<int16_t>(mem().read8(slot(index) + abi::blk::kRspStatus) |
                                mem().read8(slot(index) + abi::blk::kRspStatus + 1) << 8);
  }
  std::vector<uint8_t> image_bytes() const { return bytes_of(image_); }
  static std::vector<uint8_t> bytes_of(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  std::vector<uint8_t> ram() {
    auto r = vm_->machine().memory().span();
    return {r.begin(), r.end()};
  }
  std::vector<DirectPaging::Frame> frames() {
    std::vector<DirectPaging::Frame> f;
    for (uint32_t i = 0; i < mon().paging().frames(); ++i) f.push_back(mon().paging().frame(i));
    return f;
  }
  static bool same_frames(const std::vector<DirectPaging::Frame>& a,
                          const std::vector<DirectPaging::Frame>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].owned != b[i].owned || a[i].pinned != b[i].pinned || a[i].type != b[i].type ||
          a[i].type_count != b[i].type_count) {
        return false;
      }
    }
    return true;
  }

  std::unique_ptr<vmm::Vm> vm_;
  std::string image_, other_image_;
  uint32_t vbd_ = 0;
  uint32_t start_info_ = 0, first_free_ = 0, ring_ = 0, grants_ = 0;
};

}  // namespace vmlab::modes::paravirt::testing
