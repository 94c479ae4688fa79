// The run directory's translations.jsonl (bt_run_record.h): one line per live fragment of
// the translation cache, each with bt-dump's text for it, the newest kept within the bound,
// and nothing under a mode without a translation cache.
#include <gtest/gtest.h>

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
            "{\"schema\":\"vmlab-bt-translations/1\",\"fragments\":4,\"written\":4,"
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
            "{\"schema\":\"vmlab-bt-translations/1\",\"fragments\":4,\"written\":2,"
            "\"limit_bytes\":" +
                std::to_string(bound) + "}");
  EXPECT_EQ(kept[1], all[3]);
  EXPECT_EQ(kept[2], all[4]);
  // A bound smaller than any line: the header alone.
  EXPECT_EQ(lines_of(run_record(*vm_, 10)).size(), 1u);
}

TEST(BtRunRecordTest, AModeWithoutATranslationCacheRecordsNothing) {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  // No mode: native.
  auto vm = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(vm.ok()) << vm.error().message;
  EXPECT_EQ(run_record(*vm.value()), "");
}

}  // namespace
}  // namespace vmlab::modes::bt
