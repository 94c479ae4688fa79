// The sweep's grid file: a valid grid and every way to get it wrong, each with its message.
#include "frontend/sweep/grid.h"

#include <gtest/gtest.h>

#include "frontend/sweep/json_value.h"

namespace vmlab::frontend::sweep {
namespace {

TEST(Grid, ReadsModesWorkloadsProfilesAndCosts) {
  Grid g;
  std::string error;
  ASSERT_TRUE(parse_grid(R"({
    "modes": ["native", "trap-npt"],
    "workloads": ["syscall", {"name": "forkwait", "args": "child_touch=4", "iters": 20}],
    "profiles": ["pentium4"],
    "costs": [{}, {"trap": 1000, "vt.entry": 0}]
  })",
                         g, error))
      << error;
  EXPECT_EQ(g.modes, (std::vector<std::string>{"native", "trap-npt"}));
  ASSERT_EQ(g.workloads.size(), 2u);
  EXPECT_EQ(g.workloads[1].name, "forkwait");
  EXPECT_EQ(g.workloads[1].args, "child_touch=4");
  EXPECT_EQ(g.workloads[1].iters, 20u);
  EXPECT_EQ(g.workloads[0].iters, 0u);
  ASSERT_EQ(g.costs.size(), 2u);
  EXPECT_TRUE(g.costs[0].empty());
  EXPECT_EQ(g.costs[1], (CostSet{{"trap", 1000}, {"vt.entry", 0}}));
  // Profiles and costs may be left out.
  ASSERT_TRUE(parse_grid(R"({"modes": ["bt"], "workloads": ["in"]})", g, error)) << error;
  EXPECT_EQ(g.profiles, (std::vector<std::string>{"native-1c"}));
  EXPECT_EQ(g.costs.size(), 1u);
  EXPECT_TRUE(g.disk.empty());
  // The disk workloads' image.
  ASSERT_TRUE(
      parse_grid(R"({"modes": ["pv"], "workloads": ["diskread"], "disk": "raw.img"})", g, error))
      << error;
  EXPECT_EQ(g.disk, "raw.img");
}

TEST(Grid, RefusesWhatIsWrongWithAClearMessage) {
  const std::pair<const char*, const char*> bad[] = {
      {"", "line 1, column 1"},
      {"[1, 2]", "must be a JSON object"},
      {R"({"modes": ["native"], "workloads": ["in"], "extra": 1})", "unknown key \"extra\""},
      {R"({"modes": [], "workloads": ["in"]})", "\"modes\" must be a non-empty array"},
      {R"({"modes": ["warp"], "workloads": ["in"]})", "unknown mode \"warp\""},
      {R"({"modes": ["native"], "workloads": ["nope"]})", "unknown workload \"nope\""},
      {R"({"modes": ["native"], "workloads": [{"name": "in", "iters": 0}]})", "\"iters\""},
      {R"({"modes": ["native"], "workloads": [{"name": "in", "iters": 1.5}]})", "\"iters\""},
      {R"({"modes": ["native"], "workloads": ["in"], "costs": [{"trap": -1}]})", "cost \"trap\""},
      {R"({"modes": ["native"], "workloads": ["in"], "costs": [{"trap": 1e9}]})", "cost \"trap\""},
      {R"({"modes": ["native"], "workloads": ["in"]} x)", "text after the JSON value"},
      {R"({"modes": ["native"], "workloads": ["in"], "disk": 1})", "\"disk\" must be the path"},
      {R"({"modes": ["native"], "workloads": ["in"], "disk": ""})", "\"disk\" must be the path"},
      {"{\"modes\": [\"native\"],\n \"workloads\": [\"in\"", "line 2, column"},
  };
  for (const auto& [text, want] : bad) {
    Grid g;
    std::string error;
    EXPECT_FALSE(parse_grid(text, g, error)) << text;
    EXPECT_NE(error.find(want), std::string::npos) << text << " -> " << error;
  }
}

TEST(Json, DeepNestingIsRefusedNotRecursedInto) {
  JsonValue v;
  std::string error;
  EXPECT_FALSE(parse_json(std::string(100000, '['), v, error));
  EXPECT_NE(error.find("64 deep"), std::string::npos);
  EXPECT_TRUE(parse_json(R"({"a": "\u00e5\n", "b": [true, false, null, -1.5e2]})", v, error));
  EXPECT_EQ(v.get("a")->string, "\xC3\xA5\n");
  EXPECT_EQ(v.get("b")->array[3].number, -150);
}

}  // namespace
}  // namespace vmlab::frontend::sweep
