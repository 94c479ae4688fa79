// The taxonomy's stable values and its name table.
#include "engine/vmm/core/event.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace vmlab::vmm {
namespace {

// These values are in trace files, stats files and lab checkers: they never change.
static_assert(static_cast<int>(ModeId::native) == 0 && static_cast<int>(ModeId::trap) == 1 &&
              static_cast<int>(ModeId::bt) == 2 && static_cast<int>(ModeId::pv) == 3 &&
              static_cast<int>(ModeId::kvm) == 4);
static_assert(index_of(EventKind::trap) == 1 && index_of(EventKind::hypercall) == 6 &&
              index_of(EventKind::cr3_switch) == 11 && index_of(EventKind::port_io) == 14 &&
              index_of(EventKind::exception) == 16 && index_of(EventKind::machine_stop) == 21 &&
              index_of(EventKind::cr_write) == 23);
static_assert(sizeof(Event) <= 48, "events go into ring buffers in bulk: keep them small");

TEST(EventKindTest, EveryKindHasAUniqueNameThatRoundTrips) {
  std::set<std::string> names;
  for (EventKind k : all_event_kinds()) {
    const std::string name(event_kind_name(k));
    ASSERT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(event_kind_from_name(name), k);
  }
  EXPECT_EQ(names.size(), kNumEventKinds - 1);
  EXPECT_FALSE(event_kind_from_name("nosuch").has_value());
}

TEST(EventKindTest, PayloadFieldNamesAreUniquePerKind) {
  for (EventKind k : all_event_kinds()) {
    std::set<std::string> fields;
    for (const char* f : kEventKindInfo[index_of(k)].fields) {
      if (f != nullptr) {
        EXPECT_TRUE(fields.insert(f).second) << event_kind_name(k) << "." << f;
      }
    }
  }
}

TEST(ModeIdTest, NamesRoundTrip) {
  for (const char* n : {"native", "trap", "bt", "pv", "kvm"}) {
    const auto m = mode_from_name(n);
    ASSERT_TRUE(m.has_value()) << n;
    EXPECT_EQ(mode_name(*m), n);
  }
  EXPECT_FALSE(mode_from_name("warp").has_value());
}

}  // namespace
}  // namespace vmlab::vmm
