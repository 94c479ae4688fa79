// Little-endian fields at a byte offset in an image (the caller checks the offset against
// the image's size first), and printf-style messages for the errors that name them. Shared
// by the Multiboot and Linux boot-protocol loaders, the gdb stub's register packets
// (engine/debug) and the CLI's guest file system images (cli/diskfs.cpp).
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

namespace vmlab::machine::image_bytes {

inline uint16_t get16(std::span<const uint8_t> b, size_t off) {
  return static_cast<uint16_t>(b[off] | b[off + 1] << 8);
}
inline uint32_t get32(std::span<const uint8_t> b, size_t off) {
  return uint32_t{b[off]} | uint32_t{b[off + 1]} << 8 | uint32_t{b[off + 2]} << 16 |
         uint32_t{b[off + 3]} << 24;
}
inline uint64_t get64(std::span<const uint8_t> b, size_t off) {
  return uint64_t{get32(b, off)} | uint64_t{get32(b, off + 4)} << 32;
}

inline void set32(std::span<uint8_t> b, size_t off, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

inline std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

}  // namespace vmlab::machine::image_bytes
