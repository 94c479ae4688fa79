// The Multiboot 1 loader against images built byte by byte.
#include "engine/machine/multiboot_loader.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/machine/tests/elf_builder.h"

namespace vmlab::machine {
namespace {

using testing::build_elf;
using testing::ElfSpec;
using testing::multiboot_header;
using testing::SegmentSpec;
using ML = MultibootLoader;

class MultibootLoaderTest : public ::testing::Test {
 protected:
  MultibootLoaderTest() : memory_(std::move(PhysicalMemory::create(128).value())) {}

  Result<ML::BootInfo> load(const std::vector<uint8_t>& image, const std::string& cmdline = "",
                            const std::vector<MultibootModule>& modules = {}) {
    return ML::load_image(image, "kernel.elf", cmdline, modules, memory_);
  }
  std::string load_error(const std::vector<uint8_t>& image) {
    auto r = load(image);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string("(loaded)") : r.error().message;
  }
  std::string c_string(uint32_t addr) {
    std::string s;
    while (memory_.read8(addr) != 0) s.push_back(static_cast<char>(memory_.read8(addr++)));
    return s;
  }
  // A higher-half kernel: text linked at 0xC0100000 and loaded at 1 MiB, data with bss.
  static ElfSpec higher_half() {
    ElfSpec spec;
    spec.entry = 0xC0100010;
    spec.segments.push_back({0xC0100000, 0x100000, {0x90, 0x90, 0xF4, 0xEB}, 0x20});
    spec.segments.push_back({0xC0102000, 0x102000, {1, 2, 3, 4, 5, 6, 7, 8}, 0x100});
    return spec;
  }

