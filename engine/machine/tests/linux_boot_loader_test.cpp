// The Linux/x86 boot-protocol loader (and the choice between it and Multiboot) against
// bzImages built byte by byte, and against hostile headers.
#include "engine/machine/linux_boot_loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "engine/machine/kernel_loader.h"
#include "engine/machine/tests/elf_builder.h"

namespace vmlab::machine {
namespace {

using LB = LinuxBootLoader;
using Protocol = MultibootLoader::Protocol;

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A protocol-2.15 bzImage: one setup sector after the boot sector, then `payload`.
std::vector<uint8_t> bzimage(const std::vector<uint8_t>& payload, uint32_t init_size = 0x10000) {
  std::vector<uint8_t> b(1024 + payload.size(), 0);
  b[LB::kSetupSects] = 1;
  put16(b, LB::kBootFlag, 0xAA55);
  b[LB::kJump] = 0xEB;
  b[LB::kJump + 1] = 0x6A;  // the header ends at 0x26C
  put32(b, LB::kHeaderMagicOff, LB::kHeaderMagic);
  put16(b, LB::kVersion, 0x020F);
  b[LB::kLoadFlags] = LB::kLoadedHigh;
  put32(b, LB::kCode32Start, 0x100000);
  put32(b, LB::kInitrdAddrMax, 0x7FFFFFFF);
  put32(b, LB::kKernelAlignment, 0x1000);
  b[LB::kRelocatable] = 1;
  put32(b, LB::kCmdlineSize, 0x7FF);
  put32(b, LB::kPrefAddress, 0x100000);
  put32(b, LB::kInitSize, init_size);
  for (size_t i = 0; i < payload.size(); ++i) b[1024 + i] = payload[i];
  return b;
}

class LinuxBootLoaderTest : public ::testing::Test {
 protected:
  LinuxBootLoaderTest() : memory_(std::move(PhysicalMemory::create(32).value())) {}

  Result<MultibootLoader::BootInfo> load(const std::vector<uint8_t>& image,
                                         const std::string& cmdline = "",
                                         const std::vector<MultibootModule>& initrds = {}) {
    return LB::load_image(image, "bzImage", cmdline, initrds, memory_);
  }
  std::string load_error(const std::vector<uint8_t>& image, const std::string& cmdline = "",
                         const std::vector<MultibootModule>& initrds = {}) {
    auto r = load(image, cmdline, initrds);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string("(loaded)") : r.error().message;
  }
  std::string c_string(uint32_t addr) {
    std::string s;
    while (memory_.read8(addr) != 0) s.push_back(static_cast<char>(memory_.read8(addr++)));
    return s;
  }
  uint16_t read16(uint32_t addr) {
    return static_cast<uint16_t>(memory_.read8(addr) | memory_.read8(addr + 1) << 8);
  }
  std::string temp_file(const std::string& leaf, size_t size) {
    const std::string path = ::testing::TempDir() + leaf;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    for (size_t i = 0; i < size; ++i) std::fputc(static_cast<int>(i & 0xFF), f);
    std::fclose(f);
    return path;
  }

