// The snapshot file format (snapshot_file.h) and its MEM section (vm_capture.h) against
// hostile input: every truncation and corruption is refused with an error, never a crash
// or a read or write out of range (the sanitizer build runs this too).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "engine/snapshot/byte_io.h"
#include "engine/snapshot/snapshot_chain.h"
#include "engine/snapshot/snapshot_file.h"
#include "engine/snapshot/vm_capture.h"
#include "engine/vmm/trace/sha256.h"

namespace vmlab::snapshot {
namespace {

std::vector<uint8_t> memory_image(size_t pages, uint8_t seed) {
  std::vector<uint8_t> m(pages * kPageBytes, 0);
  for (size_t p = 0; p < pages; p += 3) {
    for (size_t i = 0; i < kPageBytes; i += 7) m[p * kPageBytes + i] = uint8_t(seed + p + i);
  }
  return m;
}

SnapshotFile sample(const std::vector<uint8_t>& memory) {
  SnapshotFile f;
  f.vmlab_version = "0.1.0";
  f.fingerprint = {{"mode", "native"}, {"kernel_sha256", "ab"}, {"memory_mib", "4"}};
  ByteWriter pos;
  pos.u64(1234);
  pos.u64(5678);
  pos.u32(0xC0100000);
  pos.u64(5678);
  f.sections.push_back({kPosition, pos.take()});
  f.sections.push_back({kCpu, std::vector<uint8_t>(64, 0x5A)});
  f.sections.push_back(memory_section(memory));
  return f;
}

// Rewrites the trailer so that the checksum matches: corruption the parser must catch.
void reseal(std::vector<uint8_t>& bytes) {
  if (bytes.size() < 32) return;
  vmm::Sha256 h;
  h.update(std::span<const uint8_t>(bytes.data(), bytes.size() - 32));
  const auto d = h.digest();
  std::copy(d.begin(), d.end(), bytes.end() - 32);
}

TEST(SnapshotFile, RoundTrips) {
  const auto memory = memory_image(16, 1);
  const auto bytes = encode(sample(memory));
  auto f = decode(bytes, "t");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f.value().fingerprint, sample(memory).fingerprint);
  std::vector<uint8_t> image;
  ASSERT_TRUE(apply_memory(*f.value().find(kMemory), image, "t"));
  EXPECT_EQ(image, memory);
  auto p = position_of(f.value(), "t");
  ASSERT_TRUE(p);
  EXPECT_EQ(p.value().instructions, 1234u);
  EXPECT_EQ(p.value().cycles, 5678u);
  // Zero pages are left out: 6 of the 16 pages carry data.
  EXPECT_EQ(memory_pages(*f.value().find(kMemory)), 6u);
}

TEST(SnapshotFile, StreamedWriteIsTheEncoding) {
  const auto f = sample(memory_image(16, 5));
  const auto path = std::filesystem::temp_directory_path() / "vmlab_snapshot_stream_test";
  auto w = write_snapshot(path.string(), f);
  ASSERT_TRUE(w) << w.error().message;
  auto back = read_file(path.string());
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value(), encode(f));
  EXPECT_EQ(w.value().bytes, back.value().size());
  EXPECT_EQ(w.value().digest, trailer_of(back.value()));
  std::filesystem::remove(path);
}