  PhysicalMemory memory_;
};

TEST_F(MultibootLoaderTest, LoadsSegmentsAtPhysicalAddressesAndZeroesBss) {
  memory_.fill(0x100000, 0x3000, 0xCC);
  auto r = load(build_elf(higher_half()), "console=ttyS0 quiet");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ML::BootInfo& info = r.value();
  EXPECT_EQ(info.entry, 0x100010u);  // translated from the virtual e_entry
  EXPECT_EQ(info.info_addr, 0x9000u);
  EXPECT_EQ(info.kernel_start, 0x100000u);
  EXPECT_EQ(info.kernel_end, 0x102100u);
  EXPECT_EQ(info.loaded_end, 0x102100u);  // no modules: the kernel is the last thing loaded
  EXPECT_FALSE(info.aout_kludge);
  EXPECT_EQ(memory_.read32(0x100000), 0xEBF49090u);
  EXPECT_EQ(memory_.read8(0x100004), 0u);  // bss of the text segment
  EXPECT_EQ(memory_.read8(0x10001F), 0u);
  EXPECT_EQ(memory_.read8(0x100020), 0xCCu);  // past memsz: untouched
  EXPECT_EQ(memory_.read32(0x102004), 0x08070605u);
  EXPECT_EQ(memory_.read8(0x1020FF), 0u);
  EXPECT_EQ(memory_.read8(0x102100), 0xCCu);
}

TEST_F(MultibootLoaderTest, InformationStructureFields) {
  auto r = load(build_elf(higher_half()), "console=ttyS0 quiet");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const uint32_t mb = r.value().info_addr;
  EXPECT_EQ(memory_.read32(mb + ML::kOffFlags), 0x24Du);  // bits 0, 2, 3, 6, 9
  EXPECT_EQ(memory_.read32(mb + ML::kOffMemLower), 639u);
  EXPECT_EQ(memory_.read32(mb + ML::kOffMemUpper), 127u * 1024);
  EXPECT_EQ(c_string(memory_.read32(mb + ML::kOffCmdline)), "console=ttyS0 quiet");
  EXPECT_EQ(c_string(memory_.read32(mb + ML::kOffLoaderName)), "vmlab");
  EXPECT_EQ(memory_.read32(mb + ML::kOffModsCount), 0u);
  EXPECT_EQ(memory_.read32(mb + 12), 0u);  // boot_device: not given (flag bit 1 clear)

  // The memory map: four entries of 24 bytes (size field 20 + base, length, type).
  ASSERT_EQ(memory_.read32(mb + ML::kOffMmapLength), 96u);
  const uint32_t map = memory_.read32(mb + ML::kOffMmapAddr);
  EXPECT_GE(map, 0x9000u + ML::kInfoSize);
  struct Expected {
    uint64_t base, len;
    uint32_t type;
  } const expected[] = {
      {0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, 127ull << 20, 1}};
  for (uint32_t i = 0; i < 4; ++i) {
    const uint32_t e = map + 24 * i;
    EXPECT_EQ(memory_.read32(e), 20u);
    EXPECT_EQ(memory_.read32(e + 4) | uint64_t{memory_.read32(e + 8)} << 32, expected[i].base);
    EXPECT_EQ(memory_.read32(e + 12) | uint64_t{memory_.read32(e + 16)} << 32, expected[i].len);
    EXPECT_EQ(memory_.read32(e + 20), expected[i].type);
  }
}

TEST_F(MultibootLoaderTest, ModulesArePageAlignedAfterTheKernel) {
  const std::string m1 = testing::write_temp("vmlab_mod1.bin", {'a', 'b', 'c'});
  const std::string m2 = testing::write_temp("vmlab_mod2.bin", std::vector<uint8_t>(5000, 'z'));
  auto r = load(build_elf(higher_half()), "", {{m1, "first arg"}, {m2, ""}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const uint32_t mb = r.value().info_addr;
  ASSERT_EQ(memory_.read32(mb + ML::kOffModsCount), 2u);
  const uint32_t mods = memory_.read32(mb + ML::kOffModsAddr);
  EXPECT_EQ(memory_.read32(mods), 0x103000u);  // the page after the kernel's bss end
  EXPECT_EQ(memory_.read32(mods + 4), 0x103003u);
  EXPECT_EQ(c_string(memory_.read32(mods + 8)), "first arg");
  EXPECT_EQ(memory_.read32(mods + 16), 0x104000u);
  EXPECT_EQ(memory_.read32(mods + 20), 0x104000u + 5000);
  EXPECT_EQ(memory_.read8(0x103001), 'b');
  EXPECT_EQ(memory_.read8(0x104000 + 4999), 'z');
  EXPECT_EQ(r.value().loaded_end, 0x104000u + 5000);  // the end of the last module
}

TEST_F(MultibootLoaderTest, AoutKludgeLoadsFlatImage) {
  // A flat binary whose header sits at its start: load it at 2 MiB, 0x1000 bytes of bss.
  const uint32_t base = 0x200000;
  std::vector<uint8_t> image =
      multiboot_header(ML::kFlagAoutKludge | ML::kFlagMemoryInfo, true,
                       {base, base, base + 0x40, base + 0x1040, base + 0x20});
  image.resize(0x40, 0x90);
  memory_.fill(base, 0x2000, 0xCC);
  auto r = load(image);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r.value().aout_kludge);
  EXPECT_EQ(r.value().entry, base + 0x20);
  EXPECT_EQ(memory_.read32(base), 0x1BADB002u);
  EXPECT_EQ(memory_.read8(base + 0x3F), 0x90u);
  EXPECT_EQ(memory_.read8(base + 0x40), 0u);
  EXPECT_EQ(memory_.read8(base + 0x103F), 0u);
  EXPECT_EQ(memory_.read8(base + 0x1040), 0xCCu);
}

TEST_F(MultibootLoaderTest, AoutKludgeTakesPrecedenceOverElf) {
  ElfSpec spec = higher_half();
  // The header at file offset 0x100 says: the file from offset 0 goes to 0x300000.
  spec.header =
      multiboot_header(ML::kFlagAoutKludge, true, {0x300100, 0x300000, 0x300200, 0, 0x300104});
  auto r = load(build_elf(spec));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().entry, 0x300104u);
  EXPECT_EQ(memory_.read32(0x300000), 0x464C457Fu);  // the ELF header itself, as data
  EXPECT_EQ(memory_.read32(0x100000), 0u);           // segments not loaded
}

TEST_F(MultibootLoaderTest, VideoModeFlagIsAcceptedAndIgnored) {
  ElfSpec spec = higher_half();
  spec.header = multiboot_header(ML::kFlagPageAlign | ML::kFlagMemoryInfo | ML::kFlagVideoMode);
  EXPECT_TRUE(load(build_elf(spec)).ok());
}

TEST_F(MultibootLoaderTest, MissingFile) {
  auto r = ML::load_file("/nonexistent/kernel.elf", "", {}, memory_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "/nonexistent/kernel.elf: cannot open the kernel: No such file or directory");
  EXPECT_EQ(r.error().code, ENOENT);
}

TEST_F(MultibootLoaderTest, MissingModule) {
  auto r = load(build_elf(higher_half()), "", {{"/nonexistent/initrd", ""}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "/nonexistent/initrd: cannot open the module: No such file or directory");
}

TEST_F(MultibootLoaderTest, TooSmall) {
  EXPECT_EQ(load_error({0x7F, 'E', 'L', 'F'}),
            "kernel.elf: the file is too small (4 bytes) to hold a Multiboot header");
}

TEST_F(MultibootLoaderTest, BadElfMagic) {
  ElfSpec spec = higher_half();
  spec.bad_magic = true;
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: not an ELF32 i386 executable, and its Multiboot header has no a.out-"
            "kludge addresses (flag bit 16) to load it by");
}

TEST_F(MultibootLoaderTest, Elf64) {
  ElfSpec spec = higher_half();
  spec.elf_class = 2;
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: not an ELF32 i386 executable: it is ELF64 (Multiboot 1 boots 32-bit "
            "kernels; build with -m32)");
}

TEST_F(MultibootLoaderTest, NotI386) {
  ElfSpec spec = higher_half();
  spec.machine = 40;  // EM_ARM
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: not an ELF32 i386 executable: e_machine is 40, not 3 (EM_386)");
}

TEST_F(MultibootLoaderTest, NotExecutable) {
  ElfSpec spec = higher_half();
  spec.type = 1;  // ET_REL
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: not an ELF32 i386 executable: e_type is 1, not 2 (ET_EXEC); link the "
            "kernel as a static executable");
}

TEST_F(MultibootLoaderTest, NoHeader) {
  ElfSpec spec = higher_half();
  spec.header.clear();
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: no Multiboot header in the first 8192 bytes and no Linux boot-protocol "
            "header (is it a Multiboot kernel or a bzImage?)");
}

