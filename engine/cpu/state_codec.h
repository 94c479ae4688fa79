// ByteWriter and ByteReader: the little-endian encoding of saved machine state — snapshot
// files (engine/snapshot/snapshot_file.h) and the state each part of the machine saves and
// loads itself (Cpu::save_internal, machine::Machine::save_devices, the modes' monitors).
// It lives in engine/cpu, the lowest layer, so that every layer can save its own state.
//
// Saved state is hostile input (docs/snapshots.md, "Trust"): the reader never reads past
// its span; a read that would sets failed() and returns zeros, and the caller checks
// failed() once at the end of a section. A loader also fails() a value out of its range
// (fail(), below) so that one check at the end refuses the whole section.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace vmlab::cpu {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(std::span<const uint8_t> b) {
    out_.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  // A length (u32) and the bytes.
  void string(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  // Overwrites the u32 at `at` (a count written before it was known).
  void patch_u32(size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) out_[at + i] = static_cast<char>(v >> (8 * i));
  }
  std::span<const uint8_t> data() const {
    return {reinterpret_cast<const uint8_t*>(out_.data()), out_.size()};
  }
  std::vector<uint8_t> take() const { return {out_.begin(), out_.end()}; }

 private:
  void put(uint64_t v, int n) {
    char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<char>(v >> (8 * i));
    out_.append(b, static_cast<size_t>(n));
  }
  // A string, not a vector: GCC 12's -Wstringop-overflow misreads vector growth here.
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}

  uint8_t u8() { return static_cast<uint8_t>(get(1)); }
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  // A bool written by ByteWriter::boolean: any other byte fails.
  bool boolean() {
    const uint8_t v = u8();
    if (v > 1) failed_ = true;
    return v == 1;
  }
  // A byte that must be below `limit` (an enum, an index): otherwise failed() and 0.
  uint8_t u8_below(unsigned limit) {
    const uint8_t v = u8();
    if (v >= limit) {
      failed_ = true;
      return 0;
    }
    return v;
  }
  // A u32 that must be at most `max`: otherwise failed() and 0.
  uint32_t u32_at_most(uint64_t max) {
    const uint32_t v = u32();
    if (v > max) {
      failed_ = true;
      return 0;
    }
    return v;
  }
  // Marks the input bad (a loader's own check failed).
  void fail() { failed_ = true; }
  // `n` bytes, or an empty span (and failed()) when fewer are left.
  std::span<const uint8_t> bytes(uint64_t n) {
    if (failed_ || n > remaining()) {
      failed_ = true;
      return {};
    }
    auto s = in_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  // A string of at most `max` bytes.
  std::string string(uint32_t max = 1u << 20) {
    const uint32_t n = u32();
    if (n > max) {
      failed_ = true;
      return {};
    }
    auto b = bytes(n);
    return std::string(b.begin(), b.end());
  }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  bool failed() const { return failed_; }
  // True when everything was read and nothing failed.
  bool done() const { return !failed_ && pos_ == in_.size(); }

 private:
  uint64_t get(int n) {
    if (failed_ || static_cast<size_t>(n) > remaining()) {
      failed_ = true;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{in_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace vmlab::cpu
