// The run directory's translations.jsonl (bt_run_record.h): one line per live fragment of
// the translation cache, each with bt-dump's text for it, the newest kept within the bound,
// and nothing under a mode without a translation cache; with start_run_record, the
// fragments a full cache flushed on the way too, with when and why, the run unchanged.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "engine/vmm/trace/json_writer.h"
#include "modes/binary-translation/bt_dump.h"
#include "modes/binary-translation/bt_run_record.h"
#include "modes/binary-translation/tests/bt_guest_fixture.h"

namespace vmlab::modes::bt {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The JSON string `text` as JsonWriter writes it.
std::string quoted(const std::string& text) {
  std::string out;
  vmm::JsonWriter::append_escaped(out, text);
  return out;
}

TEST_F(BtGuestTest, TheRunRecordHoldsEveryLiveFragmentAsBtDumpPrintsIt) {
  // mov ecx,3; L: dec ecx; jnz L: four fragments (the program's start, the loop's body, the
  // exit's callout and what follows it).
  run(0x1000, {0xB9, 0x03, 0x00, 0x00, 0x00, 0x49, 0x75, 0xFD});
  const auto rows = vm_->translations();
  ASSERT_EQ(rows.size(), 4u);
  const bool expect_mapped = !vm_->page_walk(0x1000, 1, 1).empty();
  const uint64_t translated = count(vmm::EventKind::bt_translate);
  const std::string record = run_record(*vm_);
  // Reading the record translated nothing.
  EXPECT_EQ(count(vmm::EventKind::bt_translate), translated);
  EXPECT_EQ(vm_->translations().size(), rows.size());
  const auto lines = lines_of(record);
  ASSERT_EQ(lines.size(), 1 + rows.size());
  EXPECT_EQ(lines[0],
            "{\"schema\":\"vmlab-bt-translations/2\",\"fragments\":4,\"written\":4,"
            "\"limit_bytes\":4194304}");
  for (size_t i = 0; i < rows.size(); ++i) {
    const vmm::TranslationRow& f = rows[i];
    const auto detail = vm_->translation(f.guest_start);
    ASSERT_TRUE(detail);
    // The program's page, mapped as the guest's tables (none: paging off) map it.
    const auto page = vm_->page_walk(f.guest_start & ~0xFFFu, 1, 1);
    const bool mapped = page.size() == 1 && page[0].guest_address.has_value();
    EXPECT_EQ(mapped, expect_mapped);
    std::ostringstream want;
    want << "{\"index\":" << f.index << ",\"guest_start\":" << f.guest_start
         << ",\"guest_bytes\":" << f.guest_bytes << ",\"tc_start\":" << f.tc_start
         << ",\"tc_end\":" << f.tc_end << ",\"guest_insns\":" << f.guest_insns
         << ",\"translated_insns\":" << f.translated_insns << ",\"callouts\":" << f.callouts
         << ",\"guest_mapped\":" << (mapped ? "true" : "false")
         << ",\"text\":" << quoted(format_translation(*detail)) << "}";
    EXPECT_EQ(lines[1 + i], want.str());
  }
  EXPECT_NE(lines[1].find("fragment 0: guest 00001000"), std::string::npos) << lines[1];
  // The same run, the same bytes.
  EXPECT_EQ(run_record(*vm_), record);
}

TEST_F(BtGuestTest, TheRunRecordKeepsTheNewestFragmentsWithinItsBound) {
  run(0x1000, {0xB9, 0x03, 0x00, 0x00, 0x00, 0x49, 0x75, 0xFD});
  const auto all = lines_of(run_record(*vm_));
  ASSERT_EQ(all.size(), 5u);
  // Room for the last two fragments' lines (and their newlines), not for a third.
  const size_t bound = all[3].size() + all[4].size() + 2;
  const auto kept = lines_of(run_record(*vm_, bound));
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0],
            "{\"schema\":\"vmlab-bt-translations/2\",\"fragments\":4,\"written\":2,"
            "\"limit_bytes\":" +
                std::to_string(bound) + "}");
  EXPECT_EQ(kept[1], all[3]);
  EXPECT_EQ(kept[2], all[4]);
  // A bound smaller than any line: the header alone.
  EXPECT_EQ(lines_of(run_record(*vm_, 10)).size(), 1u);
}

// 300 blocks of `inc eax; jz +0`: each branch ends a fragment, so the program fills a
// cache of a few KiB (TranslationCache::set_capacity) several times over.
std::vector<uint8_t> many_fragments() {
  std::vector<uint8_t> code;
  for (int i = 0; i < 300; ++i) code.insert(code.end(), {0x40, 0x74, 0x00});
  return code;
}

