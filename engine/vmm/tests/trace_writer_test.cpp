// The trace files: trace.json's tracks, slices and cycle counters, gzip output that
// decompresses to the plain file byte for byte, and the recorder's kind filter.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/machine/machine.h"
#include "engine/vmm/core/recorder.h"
#include "engine/vmm/trace/chrome_trace_writer.h"
#include "engine/vmm/trace/jsonl_trace_writer.h"

namespace vmlab::vmm {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string gunzip(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  std::string out;
  if (!f) return out;
  char buf[4096];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class TraceWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vmlab_trace_writer_test_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static Event ev(uint64_t seq, uint64_t cycle, uint64_t charged, EventKind kind, uint32_t a) {
    return Event{seq, cycle, charged, 0x0010ABCDu, {a, 2, 3, 4}, kind, 1, ModeId::trap};
  }
  fs::path dir_;
};

TEST_F(TraceWriterTest, EachClassIsATrackOfSlicesWithACycleCounter) {
  EventNamer namer = [](const Event& e) -> std::optional<PayloadName> {
    if (e.kind != EventKind::trap) return std::nullopt;
    return PayloadName{"exit_reason", "I/O instruction"};
  };
  auto w = ChromeTraceWriter::create((dir_ / "trace.json").string(), 1000, namer);
  ASSERT_TRUE(w.ok());
  w.value()->write(ev(0, 1000, 1931, EventKind::trap, 30));
  w.value()->write(ev(1, 2931, 0, EventKind::port_io, 0x80));
  w.value()->write(ev(2, 5000, 1931, EventKind::trap, 30));
  ASSERT_TRUE(w.value()->finish().ok());
  const auto l = lines(read_all(dir_ / "trace.json"));
  ASSERT_EQ(l.size(), 12u);
  EXPECT_EQ(l[0], R"({"displayTimeUnit":"ns","traceEvents":[)");
  // trap's track (tid 1) is named before its first slice; the slice lasts its 1931 cycles
  // (1.931 us at 1000 MHz) and the counter climbs by them at the slice's end.
  EXPECT_EQ(l[2], R"({"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"trap"}},)");
  EXPECT_EQ(l[3],
            R"({"name":"thread_sort_index","ph":"M","pid":1,"tid":1,"args":{"sort_index":1}},)");
  EXPECT_EQ(l[4], R"({"name":"trap","cat":"trap","ph":"X","ts":1.000,"dur":1.931,"pid":1,"tid":1,)"
                  R"("args":{"seq":0,"cycle":1000,"eip":"0x0010ABCD","cpl":1,"charged":1931,)"
                  R"("reason":30,"error_code":2,"exit_reason":"I/O instruction"}},)");
  EXPECT_EQ(l[5], R"({"name":"trap","ph":"C","ts":2.931,"pid":1,"args":{"cycles":1931}},)");
  // port_io: its own track (tid 14), a zero-length slice, no counter (nothing charged).
  EXPECT_EQ(l[6], R"({"name":"thread_name","ph":"M","pid":1,"tid":14,"args":{"name":"port_io"}},)");
  EXPECT_NE(l[8].find(R"("ph":"X","ts":2.931,"dur":0.000,"pid":1,"tid":14)"), std::string::npos);
  // The second trap: no new metadata, the counter at 2 x 1931.
  EXPECT_NE(l[9].find(R"("name":"trap","cat":"trap","ph":"X","ts":5.000)"), std::string::npos);
  EXPECT_EQ(l[10], R"({"name":"trap","ph":"C","ts":6.931,"pid":1,"args":{"cycles":3862}})");
  EXPECT_EQ(l[11], "]}");
}

TEST_F(TraceWriterTest, AGzipTraceDecompressesToThePlainOne) {
  for (const char* name : {"trace.jsonl", "trace.jsonl.gz", "trace.json", "trace.json.gz"}) {
    const std::string path = (dir_ / name).string();
    std::unique_ptr<TraceWriter> w;
    if (std::string(name).starts_with("trace.jsonl")) {
      w = std::move(JsonlTraceWriter::create(path).value());
    } else {
      w = std::move(ChromeTraceWriter::create(path, 1000).value());
    }
    for (uint64_t i = 0; i < 20000; ++i) {
      w->write(ev(i, 100 * i, i % 3, i % 2 ? EventKind::trap : EventKind::hidden_fault,
                  static_cast<uint32_t>(i)));
    }
    ASSERT_TRUE(w->finish().ok());
  }
  const std::string jsonl = read_all(dir_ / "trace.jsonl");
  const std::string chrome = read_all(dir_ / "trace.json");
  EXPECT_EQ(gunzip(dir_ / "trace.jsonl.gz"), jsonl);
  EXPECT_EQ(gunzip(dir_ / "trace.json.gz"), chrome);
  // Trace text is repetitive: the compressed files are several times smaller.
  EXPECT_LT(fs::file_size(dir_ / "trace.jsonl.gz") * 4, jsonl.size());
  EXPECT_LT(fs::file_size(dir_ / "trace.json.gz") * 4, chrome.size());
}

TEST_F(TraceWriterTest, ATraceThatCannotBeCreatedIsAnError) {
  EXPECT_FALSE(ChromeTraceWriter::create((dir_ / "no/such/trace.json.gz").string(), 1000).ok());
  EXPECT_FALSE(JsonlTraceWriter::create((dir_ / "no/such/trace.jsonl").string()).ok());
}

class CountingWriter : public TraceWriter {
 public:
  void write(const Event& e) override { kinds.push_back(e.kind); }
  machine::Result<void> finish() override { return {}; }
  std::vector<EventKind> kinds;
};

TEST_F(TraceWriterTest, TheFilterKeepsOnlyTheChosenKindsAndTheLimitCountsOnlyThose) {
  machine::MachineConfig config;
  config.memory_mib = 4;
  auto m = machine::Machine::create(std::move(config));
  ASSERT_TRUE(m.ok());
  Recorder rec(ModeId::trap, m.value()->cpu());
  auto writer = std::make_unique<CountingWriter>();
  CountingWriter* w = writer.get();
  rec.add_writer(std::move(writer));
  std::bitset<kNumEventKinds> kinds;
  kinds.set(index_of(EventKind::trap));
  rec.set_trace_filter(kinds);
  rec.set_trace_limit(2);
  for (int i = 0; i < 3; ++i) {
    rec.record(EventKind::port_io, {0x80, 1, 0, 2});
    rec.record(EventKind::trap, {30, 0, 0, 0});
  }
  EXPECT_EQ(w->kinds, (std::vector<EventKind>{EventKind::trap, EventKind::trap}));
  EXPECT_EQ(rec.trace_events_written(), 2u);
  EXPECT_EQ(rec.trace_events_dropped(), 1u);  // the third trap; never the port accesses
  EXPECT_EQ(rec.counters().count_of(EventKind::port_io), 3u);  // counted all the same
}

}  // namespace
}  // namespace vmlab::vmm
