// Ring compression of descriptors (deprivileged_segments.h): DPL 0 becomes DPL 1, limits
// stop below the hypervisor hole, system descriptors never reach the shadow GDT.
#include "engine/vmm/deprivileged_segments.h"

#include <gtest/gtest.h>

#include "engine/cpu/descriptor.h"

namespace vmlab::vmm {
namespace {

uint64_t flat(uint8_t access, uint32_t limit_pages = 0xFFFFF) {
  return uint64_t{limit_pages & 0xFFFF} | uint64_t{access} << 40 |
         uint64_t{(limit_pages >> 16) & 0xF} << 48 | uint64_t{0xC} << 52;
}

TEST(DeprivilegedSegmentsTest, Ring0CodeBecomesRing1AndStopsBelowTheHole) {
  const cpu::Descriptor d{DeprivilegedSegments::compress(flat(0x9A))};
  EXPECT_EQ(d.dpl(), 1u);
  EXPECT_TRUE(d.is_code());
  EXPECT_EQ(d.limit(), DeprivilegedSegments::kHoleLimit);
}

TEST(DeprivilegedSegmentsTest, UserDescriptorsKeepTheirDplAndAGuestLimitBelowTheHoleStays) {
  const uint64_t user = flat(0xF2, 0xFBFFF);  // the guest OS's own limit
  EXPECT_EQ(DeprivilegedSegments::compress(user), user);
}

TEST(DeprivilegedSegmentsTest, SystemDescriptorsAreNotCopied) {
  const uint64_t tss = uint64_t{103} | uint64_t{0x89} << 40;
  EXPECT_EQ(DeprivilegedSegments::compress(tss), 0u);
}

}  // namespace
}  // namespace vmlab::vmm
