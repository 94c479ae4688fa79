// The cell runner: a Measurement crosses the pipe exactly, and the same cells measured by
// one process or by several workers give the same results, in the cells' order.
#include "frontend/cell_runner.h"

#include <gtest/gtest.h>

#include "engine/vmm/core/cost_profile.h"

namespace vmlab::frontend {
namespace {

vmm::CostProfile profile(const std::string& name) {
  auto p = vmm::CostProfile::load_file(std::string(VMLAB_TEST_PROFILES) + "/" + name + ".profile");
  EXPECT_TRUE(p) << p.error().message;
  return p.value();
}

TEST(CellRunner, SerializeRoundTripIsExact) {
  Measurement m;
  m.mode = vmm::ModeId::bt;
  m.label = "bt";
  m.workload = "in";
  m.iters = 1000;
  m.ok = false;
  m.error = "a reason, with\nnew lines";
  m.failed_run.exit_value = 7;
  m.failed_run.message = "stopped";
  m.failed_run.instructions = 123456789;
  m.cycles_per_op = 1.0 / 3.0;
  m.events_per_op[3] = 2.5;
  m.event_cycles_per_op[4] = 1e300;
  Measurement back;
  ASSERT_TRUE(deserialize(serialize(m), back));
  EXPECT_EQ(serialize(back), serialize(m));
  EXPECT_EQ(back.cycles_per_op, m.cycles_per_op);
  EXPECT_EQ(back.error, m.error);
  EXPECT_EQ(back.failed_run.exit_value, 7u);
  // Truncated or padded bytes are refused, not half read.
  std::string bytes = serialize(m);
  EXPECT_FALSE(deserialize(bytes.substr(0, bytes.size() - 1), back));
  EXPECT_FALSE(deserialize(bytes + "x", back));
}

TEST(CellRunner, ParallelEqualsSerial) {
  std::vector<Cell> cells;
  for (const char* w : {"syscall", "in", "ptemod"}) {
    for (const char* v : {"native", "trap", "bt", "pv"}) {
      cells.push_back({find_variant(v), w, 50, w[0] == 'i' ? "pentium4" : "native-1c", ""});
    }
  }
  CellRunner serial({VMLAB_TEST_GUEST, 128, 1000, 1});
  CellRunner parallel({VMLAB_TEST_GUEST, 128, 1000, 3});
  for (CellRunner* r : {&serial, &parallel}) {
    r->add_profile("pentium4", profile("pentium4"));
    r->add_profile("native-1c", profile("native-1c"));
  }
  size_t calls = 0, last_done = 0;
  const auto a = serial.run(cells);
  const auto b = parallel.run(cells, [&](size_t done, size_t total, double) {
    ++calls;
    EXPECT_EQ(total, cells.size());
    EXPECT_EQ(done, last_done + 1);
    last_done = done;
  });
  EXPECT_EQ(calls, cells.size());
  ASSERT_EQ(a.size(), cells.size());
  ASSERT_EQ(b.size(), cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    EXPECT_TRUE(a[i].ok) << a[i].error;
    EXPECT_EQ(a[i].label, cells[i].variant->name);
    EXPECT_EQ(a[i].workload, cells[i].workload);
    EXPECT_EQ(serialize(a[i]), serialize(b[i])) << i;
  }
  // The in cells ran under pentium4: native in costs the paper's 3209 cycles plus the loop
  // around the bare `in al, 0x80` (and, over 100 iterations, a share of the timer
  // interrupts).
  EXPECT_DOUBLE_EQ(a[4].cycles_per_op, 3214.79);
}

TEST(CellRunner, UnknownProfileIsAnErrorNotACrash) {
  CellRunner r({VMLAB_TEST_GUEST, 128, 1000, 2});
  const auto out = r.run({{find_variant("native"), "syscall", 10, "nonesuch", ""},
                          {find_variant("native"), "syscall", 10, "nonesuch", ""}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].ok);
  EXPECT_NE(out[0].error.find("profile"), std::string::npos);
}

TEST(CellRunner, ProgressLine) {
  EXPECT_EQ(progress_line(0, 10, 0), "[0/10] 0.0 s");
  EXPECT_EQ(progress_line(5, 10, 2.0), "[5/10] 2.0 s, ETA 2 s");
  EXPECT_EQ(progress_line(10, 10, 4.0), "[10/10] 4.0 s");
}

}  // namespace
}  // namespace vmlab::frontend
