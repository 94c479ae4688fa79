// The inspection walk of PAE tables (engine/vmm/core/inspection.h, walk_tables_pae), which
// gdb's memory accesses and the GUI's page view use when the guest's CR4.PAE is set.
#include <gtest/gtest.h>

#include <map>

#include "engine/cpu/cpu_state.h"
#include "engine/vmm/core/inspection.h"

namespace vmlab::vmm {
namespace {

class WalkTablesPaeTest : public ::testing::Test {
 protected:
  std::map<uint32_t, uint32_t> mem_;
  void put64(uint32_t at, uint64_t v) {
    mem_[at] = static_cast<uint32_t>(v);
    mem_[at + 4] = static_cast<uint32_t>(v >> 32);
  }
  std::function<std::optional<uint32_t>(uint32_t)> reader() {
    return [this](uint32_t a) -> std::optional<uint32_t> {
      const auto it = mem_.find(a);
      return it == mem_.end() ? 0u : it->second;
    };
  }
};

TEST_F(WalkTablesPaeTest, FourKibTwoMibAndAboveFourGib) {
  // PDPT at 0x1020 (32-byte aligned), PDPTE 1 -> PD 0x2000; PDE 0 -> PT 0x3000.
  put64(0x1020 + 8, 0x2000 | 1);
  put64(0x2000, 0x3000 | 7);
  put64(0x3000 + 8 * 5, 0x00ABC000 | 3);                    // 0x40005000: supervisor, RW
  put64(0x2000 + 8, 0x00400000 | 0x80 | 7);                 // 0x40200000: 2 MiB page
  put64(0x3000 + 8 * 6, (uint64_t{1} << 32) | 0x5000 | 7);  // a frame above 4 GiB
  const uint32_t cr3 = 0x1020, cr4 = cpu::cr4::PAE;
  TableWalk w = walk_guest_tables(reader(), cr3, cr4, 0x40005123);
  ASSERT_TRUE(w.address);
  EXPECT_EQ(*w.address, 0x00ABC000u);
  EXPECT_TRUE(w.writable);
  EXPECT_FALSE(w.user);
  w = walk_guest_tables(reader(), cr3, cr4, 0x40345000);
  ASSERT_TRUE(w.address);
  EXPECT_EQ(*w.address, 0x00545000u);
  EXPECT_TRUE(w.large);
  w = walk_guest_tables(reader(), cr3, cr4, 0x40006000);
  EXPECT_FALSE(w.address);  // unbacked: never wrapped to 0x5000
  w = walk_guest_tables(reader(), cr3, cr4, 0x00000000);
  EXPECT_FALSE(w.address);  // PDPTE 0 not present
}

}  // namespace
}  // namespace vmlab::vmm