// A field of a JSON line as JsonWriter writes it: the digits after "key":.
uint64_t number_after(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(line.substr(at + key.size() + 3));
}

TEST_F(BtGuestTest, TheRunRecordKeepsTheFragmentsAFlushDropped) {
  TranslationCache& cache = monitor_->cache();
  cache.set_capacity(cache.used_bytes() + 4096 + 2048);
  ASSERT_TRUE(start_run_record(*vm_));
  const machine::RunResult r = run(0x1000, many_fragments());
  const uint64_t flushes = count(vmm::EventKind::bt_flush);
  ASSERT_GE(flushes, 2u);
  const auto rows = vm_->translations();
  const uint64_t translated = count(vmm::EventKind::bt_translate);
  const auto lines = lines_of(run_record(*vm_));
  // Every fragment made and not live at the end was dropped by a flush, and all fit.
  const uint64_t dropped = translated - rows.size();
  ASSERT_EQ(lines.size(), 1 + translated);
  EXPECT_EQ(lines[0],
            "{\"schema\":\"vmlab-bt-translations/2\",\"fragments\":" + std::to_string(rows.size()) +
                ",\"written\":" + std::to_string(rows.size()) +
                ",\"dropped\":" + std::to_string(dropped) +
                ",\"dropped_written\":" + std::to_string(dropped) + ",\"limit_bytes\":4194304}");
  // The dropped ones first, in the order they went (cycles never go back), each a fragment
  // of the program with bt-dump's text; then the live ones as before.
  uint64_t last_cycle = 0;
  uint32_t expect_guest = 0;  // each flush starts again at the block the guest was at
  for (size_t i = 1; i <= dropped; ++i) {
    const std::string& line = lines[i];
    EXPECT_NE(line.find("\"dropped\":\"flush\""), std::string::npos) << line;
    const uint64_t cycle = number_after(line, "dropped_cycle");
    EXPECT_GE(cycle, last_cycle);
    EXPECT_LE(cycle, r.cycles);
    EXPECT_LE(number_after(line, "dropped_instructions"), r.instructions);
    last_cycle = cycle;
    const uint64_t guest = number_after(line, "guest_start");
    EXPECT_GE(guest, 0x1000u);
    EXPECT_LT(guest, 0x1000u + 5 + 900 + 4);
    char head[64];
    std::snprintf(head, sizeof head, "guest %08llx", static_cast<unsigned long long>(guest));
    EXPECT_NE(line.find(head), std::string::npos) << line;
    expect_guest = static_cast<uint32_t>(guest);
  }
  EXPECT_GT(expect_guest, 0u);
  for (size_t i = dropped + 1; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].find("\"dropped\""), std::string::npos) << lines[i];
  }
  // The bound keeps the live fragments, then the newest dropped ones.
  size_t live_bytes = 0;
  for (size_t i = dropped + 1; i < lines.size(); ++i) live_bytes += lines[i].size() + 1;
  const auto kept = lines_of(run_record(*vm_, live_bytes + lines[dropped].size() + 1));
  ASSERT_EQ(kept.size(), 2 + rows.size());
  EXPECT_NE(kept[0].find("\"dropped\":" + std::to_string(dropped) + ",\"dropped_written\":1,"),
            std::string::npos)
      << kept[0];
  EXPECT_EQ(kept[1], lines[dropped]);

  // Keeping them changed nothing of the run: the same guest without the record.
  const uint64_t cycles = r.cycles, instructions = r.instructions;
  const vmm::EventCounters counters = vm_->recorder().counters();
  create();
  monitor_->cache().set_capacity(monitor_->cache().used_bytes() + 4096 + 2048);
  const machine::RunResult again = run(0x1000, many_fragments());
  EXPECT_EQ(again.cycles, cycles);
  EXPECT_EQ(again.instructions, instructions);
  EXPECT_EQ(vm_->recorder().counters().count, counters.count);
  EXPECT_EQ(vm_->recorder().counters().cycles, counters.cycles);
  // Without start_run_record, the file has the live fragments only, and says nothing of drops.
  const auto live_only = lines_of(run_record(*vm_));
  ASSERT_EQ(live_only.size(), 1 + vm_->translations().size());
  EXPECT_EQ(live_only[0].find("dropped"), std::string::npos);
}

TEST(BtRunRecordTest, AModeWithoutATranslationCacheRecordsNothing) {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  // No mode: native.
  auto vm = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok()) << vm.error().message;
  EXPECT_EQ(run_record(*vm.value()), "");
  EXPECT_FALSE(start_run_record(*vm.value()));
}

}  // namespace
}  // namespace vmlab::modes::bt
