// SHA-256 (FIPS 180-4), to name the exact kernel image a run used in config.json.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/machine/result.h"

namespace vmlab::vmm {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  std::array<uint8_t, 32> digest();  // finishes; the object must not be updated after

  // Lower-case hex digest of `data`, and of a file's contents.
  static std::string hex(std::span<const uint8_t> data);
  static machine::Result<std::string> hex_of_file(const std::string& path);

 private:
  void block(const uint8_t* p);

  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes
};

}  // namespace vmlab::vmm
