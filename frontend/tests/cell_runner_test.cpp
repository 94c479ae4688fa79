// The cell runner: a Measurement crosses the pipe exactly, and the same cells measured by
// one process or by several workers give the same results, in the cells' order.
#include "frontend/cell_runner.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

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

// A folder of its own in /tmp, removed at the end.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/vmlab_cell_times_XXXXXX";
    path_ = ::mkdtemp(templ) ? templ : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(CellTimes, SaveMergesAndLoadReadsBack) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string file = dir.path() + "/cache/cell-times.tsv";  // the folder is made
  const CellRunnerConfig config{"/somewhere/vmlab_guest.elf", 128, 1000, 2, file};
  const Cell a{find_variant("bt"), "forkwait", 200, "native-1c", ""};
  const Cell b{find_variant("trap"), "diskwrite", 1, "native-1c", "size=8"};
  // The key names what decides the work, and not where the image lies.
  EXPECT_EQ(CellTimes::key(a, config),
            "bt forkwait iters=200 profile=native-1c memory=128 mhz=1000 image=vmlab_guest.elf");
  EXPECT_EQ(CellTimes::key(b, config),
            "trap diskwrite iters=1 profile=native-1c memory=128 "
            "mhz=1000 image=vmlab_guest.elf args=size=8");
  CellTimes first;
  first.set(CellTimes::key(a, config), 1.25);
  ASSERT_TRUE(first.save(file));
  CellTimes second;  // another run, saved later: both cells are kept
  second.set(CellTimes::key(b, config), 0.5);
  ASSERT_TRUE(second.save(file));
  CellTimes back;
  back.load(file);
  ASSERT_EQ(back.size(), 2u);
  ASSERT_NE(back.find(CellTimes::key(a, config)), nullptr);
  EXPECT_DOUBLE_EQ(*back.find(CellTimes::key(a, config)), 1.25);
  EXPECT_DOUBLE_EQ(*back.find(CellTimes::key(b, config)), 0.5);
  // No temporary file is left beside it.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path() + "/cache"))
    ++files;
  EXPECT_EQ(files, 1u);
  // Lines that are not `seconds<TAB>key` are ignored, not half read.
  {
    std::ofstream out(file, std::ios::app);
    out << "garbage\n-1\tneg\n\tnokey\n2.0\n";
  }
  CellTimes again;
  again.load(file);
  EXPECT_EQ(again.size(), 2u);
  // An unwritable place is refused without a crash; a missing file is an empty table.
  CellTimes none;
  none.load(dir.path() + "/missing.tsv");
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(first.save(""));
}

TEST(CellTimes, LongestFirstByKnownTimesThenThePrior) {
  const CellRunnerConfig config{VMLAB_TEST_GUEST, 128, 1000, 2, ""};
  const std::vector<Cell> cells = {
      {find_variant("native"), "syscall", 1000, "native-1c", ""},       // unknown: 0.05 s
      {find_variant("trap"), "diskread", 1, "native-1c", ""},           // unknown disk: 0.5 s
      {find_variant("bt"), "forkwait", 200, "native-1c", ""},           // known: 1.1 s
      {find_variant("native"), "in", 1000, "native-1c", ""},            // unknown: 0.05 s
      {find_variant("trap-classic"), "ptemod", 1000, "native-1c", ""},  // known: 0.01 s
  };
  CellTimes times;
  times.set(CellTimes::key(cells[2], config), 1.1);
  times.set(CellTimes::key(cells[4], config), 0.01);
  EXPECT_DOUBLE_EQ(estimated_seconds(cells[1], config, times), 0.5);
  EXPECT_EQ(longest_first(cells, config, times), (std::vector<size_t>{2, 1, 0, 3, 4}));
  // With nothing known, the grid's order among equals.
  EXPECT_EQ(longest_first(cells, config, CellTimes{}), (std::vector<size_t>{1, 0, 2, 3, 4}));
}

TEST(CellRunner, RemembersEachCellsTimeAndGivesTheSameResultsInAnyOrder) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string file = dir.path() + "/cell-times.tsv";
  std::vector<Cell> cells;
  for (const char* w : {"syscall", "pgfault"}) {
    for (const char* v : {"native", "trap-classic", "pv"}) {
      cells.push_back({find_variant(v), w, 20, "native-1c", ""});
    }
  }
  CellRunner r({VMLAB_TEST_GUEST, 128, 1000, 2, file});
  r.add_profile("native-1c", profile("native-1c"));
  const auto first = r.run(cells);
  CellTimes times;
  times.load(file);
  EXPECT_EQ(times.size(), cells.size());
  // The second run starts the cells in the order the first one's times give; the results
  // are the same bytes, in the cells' order.
  std::vector<size_t> seen;
  const auto second = r.run(cells, {}, [&](size_t i, const Measurement&) { seen.push_back(i); });
  ASSERT_EQ(second.size(), cells.size());
  EXPECT_EQ(seen.size(), cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    EXPECT_TRUE(first[i].ok) << first[i].error;
    EXPECT_EQ(serialize(first[i]), serialize(second[i])) << i;
  }
}

TEST(CellRunner, ProgressLine) {
  EXPECT_EQ(progress_line(0, 10, 0), "[0/10] 0.0 s");
  EXPECT_EQ(progress_line(5, 10, 2.0), "[5/10] 2.0 s, ETA 2 s");
  EXPECT_EQ(progress_line(10, 10, 4.0), "[10/10] 4.0 s");
}

}  // namespace
}  // namespace vmlab::frontend
