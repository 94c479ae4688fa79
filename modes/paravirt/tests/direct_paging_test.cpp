// The direct-paging validator: every refusal rule with its exact error code, and that a
// refused update changes nothing; type counts, pin and unpin, no revalidation of pinned
// tables.
#include "modes/paravirt/direct_paging.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {
namespace {

using Type = DirectPaging::Type;
constexpr uint32_t kP = 0x1, kW = 0x2, kPS = 0x80;
constexpr uint32_t kPage = 4096;

class DirectPagingTest : public ::testing::Test {
 protected:
  // 64 frames; the guest owns 8..63. Frame 10 is a page directory, 11 a page table,
  // 20..29 data.
  static constexpr uint32_t kL2 = 10, kL1 = 11, kData = 20, kForeign = 2;

  DirectPagingTest() : ram_(64 * kPage), memory_(ram_), paging_(memory_) {
    for (uint32_t f = 8; f < 64; ++f) paging_.set_owned(f, true);
    std::array<uint32_t, 16> hole{};
    hole[0] = 3 * kPage | kP | kW;  // the monitor's table for the hole
    paging_.set_hole_entries(hole);
  }
  void put(uint32_t mfn, uint32_t index, uint32_t value) {
    std::memcpy(&ram_[mfn * kPage + index * 4], &value, 4);
  }
  uint32_t get(uint32_t mfn, uint32_t index) const {
    uint32_t v;
    std::memcpy(&v, &ram_[mfn * kPage + index * 4], 4);
    return v;
  }
  uint32_t entry(uint32_t mfn, uint32_t index) const { return mfn * kPage + index * 4; }
  // A valid little tree: L1 maps data frame 20 writable and 21 read-only; L2 slot 0 -> L1.
  void build_tree() {
    put(kL1, 0, kData * kPage | kP | kW);
    put(kL1, 1, (kData + 1) * kPage | kP);
    put(kL2, 0, kL1 * kPage | kP | kW);
  }
  const DirectPaging::Frame& frame(uint32_t mfn) const { return paging_.frame(mfn); }

  std::vector<uint8_t> ram_;
  MachineMemory memory_;
  DirectPaging paging_;
};

TEST_F(DirectPagingTest, PinningADirectoryValidatesAndTypesTheTree) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  EXPECT_EQ(frame(kL2).type, Type::l2);
  EXPECT_EQ(frame(kL2).type_count, 1u);
  EXPECT_TRUE(frame(kL2).pinned);
  EXPECT_EQ(frame(kL1).type, Type::l1);
  EXPECT_EQ(frame(kL1).type_count, 1u);  // one reference, from the directory
  EXPECT_EQ(frame(kData).type, Type::writable);
  EXPECT_EQ(frame(kData).type_count, 1u);
  EXPECT_EQ(frame(kData + 1).type, Type::none);  // read-only mappings take no type
  // The monitor's hole entries went into the validated directory.
  EXPECT_EQ(get(kL2, abi::kFirstHoleSlot), 3 * kPage | kP | kW);
  EXPECT_EQ(paging_.stats().tables_validated, 2u);
}

TEST_F(DirectPagingTest, PinnedTablesAreNotRevalidatedOnEveryBaseptrSwitch) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  put(12, 0, kL1 * kPage | kP);  // a second directory sharing the table
  ASSERT_EQ(paging_.pin(12, Type::l2), 0);
  const uint64_t validated = paging_.stats().tables_validated;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(paging_.new_baseptr(kL2), 0);
    ASSERT_EQ(paging_.new_baseptr(12), 0);
  }
  EXPECT_EQ(paging_.stats().tables_validated, validated);
  EXPECT_EQ(frame(kL1).type_count, 2u);  // referenced by both directories
  EXPECT_EQ(frame(12).type_count, 2u);   // pin + base pointer
  EXPECT_EQ(frame(kL2).type_count, 1u);  // pin only
}

TEST_F(DirectPagingTest, MappingAPageTableWritableIsRefusedAndChangesNothing) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  const std::vector<uint8_t> before = ram_;
  EXPECT_EQ(paging_.update_entry(entry(kL1, 5), kL1 * kPage | kP | kW), -abi::kEINVAL);  // itself
  EXPECT_EQ(paging_.update_entry(entry(kL1, 6), kL2 * kPage | kP | kW), -abi::kEINVAL);  // its dir
  EXPECT_EQ(ram_, before);
  EXPECT_EQ(frame(kL1).type, Type::l1);
  EXPECT_EQ(frame(kL1).type_count, 1u);
  // Read-only is allowed: the guest reads its own page tables.
  EXPECT_EQ(paging_.update_entry(entry(kL1, 5), kL1 * kPage | kP), 0);
}

TEST_F(DirectPagingTest, AWritableFrameCannotBecomeAPageTable) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  const std::vector<uint8_t> before = ram_;
  // Frame 20 is mapped writable: as a page table it would be writable by the guest.
  EXPECT_EQ(paging_.update_entry(entry(kL2, 1), kData * kPage | kP | kW), -abi::kEINVAL);
  EXPECT_EQ(paging_.pin(kData, Type::l1), -abi::kEINVAL);
  EXPECT_EQ(paging_.new_baseptr(kData), -abi::kEINVAL);  // an unvalidated base
  EXPECT_EQ(ram_, before);
  EXPECT_EQ(frame(kData).type, Type::writable);
  EXPECT_EQ(frame(kData).type_count, 1u);
  EXPECT_FALSE(frame(kData).pinned);
}

