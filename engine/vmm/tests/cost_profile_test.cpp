#include "engine/vmm/core/cost_profile.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vmlab::vmm {
namespace {

TEST(CostProfileTest, DefaultIsTheUnitModel) {
  const CostProfile p;
  EXPECT_EQ(p.name(), "native-1c");
  for (uint32_t c : p.class_costs()) EXPECT_EQ(c, 1u);
  for (uint64_t c : p.event_costs()) EXPECT_EQ(c, 0u);
  for (const auto& f : p.figures()) EXPECT_EQ(f.source, CostProfile::kDefaultSource);
}

TEST(CostProfileTest, ParsesFiguresWithTheirSources) {
  auto r = CostProfile::parse(
      "# comment\n"
      "name = test\n"
      "description = a test profile\n"
      "insn.port_io = 3209 | Adams & Agesen 2006, Fig. 4\n"
      "event.trap = 1931 | Adams & Agesen 2006, Table 1\r\n"
      "vt.entry = 2409 | Adams & Agesen 2006, Table 1\n",
      "test.profile");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const CostProfile& p = r.value();
  EXPECT_EQ(p.name(), "test");
  EXPECT_EQ(p.description(), "a test profile");
  EXPECT_EQ(p.class_costs()[cpu::kCostPortIo], 3209u);
  EXPECT_EQ(p.class_costs()[cpu::kCostSimple], 1u);
  EXPECT_EQ(p.event_cost(EventKind::trap), 1931u);
  EXPECT_EQ(p.event_cost(EventKind::port_io), 0u);
  EXPECT_EQ(p.figure("vt.entry"), 2409u);
  EXPECT_EQ(p.figures().back().source, "Adams & Agesen 2006, Table 1");
}

TEST(CostProfileTest, RejectsFiguresWithoutSourcesAndUnknownKeys) {
  const auto error = [](const char* text) {
    auto r = CostProfile::parse(text, "p.profile");
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_NE(error("name = x\ninsn.simple = 2\n").find("p.profile:2: 'insn.simple' has no source"),
            std::string::npos);
  EXPECT_NE(error("name = x\ninsn.bogus = 2 | s\n").find("unknown cost 'insn.bogus'"),
            std::string::npos);
  EXPECT_NE(error("name = x\nevent.bogus = 2 | s\n").find("unknown cost"), std::string::npos);
  EXPECT_NE(error("name = x\nevent.trap = many | s\n").find("whole number"), std::string::npos);
  EXPECT_NE(error("name = x\ninsn.simple = 0 | s\n").find("at least 1"), std::string::npos);
  EXPECT_NE(error("name = x\njust words\n").find("expected 'key = value'"), std::string::npos);
  EXPECT_NE(error("insn.simple = 1 | s\n").find("no 'name"), std::string::npos);
}

TEST(CostProfileTest, OverridesByFullKeyOrBareEventKind) {
  CostProfile p;
  ASSERT_TRUE(p.set("port_io", 500, "command line").ok());
  ASSERT_TRUE(p.set("insn.divide", 40, "command line").ok());
  ASSERT_TRUE(p.set("bt.translate_per_insn", 2300, "command line").ok());
  EXPECT_EQ(p.event_cost(EventKind::port_io), 500u);
  EXPECT_EQ(p.class_costs()[cpu::kCostDivide], 40u);
  EXPECT_EQ(p.figure("bt.translate_per_insn"), 2300u);
  EXPECT_FALSE(p.set("warp", 1, "command line").ok());
  EXPECT_FALSE(p.set("Bad Key", 1, "command line").ok());
}

// Every shipped profile parses (so every figure in it has a source) and names itself
// after its file.
TEST(CostProfileTest, AFigureIsBoundedSoTheCycleSumCannotWrap) {
  CostProfile p;
  const auto r = p.set("port_io", 18446744073709551615ull, "command line");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "cost 'event.port_io' of 18446744073709551615 cycles is too large: a figure is at most "
            "1000000 cycles (1 ms at 1 GHz)");
  EXPECT_EQ(p.event_cost(EventKind::port_io), 0u);  // unchanged
  EXPECT_TRUE(p.set("port_io", CostProfile::kMaxCycles, "command line").ok());
  EXPECT_FALSE(p.set("vt.entry", CostProfile::kMaxCycles + 1, "command line").ok());
  EXPECT_FALSE(p.figure("vt.entry"));
  const auto file = CostProfile::parse("name = x\nevent.trap = 1000001 | a paper\n", "x.profile");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("x.profile:2: cost 'event.trap' of 1000001 cycles"),
            std::string::npos);
}

TEST(CostProfileTest, ShippedProfilesLoad) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(VMLAB_PROFILES_DIR)) {
    if (entry.path().extension() != ".profile") continue;
    auto r = CostProfile::load_file(entry.path().string());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().name(), entry.path().stem().string());
    EXPECT_FALSE(r.value().description().empty()) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 9u);
}

TEST(CostProfileTest, PaperFiguresAreWhereThePapersPutThem) {
  auto p4 = CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/pentium4.profile");
  ASSERT_TRUE(p4.ok()) << p4.error().message;
  EXPECT_EQ(p4.value().figure("vt.entry"), 2409u);
  EXPECT_EQ(p4.value().figure("vt.exit_page_fault"), 1931u);
  EXPECT_EQ(p4.value().figure("bt.translate_per_insn"), 2300u);
  auto c2 = CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/core2.profile");
  ASSERT_TRUE(c2.ok()) << c2.error().message;
  EXPECT_EQ(c2.value().figure("vt.entry"), 937u);
  EXPECT_EQ(c2.value().figure("vt.exit_page_fault"), 1186u);
  const std::pair<const char*, uint64_t> series[] = {{"prescott", 3963}, {"merom", 1579},
                                                     {"penryn", 1266},   {"nehalem", 1009},
                                                     {"westmere", 761},  {"sandybridge", 784}};
  for (const auto& [cpu, cycles] : series) {
    auto p = CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/vtx-" + cpu + ".profile");
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p.value().figure("vt.round_trip"), cycles) << cpu;
    EXPECT_EQ(p.value().event_cost(EventKind::trap), cycles) << cpu;
  }
}

}  // namespace
}  // namespace vmlab::vmm
