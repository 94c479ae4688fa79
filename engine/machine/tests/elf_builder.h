// Builds small ELF32 and a.out-kludge kernel images byte by byte for the loader and
// machine tests: no toolchain, every field visible in the test.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vmlab::machine::testing {

inline void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  if (b.size() < off + 2) b.resize(off + 2);
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
inline void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  if (b.size() < off + 4) b.resize(off + 4);
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A Multiboot header: magic, flags, checksum, and the a.out-kludge fields when given.
inline std::vector<uint8_t> multiboot_header(uint32_t flags, bool good_checksum = true,
                                             std::vector<uint32_t> aout_fields = {}) {
  std::vector<uint8_t> h;
  put32(h, 0, 0x1BADB002);
  put32(h, 4, flags);
  put32(h, 8, static_cast<uint32_t>(0u - 0x1BADB002u - flags) + (good_checksum ? 0 : 1));
  for (size_t i = 0; i < aout_fields.size(); ++i) put32(h, 12 + 4 * i, aout_fields[i]);
  return h;
}

struct SegmentSpec {
  uint32_t vaddr;
  uint32_t paddr;
  std::vector<uint8_t> data;  // p_filesz bytes
  uint32_t memsz;             // >= data.size(); the rest is bss
};

struct ElfSpec {
  uint32_t entry = 0x100000;
  std::vector<SegmentSpec> segments;
  std::vector<uint8_t> header = multiboot_header(0x00000003);  // at file offset kHeaderOffset
  uint8_t elf_class = 1;                                       // ELFCLASS32
  uint8_t data_order = 1;                                      // ELFDATA2LSB
  uint16_t type = 2;                                           // ET_EXEC
  uint16_t machine = 3;                                        // EM_386
  bool bad_magic = false;
};

constexpr size_t kHeaderOffset = 0x100;
constexpr size_t kFirstSegmentOffset = 0x1000;

inline std::vector<uint8_t> build_elf(const ElfSpec& spec) {
  std::vector<uint8_t> b(kFirstSegmentOffset, 0);
  b[0] = 0x7F;
  b[1] = spec.bad_magic ? 'X' : 'E';
  b[2] = 'L';
  b[3] = 'F';
  b[4] = spec.elf_class;
  b[5] = spec.data_order;
  b[6] = 1;  // EV_CURRENT
  put16(b, 16, spec.type);
  put16(b, 18, spec.machine);
  put32(b, 20, 1);
  put32(b, 24, spec.entry);
  put32(b, 28, 52);  // e_phoff
  put16(b, 40, 52);  // e_ehsize
  put16(b, 42, 32);  // e_phentsize
  put16(b, 44, static_cast<uint16_t>(spec.segments.size()));
  for (size_t i = 0; i < spec.header.size(); ++i) b[kHeaderOffset + i] = spec.header[i];
  size_t offset = kFirstSegmentOffset;
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const SegmentSpec& s = spec.segments[i];
    const size_t ph = 52 + 32 * i;
    put32(b, ph, 1);  // PT_LOAD
    put32(b, ph + 4, static_cast<uint32_t>(offset));
    put32(b, ph + 8, s.vaddr);
    put32(b, ph + 12, s.paddr);
    put32(b, ph + 16, static_cast<uint32_t>(s.data.size()));
    put32(b, ph + 20, s.memsz);
    put32(b, ph + 24, 7);
    put32(b, ph + 28, 0x1000);
    b.resize(offset + s.data.size());
    for (size_t j = 0; j < s.data.size(); ++j) b[offset + j] = s.data[j];
    offset += (s.data.size() + 0xFFF) & ~size_t{0xFFF};
    if (b.size() < offset) b.resize(offset);
  }
  return b;
}

// A one-segment kernel at 1 MiB whose entry runs `code`.
inline std::vector<uint8_t> minimal_kernel(const std::vector<uint8_t>& code) {
  ElfSpec spec;
  spec.entry = 0x100000;
  spec.segments.push_back({0x100000, 0x100000, code, static_cast<uint32_t>(code.size())});
  return build_elf(spec);
}

inline std::string write_temp(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

}  // namespace vmlab::machine::testing