TEST_F(MultibootLoaderTest, HeaderBeyond8192BytesIsNotFound) {
  std::vector<uint8_t> image(8192, 0);
  const auto h = multiboot_header(0);
  image.insert(image.end(), h.begin(), h.end());
  EXPECT_EQ(load_error(image),
            "kernel.elf: no Multiboot header in the first 8192 bytes and no Linux boot-protocol "
            "header (is it a Multiboot kernel or a bzImage?)");
}

TEST_F(MultibootLoaderTest, BadChecksum) {
  ElfSpec spec = higher_half();
  spec.header = multiboot_header(3, /*good_checksum=*/false);
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: the Multiboot header at offset 0x100 has a bad checksum (magic + flags "
            "+ checksum must be 0 modulo 2^32)");
}

TEST_F(MultibootLoaderTest, UnsupportedRequiredFlags) {
  ElfSpec spec = higher_half();
  spec.header = multiboot_header(0x00000803);
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: the Multiboot header requires features this loader does not support "
            "(flags 0x00000803, unsupported required bits 0x0800)");
}

TEST_F(MultibootLoaderTest, SegmentBeyondRam) {
  ElfSpec spec = higher_half();
  spec.segments[1].paddr = 0x7FFFF80;  // 128 MiB of RAM end at 0x7FFFFFF
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: segment 1 at physical 0x07FFFF80-0x0800007F lies outside RAM (128 MiB: "
            "0x00000000-0x07FFFFFF)");
}