  PhysicalMemory memory_;
};

TEST_F(LinuxBootLoaderTest, LoadsTheKernelAtOneMibAndFillsBootParams) {
  auto r = load(bzimage({0xF4, 0xEB, 0xFD, 0x90}), "console=ttyS0 quiet");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& info = r.value();
  EXPECT_EQ(info.protocol, Protocol::kLinux);
  EXPECT_EQ(info.boot_protocol_version, 0x020F);
  EXPECT_EQ(info.kernel_start, 0x100000u);
  EXPECT_EQ(info.kernel_end, 0x100004u);
  EXPECT_EQ(info.info_addr, LB::kBootParams);
  EXPECT_EQ(info.entry, LB::kStubAddr + 0x30);
  EXPECT_EQ(memory_.read32(0x100000), 0x90FDEBF4u);
  const uint32_t bp = LB::kBootParams;
  EXPECT_EQ(memory_.read32(bp + LB::kHeaderMagicOff), LB::kHeaderMagic);
  EXPECT_EQ(read16(bp + LB::kVersion), 0x020F);
  EXPECT_EQ(memory_.read8(bp + LB::kTypeOfLoader), 0xFF);
  EXPECT_EQ(memory_.read8(bp + LB::kExtLoaderType), 0);
  EXPECT_EQ(memory_.read32(bp + LB::kCode32Start), 0x100000u);
  EXPECT_EQ(memory_.read32(bp + LB::kCmdLinePtr), LB::kCmdlineAddr);
  EXPECT_EQ(c_string(LB::kCmdlineAddr), "console=ttyS0 quiet");
  EXPECT_EQ(memory_.read32(bp + LB::kRamdiskImage), 0u);
  EXPECT_EQ(memory_.read32(bp + LB::kAltMemK), (32u << 10) - 1024);
  // Nothing of the image past the header's end (0x26C) reaches boot_params.
  EXPECT_EQ(memory_.read32(bp + 0x26C), 0u);
  // The e820 map: the same four ranges as the Multiboot memory map.
  ASSERT_EQ(memory_.read8(bp + LB::kE820Entries), 4);
  const uint32_t want[4][3] = {{0, 0x9FC00, 1},
                               {0x9FC00, 0x400, 2},
                               {0xF0000, 0x10000, 2},
                               {0x100000, (32u << 20) - 0x100000, 1}};
  for (uint32_t i = 0; i < 4; ++i) {
    const uint32_t e = bp + LB::kE820Table + 20 * i;
    EXPECT_EQ(memory_.read32(e), want[i][0]) << i;
    EXPECT_EQ(memory_.read32(e + 4), 0u) << i;
    EXPECT_EQ(memory_.read32(e + 8), want[i][1]) << i;
    EXPECT_EQ(memory_.read32(e + 16), want[i][2]) << i;
  }
  // screen_info: 80x25 VGA text mode 3.
  EXPECT_EQ(memory_.read8(bp + 0x06), 3);
  EXPECT_EQ(memory_.read8(bp + 0x07), 80);
  EXPECT_EQ(memory_.read8(bp + 0x0E), 25);
  // The BIOS data area is there too: COM1 at 0x3F8.
  EXPECT_EQ(read16(0x400), 0x3F8);
}

TEST_F(LinuxBootLoaderTest, TheBootStubLoadsTheProtocolsGdtAndRegisters) {
  ASSERT_TRUE(load(bzimage({0xF4})).ok());
  // GDT: null, unused, __BOOT_CS 0x10 flat execute/read, __BOOT_DS 0x18 flat read/write.
  EXPECT_EQ(memory_.read32(LB::kStubAddr + 0x10), 0x0000FFFFu);
  EXPECT_EQ(memory_.read32(LB::kStubAddr + 0x14), 0x00CF9B00u);
  EXPECT_EQ(memory_.read32(LB::kStubAddr + 0x18), 0x0000FFFFu);
  EXPECT_EQ(memory_.read32(LB::kStubAddr + 0x1C), 0x00CF9300u);
  EXPECT_EQ(read16(LB::kStubAddr + 0x20), 31);  // the pseudo-descriptor's limit
  EXPECT_EQ(memory_.read32(LB::kStubAddr + 0x22), LB::kStubAddr);
  // The code, byte for byte: cli; lgdt; ljmp 0x10; mov eax,0x18; mov ds/es/ss/fs/gs;
  // mov esi,0x10000; xor ebx/edi/ebp; ljmp 0x10:0x100000.
  const std::vector<uint8_t> want = {0xFA, 0x0F, 0x01, 0x15, 0x20, 0x10, 0x01, 0x00, 0xEA, 0x3F,
                                     0x10, 0x01, 0x00, 0x10, 0x00, 0xB8, 0x18, 0x00, 0x00, 0x00,
                                     0x8E, 0xD8, 0x8E, 0xC0, 0x8E, 0xD0, 0x8E, 0xE0, 0x8E, 0xE8,
                                     0xBE, 0x00, 0x00, 0x01, 0x00, 0x31, 0xDB, 0x31, 0xFF, 0x31,
                                     0xED, 0xEA, 0x00, 0x00, 0x10, 0x00, 0x10, 0x00};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(memory_.read8(LB::kStubAddr + 0x30 + static_cast<uint32_t>(i)), want[i]) << i;
}

TEST_F(LinuxBootLoaderTest, TheInitrdGoesPageAlignedAtTheTopOfWhatTheKernelMayAddress) {
  const std::string path = temp_file("linux_boot_initrd", 5000);
  auto r = load(bzimage({0xF4}), "", {{path, ""}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const uint32_t at = ((32u << 20) - 5000) & ~0xFFFu;
  EXPECT_EQ(memory_.read32(LB::kBootParams + LB::kRamdiskImage), at);
  EXPECT_EQ(memory_.read32(LB::kBootParams + LB::kRamdiskSize), 5000u);
  EXPECT_EQ(memory_.read8(at + 4999), 4999 & 0xFF);
  EXPECT_EQ(r.value().loaded_end, at + 5000);
  // initrd_addr_max below the end of RAM bounds it.
  auto image = bzimage({0xF4});
  put32(image, LB::kInitrdAddrMax, 0x00FFFFFF);
  ASSERT_TRUE(load(image, "", {{path, ""}}).ok());
  EXPECT_EQ(memory_.read32(LB::kBootParams + LB::kRamdiskImage), (0x1000000u - 5000) & ~0xFFFu);
  std::remove(path.c_str());
}

TEST_F(LinuxBootLoaderTest, ChoosesMultibootFirstThenTheLinuxProtocol) {
  auto image = bzimage({0xF4});
  EXPECT_EQ(kernel_protocol(image), Protocol::kLinux);
  // A valid Multiboot header anywhere in the first 8192 bytes wins, as QEMU checks it first.
  const auto mb = testing::multiboot_header(0x3);
  std::copy(mb.begin(), mb.end(), image.begin() + 0x300);
  EXPECT_EQ(kernel_protocol(image), Protocol::kMultiboot);
  // A bad checksum is no Multiboot header.
  image[0x308] ^= 1;
  EXPECT_EQ(kernel_protocol(image), Protocol::kLinux);
  EXPECT_EQ(kernel_protocol(std::vector<uint8_t>(16, 0)), Protocol::kMultiboot);
}

TEST_F(LinuxBootLoaderTest, TheKernelGetsTheArgumentsAfterTheImagePath) {
  EXPECT_EQ(linux_command_line("/boot/vmlinuz console=ttyS0", "/boot/vmlinuz"), "console=ttyS0");
  EXPECT_EQ(linux_command_line("/boot/vmlinuz", "/boot/vmlinuz"), "");
  EXPECT_EQ(linux_command_line("/boot/vmlinuzX a", "/boot/vmlinuz"), "/boot/vmlinuzX a");
  EXPECT_EQ(linux_command_line("root=/dev/sda", "other"), "root=/dev/sda");
  auto mem = std::move(PhysicalMemory::create(32).value());
  ASSERT_TRUE(load_kernel_image(bzimage({0xF4}), "k", "k a=b", {}, mem).ok());
  std::string s;
  for (uint32_t a = LB::kCmdlineAddr; mem.read8(a) != 0; ++a)
    s.push_back(static_cast<char>(mem.read8(a)));
  EXPECT_EQ(s, "a=b");
}

TEST_F(LinuxBootLoaderTest, MalformedHeadersAreRefusedWithTheirReason) {
  auto image = bzimage({0xF4});
  image[LB::kSetupSects] = 200;
  EXPECT_EQ(load_error(image),
            "bzImage: setup_sects 200 puts the protected-mode kernel at file offset 0x19200, at "
            "or past the end of the file (1025 bytes)");
  image = bzimage({0xF4});
  image[LB::kSetupSects] = 0;  // 0 means 4: 2560 bytes of setup
  EXPECT_NE(load_error(image).find("setup_sects 4 puts"), std::string::npos);
  image = bzimage({0xF4});
  put16(image, LB::kBootFlag, 0x1234);
  EXPECT_EQ(load_error(image), "bzImage: boot_flag at 0x1FE is 0x1234, not 0xAA55");
  image = bzimage({0xF4});
  put16(image, LB::kVersion, 0x0201);
  EXPECT_EQ(load_error(image),
            "bzImage: Linux boot protocol 2.01 is older than 2.02 (the first with cmd_line_ptr), "
            "which this loader needs");
  image = bzimage({0xF4});
  image[LB::kLoadFlags] = 0;
  EXPECT_NE(load_error(image).find("a zImage"), std::string::npos);
  image = bzimage({0xF4});
  put32(image, LB::kKernelAlignment, 0x3000);
  EXPECT_EQ(load_error(image),
            "bzImage: kernel_alignment 0x3000 (0x230) of a relocatable kernel is not a power of "
            "two");
  // Debian's 686 kernel: pref_address 16 MiB, init_size 0x100C000.
  image = bzimage({0xF4}, 0x100C000);
  put32(image, LB::kPrefAddress, 0x1000000);
  put32(image, LB::kKernelAlignment, 0x1000000);
  EXPECT_EQ(load_error(image),
            "bzImage: the kernel decompresses into 0x01000000-0x0200BFFF (pref_address 0x258, "
            "init_size 0x260), beyond RAM (32 MiB); the guest needs 33 MiB of RAM");
  image = bzimage({0xF4});
  put32(image, LB::kPrefAddress, 0xFFFFFFFF);
  put32(image, LB::kPrefAddress + 4, 0xFFFFFFFF);
  EXPECT_NE(load_error(image).find("beyond RAM"), std::string::npos);
  image = bzimage({0xF4});
  put32(image, LB::kCmdlineSize, 3);
  EXPECT_EQ(load_error(image, "abcd"),
            "bzImage: the command line (4 bytes) is longer than the kernel accepts (cmdline_size "
            "3)");
  EXPECT_EQ(load_error(bzimage({0xF4}), "", {{"a", ""}, {"b", ""}}),
            "bzImage: a Linux kernel takes one initrd (2 given)");
  EXPECT_EQ(load_error(bzimage({0xF4}), "", {{"/nonexistent-initrd", "x=1"}}),
            "/nonexistent-initrd: a Linux initrd takes no arguments (got 'x=1')");
  std::vector<uint8_t> big(33u << 20, 0);
  EXPECT_NE(load_error(bzimage(big)).find("does not fit in RAM (32 MiB)"), std::string::npos);
  EXPECT_NE(load_error(std::vector<uint8_t>(100, 0)).find("no Linux boot-protocol setup header"),
            std::string::npos);
}

// Every header byte is the guest's: random headers must load or be refused, never write
// outside RAM (the sanitizer build checks every write) nor loop.
TEST_F(LinuxBootLoaderTest, HostileHeadersNeverEscapeRam) {
  std::mt19937 rng(12);
  const auto base = bzimage(std::vector<uint8_t>(4096, 0x90));
  unsigned loaded = 0, refused = 0;
  for (int round = 0; round < 4000; ++round) {
    auto image = base;
    const int flips = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < flips; ++i) {
      const size_t off = 0x1F1 + rng() % (0x270 - 0x1F1);
      image[off] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) image.resize(rng() % image.size());
    auto r = load(image, "console=ttyS0");
    if (r.ok()) {
      ++loaded;
      EXPECT_EQ(r.value().entry, LB::kStubAddr + 0x30);
      EXPECT_LE(r.value().loaded_end, memory_.size_bytes());
    } else {
      ++refused;
      EXPECT_EQ(r.error().message.rfind("bzImage: ", 0), 0u) << r.error().message;
    }
  }
  EXPECT_GT(loaded, 100u);
  EXPECT_GT(refused, 100u);
}

}  // namespace
}  // namespace vmlab::machine