TEST(SnapshotFile, RefusesWithDistinctErrors) {
  const auto bytes = encode(sample(memory_image(4, 2)));
  std::vector<uint8_t> other(bytes);
  other[0] = 'X';
  EXPECT_EQ(decode(other, "t").error().code, kErrNotSnapshot);
  other = bytes;
  other[8] = 2;  // format version 2
  EXPECT_EQ(decode(other, "t").error().code, kErrVersion);
  other = bytes;
  other[bytes.size() / 2] ^= 1;
  EXPECT_EQ(decode(other, "t").error().code, kErrCorrupt);
  for (size_t n : {size_t{0}, size_t{5}, size_t{12}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = decode(std::span<const uint8_t>(bytes.data(), n), "t");
    ASSERT_FALSE(r) << n;
  }
}

TEST(SnapshotFile, FingerprintMismatchNamesEachKey) {
  Fingerprint a = {{"mode", "bt"}, {"memory_mib", "32"}};
  Fingerprint b = {{"mode", "pv"}, {"memory_mib", "32"}, {"disk0", "x"}};
  const std::string m = fingerprint_mismatch(a, b);
  EXPECT_NE(m.find("mode: the snapshot has 'bt', this run has 'pv'"), std::string::npos) << m;
  EXPECT_NE(m.find("disk0: the snapshot has none"), std::string::npos) << m;
  EXPECT_EQ(fingerprint_mismatch(a, a), "");
}

// Random corruption, with and without a matching checksum: decode and, when it accepts
// the file, the MEM and POSN readers must refuse or succeed, never fault.
TEST(SnapshotFile, FuzzedFilesNeverCrash) {
  const auto memory = memory_image(8, 3);
  const auto good = encode(sample(memory));
  std::mt19937 rng(18);
  int accepted = 0;
  for (int round = 0; round < 4000; ++round) {
    std::vector<uint8_t> bytes(good);
    const int edits = 1 + int(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0: bytes[rng() % bytes.size()] = uint8_t(rng()); break;
        case 1: bytes.resize(rng() % (bytes.size() + 1)); break;
        case 2:
          bytes.insert(bytes.begin() + long(rng() % (bytes.size() + 1)), uint8_t(rng()));
          break;
        default:  // a length field made huge
          if (bytes.size() > 40) {
            const size_t at = 12 + rng() % (bytes.size() - 40);
            for (int i = 0; i < 4; ++i) bytes[at + i] = 0xFF;
          }
      }
      if (bytes.empty()) break;
    }
    if (round % 2 == 1) reseal(bytes);
    auto f = decode(bytes, "fuzz");
    if (!f) {
      EXPECT_TRUE(f.error().code == kErrCorrupt || f.error().code == kErrVersion ||
                  f.error().code == kErrNotSnapshot);
      continue;
    }
    ++accepted;
    if (const Section* mem = f.value().find(kMemory)) {
      std::vector<uint8_t> image;
      (void)apply_memory(*mem, image, "fuzz");
      std::vector<uint8_t> sized(memory.size(), 0);
      (void)apply_memory(*mem, sized, "fuzz");
    }
    (void)position_of(f.value(), "fuzz");
  }
  // Some resealed files still parse (an edit inside a page's bytes): the readers ran.
  EXPECT_GT(accepted, 0);
}

TEST(SnapshotFile, HostileMemorySectionsAreRefused) {
  std::vector<uint8_t> image;
  ByteWriter w;
  w.u64(2 * kPageBytes);
  w.u32(1);
  w.u32(2);  // page 2 of a two-page memory: out of range
  w.bytes(std::vector<uint8_t>(kPageBytes, 1));
  EXPECT_EQ(apply_memory({kMemory, w.take()}, image, "t").error().code, kErrCorrupt);
  ByteWriter big;
  big.u64(uint64_t{1} << 40);  // larger than any machine
  big.u32(0);
  image.clear();
  EXPECT_FALSE(apply_memory({kMemory, big.take()}, image, "t"));
  ByteWriter lying;
  lying.u64(kPageBytes);
  lying.u32(1000);  // more pages than bytes
  image.clear();
  EXPECT_FALSE(apply_memory({kMemory, lying.take()}, image, "t"));
}

// An incremental chain composes to the full state; a parent replaced or altered is refused.
TEST(SnapshotChain, DiffsComposeAndParentsAreChecked) {
  const auto dir = std::filesystem::temp_directory_path() / "vmlab_snapshot_chain_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto m0 = memory_image(8, 4);
  auto m1 = m0;
  m1[3 * kPageBytes + 9] ^= 0xFF;                     // one page changed
  std::fill(m1.begin(), m1.begin() + kPageBytes, 0);  // one page cleared
  const auto base = encode(sample(m0));
  ASSERT_TRUE(write_file((dir / "a").string(), base));
  SnapshotFile d = sample(m1);
  d.is_diff = true;
  d.parent = "a";
  d.parent_digest = trailer_of(base);
  d.sections.back() = memory_section(m1, m0);
  EXPECT_EQ(memory_pages(d.sections.back()), 2u);
  ASSERT_TRUE(write_file((dir / "b").string(), encode(d)));
  auto loaded = load_chain((dir / "b").string());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded.value().memory, m1);
  EXPECT_EQ(loaded.value().chain_length, 2u);
  EXPECT_EQ(encode(flatten(loaded.value())), encode(sample(m1)));
  // The parent replaced by another full snapshot: refused.
  ASSERT_TRUE(write_file((dir / "a").string(), encode(sample(m1))));
  EXPECT_EQ(load_chain((dir / "b").string()).error().code, kErrMismatch);
  // A diff naming itself as parent is refused as a mismatch, not followed forever.
  d.parent = "b";
  ASSERT_TRUE(write_file((dir / "b").string(), encode(d)));
  EXPECT_FALSE(load_chain((dir / "b").string()));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vmlab::snapshot
