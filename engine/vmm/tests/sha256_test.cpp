// FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf" examples, and the one-million-'a'
// message of the NIST test suite).
#include "engine/vmm/trace/sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vmlab::vmm {
namespace {

std::string hex_of(const std::string& s) {
  return Sha256::hex({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex_of(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalUpdatesGiveTheSameDigest) {
  const std::string msg(1000, 'x');
  for (size_t split : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 999u}) {
    Sha256 s;
    s.update({reinterpret_cast<const uint8_t*>(msg.data()), split});
    s.update({reinterpret_cast<const uint8_t*>(msg.data()) + split, msg.size() - split});
    const auto d = s.digest();
    std::string hex;
    char buf[3];
    for (uint8_t b : d) {
      std::snprintf(buf, sizeof buf, "%02x", b);
      hex += buf;
    }
    EXPECT_EQ(hex, hex_of(msg)) << "split at " << split;
  }
}

TEST(Sha256Test, MissingFileIsAnError) {
  auto r = Sha256::hex_of_file("/nonexistent/kernel.elf");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/kernel.elf"), std::string::npos);
}

}  // namespace
}  // namespace vmlab::vmm