TEST_F(DirectPagingTest, FramesTheGuestDoesNotOwnAreRefused) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  const std::vector<uint8_t> before = ram_;
  EXPECT_EQ(paging_.update_entry(entry(kL1, 7), kForeign * kPage | kP), -abi::kEPERM);
  EXPECT_EQ(paging_.update_entry(entry(kL1, 7), 4000 * kPage | kP), -abi::kEPERM);  // no RAM
  EXPECT_EQ(paging_.update_entry(entry(kForeign, 0), 0), -abi::kEPERM);  // entry not the guest's
  EXPECT_EQ(paging_.pin(kForeign, Type::l1), -abi::kEPERM);
  EXPECT_EQ(paging_.new_baseptr(kForeign), -abi::kEPERM);
  EXPECT_EQ(ram_, before);
}

TEST_F(DirectPagingTest, TheHypervisorHoleIsOutOfReach) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  put(13, 0, 0);
  ASSERT_EQ(paging_.pin(13, Type::l1), 0);
  const std::vector<uint8_t> before = ram_;
  EXPECT_EQ(paging_.update_entry(entry(kL2, abi::kFirstHoleSlot), 13 * kPage | kP | kW),
            -abi::kEPERM);
  EXPECT_EQ(paging_.update_entry(entry(kL2, 1023), 0), -abi::kEPERM);
  EXPECT_EQ(ram_, before);
  EXPECT_EQ(frame(13).type_count, 1u);
}

TEST_F(DirectPagingTest, LargePagesAndNonTablesAreRefused) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  EXPECT_EQ(paging_.update_entry(entry(kL2, 2), 13 * kPage | kP | kPS), -abi::kEINVAL);
  EXPECT_EQ(paging_.update_entry(entry(25, 0), 0), -abi::kEINVAL);       // not a page table
  EXPECT_EQ(paging_.update_entry(entry(kL1, 0) + 1, 0), -abi::kEINVAL);  // misaligned
  EXPECT_EQ(paging_.stats().refusals, 3u);
}

TEST_F(DirectPagingTest, UnpinningTheTableInUseIsRefused) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  ASSERT_EQ(paging_.new_baseptr(kL2), 0);
  EXPECT_EQ(paging_.unpin(kL2), -abi::kEBUSY);
  EXPECT_TRUE(frame(kL2).pinned);
  EXPECT_EQ(paging_.unpin(kL1), -abi::kEINVAL);          // never pinned
  EXPECT_EQ(paging_.pin(kL2, Type::l2), -abi::kEINVAL);  // already pinned
}

TEST_F(DirectPagingTest, UnpinGivesEveryReferenceBack) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  ASSERT_EQ(paging_.unpin(kL2), 0);
  EXPECT_EQ(frame(kL2).type, Type::none);
  EXPECT_EQ(frame(kL1).type, Type::none);
  EXPECT_EQ(frame(kData).type_count, 0u);
  EXPECT_EQ(get(kL2, abi::kFirstHoleSlot), 0u);  // the monitor's entries do not stay behind
  // Now the old table may be mapped writable again.
  put(14, 0, 0);
  ASSERT_EQ(paging_.pin(14, Type::l1), 0);
  EXPECT_EQ(paging_.update_entry(entry(14, 0), kL1 * kPage | kP | kW), 0);
  EXPECT_EQ(frame(kL1).type, Type::writable);
}

TEST_F(DirectPagingTest, UpdatesMoveReferences) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  ASSERT_EQ(paging_.update_entry(entry(kL1, 0), (kData + 2) * kPage | kP | kW), 0);
  EXPECT_EQ(frame(kData).type_count, 0u);
  EXPECT_EQ(frame(kData + 2).type_count, 1u);
  ASSERT_EQ(paging_.update_entry(entry(kL1, 0), (kData + 2) * kPage | kP), 0);  // write-protect
  EXPECT_EQ(frame(kData + 2).type_count, 0u);
  EXPECT_EQ(paging_.stats().updates, 2u);
}

TEST_F(DirectPagingTest, AStaleWritableMappingAsksForATlbFlush) {
  build_tree();
  ASSERT_EQ(paging_.pin(kL2, Type::l2), 0);
  // Frame 20 loses its writable mapping, then becomes a page table: a writable TLB
  // entry for it could survive, so the monitor must flush before the guest runs.
  ASSERT_EQ(paging_.update_entry(entry(kL1, 0), 0), 0);
  EXPECT_FALSE(paging_.take_flush_request());
  ASSERT_EQ(paging_.pin(kData, Type::l1), 0);
  EXPECT_TRUE(paging_.take_flush_request());
  EXPECT_FALSE(paging_.take_flush_request());
  // After a flush the same sequence needs none.
  ASSERT_EQ(paging_.update_entry(entry(kL1, 1), (kData + 3) * kPage | kP | kW), 0);
  ASSERT_EQ(paging_.update_entry(entry(kL1, 1), 0), 0);
  paging_.tlb_flushed();
  ASSERT_EQ(paging_.pin(kData + 3, Type::l1), 0);
  EXPECT_FALSE(paging_.take_flush_request());
}

}  // namespace
}  // namespace vmlab::modes::paravirt