// A kernel may have segments in conventional memory: the information area goes around
// them (it used to be fixed at 0x9000-0xFFFF and such a kernel was refused).
TEST_F(MultibootLoaderTest, TheInformationAreaAvoidsALowSegment) {
  ElfSpec spec = higher_half();
  spec.segments.push_back({0x8000, 0x8000, std::vector<uint8_t>(0x2000, 0x5A), 0x2000});
  auto r = load(build_elf(spec), "low segment");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const uint32_t mb = r.value().info_addr;
  EXPECT_EQ(mb, 0x1000u);  // the lowest free page: 0x9000 is the kernel's
  EXPECT_EQ(r.value().info_end, 0x1000u + ML::kInfoSize + 96 + 12 + 6);
  EXPECT_EQ(c_string(memory_.read32(mb + ML::kOffCmdline)), "low segment");
  for (uint32_t a = 0x8000; a < 0xA000; a += 4) ASSERT_EQ(memory_.read32(a), 0x5A5A5A5Au) << a;
}

// The loader leaves the BIOS data area as SeaBIOS does, but a kernel segment over it wins.
TEST_F(MultibootLoaderTest, TheBiosDataAreaIsWrittenBeforeTheKernel) {
  ASSERT_TRUE(load(build_elf(higher_half())).ok());
  EXPECT_EQ(memory_.read32(0x400), 0x3F8u);
  EXPECT_EQ(memory_.read8(0x413) | memory_.read8(0x414) << 8, 639);
  ElfSpec spec = higher_half();
  spec.segments.push_back({0x400, 0x400, {0xAA, 0xBB}, 0x100});
  ASSERT_TRUE(load(build_elf(spec)).ok());
  EXPECT_EQ(memory_.read32(0x400), 0xBBAAu);
  EXPECT_EQ(memory_.read8(0x413), 0u);  // the segment's bss
}

TEST_F(MultibootLoaderTest, TheInformationAreaGoesAfterAKernelFillingConventionalMemory) {
  ElfSpec spec = higher_half();
  spec.segments.push_back({0x1000, 0x1000, {}, 0x9EC00});  // up to the EBDA
  const std::string m1 = testing::write_temp("vmlab_mod_low.bin", {'m', 'o', 'd'});
  auto r = load(build_elf(spec), "high", {{m1, "m1 x"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().loaded_end, 0x103003u);
  const uint32_t mb = r.value().info_addr;
  EXPECT_EQ(mb, 0x104000u);  // the page after the module
  const uint32_t mods = memory_.read32(mb + ML::kOffModsAddr);
  EXPECT_EQ(memory_.read32(mods), 0x103000u);
  EXPECT_EQ(c_string(memory_.read32(mods + 8)), "m1 x");
  EXPECT_EQ(c_string(memory_.read32(mb + ML::kOffCmdline)), "high");
}

TEST_F(MultibootLoaderTest, EntryOutsideSegments) {
  ElfSpec spec = higher_half();
  spec.entry = 0x500000;
  EXPECT_EQ(load_error(build_elf(spec)),
            "kernel.elf: entry point 0x00500000 is outside the loaded segments");
}

TEST_F(MultibootLoaderTest, AoutLoadEndBeyondFile) {
  std::vector<uint8_t> image =
      multiboot_header(ML::kFlagAoutKludge, true, {0x200000, 0x200000, 0x201000, 0, 0x200020});
  image.resize(0x40, 0x90);
  EXPECT_EQ(load_error(image),
            "kernel.elf: a.out kludge: load_end_addr 0x00201000 lies beyond the end of the file "
            "(64 bytes)");
}

TEST_F(MultibootLoaderTest, CommandLineTooLongForInfoArea) {
  EXPECT_TRUE(load(build_elf(higher_half()), std::string(0x8000, 'x')).ok());
  auto r = load(build_elf(higher_half()), std::string(0x10000, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "the Multiboot information (command lines, module list) takes 65727 bytes, more "
            "than the 65536 this loader gives it; shorten the command lines");
}

}  // namespace
}  // namespace vmlab::machine
