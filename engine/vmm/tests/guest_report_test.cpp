#include "engine/vmm/trace/guest_report.h"

#include <gtest/gtest.h>

namespace vmlab::vmm {
namespace {

TEST(GuestReportTest, ParsesResultKstatAndDoneLines) {
  const auto r = GuestReport::parse(
      "vmlab-guest 0.1 boot=multiboot pv_ops=native ring=0 mem_kib=130048 cmdline=\"a b\"\r\n"
      "result workload=syscall iters=1000 cycles=82008 cycles_per_iter=82.0\r\n"
      "result workload=compute iters=2 cycles=420000 cycles_per_iter=210000.0 check=1a2b3c4d\n"
      "error workload=ptemod reason=\"no page\"\n"
      "kstat ticks=3 preemptions=0 switches=4 syscalls=1010 hidden_faults=2 true_faults=0 "
      "free_kib=1000\r\n"
      "done status=0\r\n");
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(*r.results[0].get("workload"), "syscall");
  EXPECT_EQ(*r.results[0].get("cycles_per_iter"), "82.0");
  EXPECT_EQ(*r.result_of("compute")->get("check"), "1a2b3c4d");
  EXPECT_EQ(r.result_of("nosuch"), nullptr);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(*r.errors[0].get("reason"), "no page");
  ASSERT_TRUE(r.kstat.has_value());
  EXPECT_EQ(*r.kstat->get("syscalls"), "1010");
  EXPECT_EQ(r.done_status, 0);
}

TEST(GuestReportTest, ConsoleWithoutGuestLinesGivesAnEmptyReport) {
  const auto r = GuestReport::parse("vmlab smoke kernel\nsmoke: all checks done\n");
  EXPECT_TRUE(r.results.empty());
  EXPECT_FALSE(r.kstat.has_value());
  EXPECT_FALSE(r.done_status.has_value());
}

}  // namespace
}  // namespace vmlab::vmm
