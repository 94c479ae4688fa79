#include "engine/vmm/trace/json_writer.h"

#include <gtest/gtest.h>

namespace vmlab::vmm {
namespace {

std::string escaped(std::string_view s) {
  std::string out;
  JsonWriter::append_escaped(out, s);
  return out;
}

TEST(JsonWriterTest, EscapesWhatRfc8259Requires) {
  EXPECT_EQ(escaped("plain"), "\"plain\"");
  EXPECT_EQ(escaped("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(escaped("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(escaped(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(escaped("/"), "\"/\"");
}

TEST(JsonWriterTest, KeepsValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(escaped("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(escaped("\x80"), "\"\\u0080\"");
  EXPECT_EQ(escaped("\xc3"), "\"\\u00c3\"");
  EXPECT_EQ(escaped("\xc0\xaf"), "\"\\u00c0\\u00af\"");
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
}

TEST(JsonWriterTest, CompactNesting) {
  JsonWriter j;
  j.begin_object().key("a").value(uint64_t{1}).key("b").begin_array();
  j.value("x").value(true).null().begin_object().end_object().end_array();
  j.key("c").fixed(1.25, 1).key("d").number_text("82.0").key("e").value(int64_t{-3});
  j.end_object();
  EXPECT_EQ(j.str(), R"({"a":1,"b":["x",true,null,{}],"c":1.2,"d":82.0,"e":-3})");
}

TEST(JsonWriterTest, PrettyWithInlineObjects) {
  JsonWriter j(true);
  j.begin_object().key("n").value(uint64_t{1}).key("k").begin_inline_object();
  j.key("id").value(uint64_t{2}).key("count").value(uint64_t{3}).end_object();
  j.key("empty").begin_array().end_array().end_object();
  EXPECT_EQ(j.str(), "{\n  \"n\": 1,\n  \"k\": {\"id\": 2, \"count\": 3},\n  \"empty\": []\n}");
}

TEST(JsonWriterTest, RecognisesJsonNumbers) {
  for (const char* ok : {"0", "82.0", "-1", "1e5", "1.5E-3", "12345678901234567890"}) {
    EXPECT_TRUE(JsonWriter::is_json_number(ok)) << ok;
  }
  for (const char* bad : {"", "01", "1.", ".5", "0x10", "+1", "1e", "abc", "8.2.1", "-"}) {
    EXPECT_FALSE(JsonWriter::is_json_number(bad)) << bad;
  }
  JsonWriter j;
  j.number_text("0x10");  // not a number: written as a string
  EXPECT_EQ(j.str(), "\"0x10\"");
}

}  // namespace
}  // namespace vmlab::vmm
