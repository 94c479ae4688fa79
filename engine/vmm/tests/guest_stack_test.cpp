// The stack checks the monitor makes where it pops and pushes for the guest
// (engine/vmm/kit/guest_stack.h): each slot at its own offset, against the guest's own
// stack segment, as the processor checks them (SDM Vol. 3A, 5.3).
#include "engine/vmm/kit/guest_stack.h"

#include <gtest/gtest.h>

namespace vmlab::vmm {
namespace {

cpu::SegmentCache stack(uint32_t limit, bool expand_down, bool b32) {
  cpu::SegmentCache ss;
  ss.selector = 0x10;
  ss.type = expand_down ? 0x6 : 0x2;  // read/write data
  ss.limit = limit;
  ss.db = b32;
  return ss;
}

TEST(GuestStack, AFlatStackHoldsAFrameThatWrapsAt4GiB) {
  const cpu::SegmentCache flat = stack(0xFFFFFFFFu, false, true);
  EXPECT_TRUE(stack_slots_fit(flat, 0xFFFFFFF8u, 4, 4));  // 0xFFFFFFF8 .. 0x7
  EXPECT_TRUE(stack_slots_fit(flat, 0xFC000004u, 3, 4));  // in the hole: the guest's
}

TEST(GuestStack, EachSlotOfAnExpandUpStackWithinItsLimit) {
  const cpu::SegmentCache small = stack(0xFFF, false, true);
  EXPECT_TRUE(stack_slots_fit(small, 0xFF4, 3, 4));   // 0xFF4 .. 0xFFF
  EXPECT_FALSE(stack_slots_fit(small, 0xFF8, 3, 4));  // the third at 0x1000
  EXPECT_FALSE(stack_slots_fit(small, 0xFFE, 1, 4));  // one slot straddling the limit
  EXPECT_TRUE(stack_slots_fit(small, 0xFFE, 1, 2));
}

TEST(GuestStack, AnExpandDownStackHoldsOnlyAboveItsLimitUpToItsUpperBound) {
  const cpu::SegmentCache down16 = stack(0xFFF, true, false);
  EXPECT_TRUE(stack_slots_fit(down16, 0x1000, 4, 4));
  EXPECT_FALSE(stack_slots_fit(down16, 0xFFC, 2, 4));   // at the limit: outside
  EXPECT_FALSE(stack_slots_fit(down16, 0xFFFE, 1, 4));  // past 0xFFFF
  EXPECT_TRUE(stack_slots_fit(down16, 0xFFFE, 1, 2));
  // SP wraps at 64 KiB: the second word at offset 0, below the limit.
  EXPECT_FALSE(stack_slots_fit(down16, 0xFFFE, 2, 2));
  const cpu::SegmentCache down32 = stack(0xFFF, true, true);
  EXPECT_TRUE(stack_slots_fit(down32, 0xFFFFFFF0u, 4, 4));
  EXPECT_FALSE(stack_slots_fit(down32, 0xFFFFFFF8u, 3, 4));  // wraps to 0
}

TEST(GuestStack, AnUnusableStackHoldsNothing) {
  cpu::SegmentCache ss = stack(0xFFFFFFFFu, false, true);
  ss.usable = false;
  EXPECT_FALSE(stack_slots_fit(ss, 0x1000, 1, 4));
}

}  // namespace
}  // namespace vmlab::vmm
