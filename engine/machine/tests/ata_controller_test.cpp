// The ATA controller and its raw images: the commands a PIO driver uses, the errors a bad
// request gets, the image checks, and hostile register traffic that must leave the host
// and the image unharmed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/machine/ata_controller.h"
#include "engine/machine/block_image.h"

namespace vmlab::machine {
namespace {

namespace fs = std::filesystem;
using A = AtaController;

// A scratch folder removed with the fixture.
class AtaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vmlab_ata_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An image of `sectors` sectors whose byte i is (i * 7 + i / 512) & 0xFF.
  std::string make_image(const std::string& name, size_t bytes) {
    const std::string path = dir_ + "/" + name;
    std::vector<uint8_t> data(bytes);
    for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 512);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(bytes));
    return path;
  }
  static std::vector<uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }
  // A controller with `path` as the master.
  std::unique_ptr<A> controller(const std::string& path, bool readonly = false) {
    auto image = BlockImage::open(path, readonly);
    EXPECT_TRUE(image) << (image ? "" : image.error().message);
    auto c = std::make_unique<A>([this](bool level) {
      if (level && !irq_) ++irq_edges_;
      irq_ = level;
    });
    c->attach_drive(0, std::move(image.value()));
    return c;
  }
  static void task(A& c, uint32_t lba, uint8_t count, uint8_t command) {
    c.io_write(A::kSectorCount, 1, count);
    c.io_write(A::kLbaLow, 1, lba & 0xFF);
    c.io_write(A::kLbaMid, 1, (lba >> 8) & 0xFF);
    c.io_write(A::kLbaHigh, 1, (lba >> 16) & 0xFF);
    c.io_write(A::kDevice, 1, 0xE0 | ((lba >> 24) & 0x0F));
    c.io_write(A::kCommand, 1, command);
  }
  static std::vector<uint8_t> read_words(A& c, size_t words) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < words; ++i) {
      const uint32_t w = c.io_read(A::kData, 2);
      out.push_back(static_cast<uint8_t>(w));
      out.push_back(static_cast<uint8_t>(w >> 8));
    }
    return out;
  }

  std::string dir_;
  bool irq_ = false;
  int irq_edges_ = 0;
};

TEST_F(AtaTest, ImageChecksGiveEachBadImageItsOwnCode) {
  EXPECT_EQ(BlockImage::open(dir_ + "/missing.img", false).error().code, ENOENT);
  EXPECT_EQ(BlockImage::open(dir_, false).error().code, EISDIR);
  const std::string odd = make_image("odd.img", 1000);
  auto bad_size = BlockImage::open(odd, false);
  EXPECT_EQ(bad_size.error().code, EINVAL);
  EXPECT_NE(bad_size.error().message.find("not a positive multiple of 512"), std::string::npos);
  EXPECT_EQ(BlockImage::open(make_image("empty.img", 0), false).error().code, EINVAL);
  const std::string ro = make_image("ro.img", 4096);
  ASSERT_EQ(::chmod(ro.c_str(), 0444), 0);
  auto refused = BlockImage::open(ro, false);
  EXPECT_EQ(refused.error().code, EROFS);
  EXPECT_NE(refused.error().message.find("read-only"), std::string::npos);
  auto ok = BlockImage::open(ro, true);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value()->sectors(), 8u);
  const std::string none = make_image("none.img", 4096);
  ASSERT_EQ(::chmod(none.c_str(), 0000), 0);
  EXPECT_EQ(BlockImage::open(none, true).error().code, EACCES);
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(BlockImage::open(fifo, false).error().code, ENODEV);
}

TEST_F(AtaTest, IdentifyReportsCapacityMultipleAndChecksum) {
  auto c = controller(make_image("d.img", 1000 * 512));
  task(*c, 0, 0, 0xEC);
  EXPECT_EQ(c->io_read(A::kControlOffset, 1), 0x58u);  // DRDY DSC DRQ
  EXPECT_TRUE(irq_);
  const auto id = read_words(*c, 256);
  auto word = [&](int w) { return id[2 * w] | (id[2 * w + 1] << 8); };
  EXPECT_EQ(word(0), 0x0040);
  EXPECT_EQ(word(47), 0x8010);
  EXPECT_EQ(word(49) & 0x0200, 0x0200);
  EXPECT_EQ(word(59), 0);
  EXPECT_EQ(word(60) | (word(61) << 16), 1000);
  EXPECT_EQ(word(83) & 0x1000, 0x1000);
  uint8_t sum = 0;
  for (uint8_t b : id) sum = static_cast<uint8_t>(sum + b);
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(id[510], 0xA5);
  // Model string: "VMLAB HARDDISK", two characters per word, high byte first.
  EXPECT_EQ(id[55], 'V');
  EXPECT_EQ(id[54], 'M');
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);  // the transfer is over
  EXPECT_FALSE(irq_);                           // reading the status cleared it
  // SET MULTIPLE 8 shows in word 59.
  task(*c, 0, 8, 0xC6);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  task(*c, 0, 0, 0xEC);
  const auto id2 = read_words(*c, 256);
  EXPECT_EQ(id2[118] | (id2[119] << 8), 0x0108);
}

TEST_F(AtaTest, ReadSectorsReturnsTheImageAndInterruptsPerSector) {
  const std::string path = make_image("d.img", 64 * 512);
  const auto image = file_bytes(path);
  auto c = controller(path);
  task(*c, 5, 3, 0x20);
  std::vector<uint8_t> got;
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u) << s;
    const auto sector = read_words(*c, 256);
    got.insert(got.end(), sector.begin(), sector.end());
  }
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  EXPECT_EQ(irq_edges_, 3);
  EXPECT_EQ(got, std::vector<uint8_t>(image.begin() + 5 * 512, image.begin() + 8 * 512));
  EXPECT_EQ(c->data_words(), 3u * 256);
  // Past the transfer the data port floats.
  EXPECT_EQ(c->io_read(A::kData, 2), 0xFFFFu);
}

TEST_F(AtaTest, ThirtyTwoBitDataReadsTakeTwoWords) {
  const std::string path = make_image("d.img", 8 * 512);
  const auto image = file_bytes(path);
  auto c = controller(path);
  task(*c, 1, 1, 0x20);
  const uint32_t d = c->io_read(A::kData, 4);
  EXPECT_EQ(d, image[512] | (image[513] << 8) | (image[514] << 16) |
                   (static_cast<uint32_t>(image[515]) << 24));
}

TEST_F(AtaTest, ChsAddressingUsesTheIdentifyGeometry) {
  const std::string path = make_image("d.img", 2048 * 512);
  const auto image = file_bytes(path);
  auto c = controller(path);
  // Cylinder 1, head 2, sector 3: (1 * 16 + 2) * 63 + 2 = 1136.
  c->io_write(A::kSectorCount, 1, 1);
  c->io_write(A::kLbaLow, 1, 3);
  c->io_write(A::kLbaMid, 1, 1);
  c->io_write(A::kLbaHigh, 1, 0);
  c->io_write(A::kDevice, 1, 0xA2);
  c->io_write(A::kCommand, 1, 0x20);
  const auto got = read_words(*c, 256);
  EXPECT_EQ(got, std::vector<uint8_t>(image.begin() + 1136 * 512, image.begin() + 1137 * 512));
}

TEST_F(AtaTest, WriteSectorsReachTheImageInOrderAndFlushSyncs) {
  const std::string path = make_image("d.img", 16 * 512);
  auto before = file_bytes(path);
  auto c = controller(path);
  task(*c, 2, 2, 0x30);
  EXPECT_EQ(c->io_read(A::kControlOffset, 1), 0x58u);
  EXPECT_FALSE(irq_);  // no interrupt before the first block
  for (int i = 0; i < 256; ++i) c->io_write(A::kData, 2, 0x0100 + i);
  // The first sector is in the file before the second is sent.
  auto mid = file_bytes(path);
  EXPECT_EQ(mid[2 * 512], 0x00);
  EXPECT_EQ(mid[2 * 512 + 1], 0x01);
  EXPECT_EQ(mid[3 * 512], before[3 * 512]);
  EXPECT_TRUE(irq_);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u);
  for (int i = 0; i < 256; ++i) c->io_write(A::kData, 2, 0xAB00 + i);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  EXPECT_EQ(irq_edges_, 2);
  auto after = file_bytes(path);
  ASSERT_EQ(after.size(), before.size());
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(after[2 * 512 + 2 * i], static_cast<uint8_t>(i));
    EXPECT_EQ(after[3 * 512 + 2 * i + 1], 0xAB);
  }
  EXPECT_EQ(std::vector<uint8_t>(after.begin(), after.begin() + 1024),
            std::vector<uint8_t>(before.begin(), before.begin() + 1024));
  task(*c, 0, 0, 0xE7);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  EXPECT_EQ(c->image(0)->flushes(), 1u);
}

TEST_F(AtaTest, MultipleCommandsMoveBlocksAndNeedSetMultiple) {
  const std::string path = make_image("d.img", 64 * 512);
  const auto image = file_bytes(path);
  auto c = controller(path);
  task(*c, 0, 10, 0xC4);  // READ MULTIPLE before SET MULTIPLE
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  EXPECT_EQ(c->io_read(A::kError, 1), A::kAbrt);
  task(*c, 0, 3, 0xC6);  // not a power of two
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  task(*c, 0, 32, 0xC6);  // above the maximum
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  task(*c, 0, 4, 0xC6);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  irq_edges_ = 0;
  task(*c, 20, 10, 0xC4);  // blocks of 4, 4 and 2 sectors: three interrupts
  std::vector<uint8_t> got;
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u);
    const auto block = read_words(*c, b < 2 ? 4 * 256 : 2 * 256);
    got.insert(got.end(), block.begin(), block.end());
  }
  EXPECT_EQ(irq_edges_, 3);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  EXPECT_EQ(got, std::vector<uint8_t>(image.begin() + 20 * 512, image.begin() + 30 * 512));
  // WRITE MULTIPLE of 6 sectors: blocks of 4 and 2.
  task(*c, 40, 6, 0xC5);
  for (int i = 0; i < 6 * 256; ++i) c->io_write(A::kData, 2, 0x5A5A);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  const auto after = file_bytes(path);
  for (size_t i = 40 * 512; i < 46 * 512; ++i) ASSERT_EQ(after[i], 0x5A) << i;
  EXPECT_EQ(after[46 * 512], image[46 * 512]);
}

TEST_F(AtaTest, OutOfRangeSectorsFailWithIdnfAndMoveNothing) {
  const std::string path = make_image("d.img", 8 * 512);
  const auto before = file_bytes(path);
  auto c = controller(path);
  // Sectors 7 and 8, one block each: 7 is read, then 8 (past the end) fails with IDNF and
  // the task file names it.
  task(*c, 7, 2, 0x20);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u);
  const auto seven = read_words(*c, 256);
  EXPECT_EQ(seven, std::vector<uint8_t>(before.begin() + 7 * 512, before.end()));
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  EXPECT_EQ(c->io_read(A::kError, 1), A::kIdnf);
  EXPECT_EQ(c->io_read(A::kLbaLow, 1), 8u);
  EXPECT_EQ(c->io_read(A::kData, 2), 0xFFFFu);
  // The same as a write: sector 7 is written, sector 8's data is taken and dropped.
  task(*c, 7, 2, 0x30);
  for (int i = 0; i < 256; ++i) c->io_write(A::kData, 2, 0x7777);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u);
  for (int i = 0; i < 256; ++i) c->io_write(A::kData, 2, 0xDEAD);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  EXPECT_EQ(c->io_read(A::kError, 1), A::kIdnf);
  auto after = file_bytes(path);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(std::vector<uint8_t>(after.begin(), after.begin() + 7 * 512),
            std::vector<uint8_t>(before.begin(), before.begin() + 7 * 512));
  for (size_t i = 7 * 512; i < 8 * 512; ++i) ASSERT_EQ(after[i], 0x77) << i;
  // Wholly past the end: refused before any data.
  task(*c, 8, 1, 0x20);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  EXPECT_EQ(c->io_read(A::kData, 2), 0xFFFFu);
  task(*c, 0x0FFFFFFF, 0, 0x20);  // the last LBA28 sector, 256 of them
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  task(*c, 0x0FFFFFFF, 0, 0xC4);  // READ MULTIPLE there (multiple mode off: ABRT)
  EXPECT_EQ(c->io_read(A::kError, 1), A::kAbrt);
  task(*c, 0, 8, 0x20);  // the whole image is fine
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u);
  EXPECT_EQ(file_bytes(path), after);
}

TEST_F(AtaTest, TaskFileWritesAreIgnoredWhileDataIsPending) {
  const std::string path = make_image("d.img", 8 * 512);
  const auto image = file_bytes(path);
  auto c = controller(path);
  task(*c, 2, 1, 0x20);
  c->io_write(A::kLbaLow, 1, 5);
  c->io_write(A::kDevice, 1, 0xF0);  // not even the drive select
  EXPECT_EQ(c->io_read(A::kLbaLow, 1), 2u);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u);
  EXPECT_EQ(read_words(*c, 256),
            std::vector<uint8_t>(image.begin() + 2 * 512, image.begin() + 3 * 512));
}

TEST_F(AtaTest, ReadOnlyDrivesAbortWritesAndStayUnchanged) {
  const std::string path = make_image("d.img", 8 * 512);
  const auto before = file_bytes(path);
  auto c = controller(path, /*readonly=*/true);
  task(*c, 0, 1, 0x30);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u);
  EXPECT_EQ(c->io_read(A::kError, 1), A::kAbrt);
  for (int i = 0; i < 256; ++i) c->io_write(A::kData, 2, 0);
  EXPECT_EQ(file_bytes(path), before);
  task(*c, 0, 1, 0x20);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x58u);
}

TEST_F(AtaTest, AbsentSlaveReadsZeroAndIgnoresCommands) {
  auto c = controller(make_image("d.img", 8 * 512));
  c->io_write(A::kDevice, 1, 0xF0);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0u);
  c->io_write(A::kCommand, 1, 0xEC);
  EXPECT_EQ(c->io_read(A::kControlOffset, 1), 0u);
  EXPECT_EQ(c->io_read(A::kData, 2), 0xFFFFu);
  EXPECT_EQ(c->commands(), 0u);
  c->io_write(A::kDevice, 1, 0xE0);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
}

TEST_F(AtaTest, NienMasksTheInterruptAndSrstResets) {
  auto c = controller(make_image("d.img", 8 * 512));
  c->io_write(A::kControlOffset, 1, A::kNien);
  task(*c, 0, 1, 0x20);
  EXPECT_FALSE(irq_);
  c->io_write(A::kControlOffset, 1, 0);
  EXPECT_TRUE(irq_);  // still pending: unmasking shows it
  c->io_write(A::kControlOffset, 1, A::kSrst);
  c->io_write(A::kControlOffset, 1, 0);
  EXPECT_FALSE(irq_);
  EXPECT_EQ(c->io_read(A::kStatus, 1), 0x50u);
  EXPECT_EQ(c->io_read(A::kSectorCount, 1), 1u);
  EXPECT_EQ(c->io_read(A::kLbaLow, 1), 1u);
  EXPECT_EQ(c->io_read(A::kData, 2), 0xFFFFu);  // the read was cancelled
}

TEST_F(AtaTest, UnknownAndLba48CommandsAbort) {
  auto c = controller(make_image("d.img", 8 * 512));
  for (int cmd : {0x24, 0x34, 0x25, 0xEA, 0xC8, 0xCA, 0x00, 0xFF}) {
    task(*c, 0, 1, static_cast<uint8_t>(cmd));
    EXPECT_EQ(c->io_read(A::kStatus, 1), 0x51u) << cmd;
    EXPECT_EQ(c->io_read(A::kError, 1), A::kAbrt) << cmd;
  }
}

// A million random register accesses of every size: the host survives, a read-only
// image is unchanged byte for byte, a writable one never changes size.
TEST_F(AtaTest, HostileRegisterTrafficLeavesTheHostAndImageUnharmed) {
  for (bool readonly : {true, false}) {
    const std::string path = make_image(readonly ? "ro.img" : "rw.img", 32 * 512);
    const auto before = file_bytes(path);
    auto c = controller(path, readonly);
    std::mt19937 rng(17);
    for (int i = 0; i < 1'000'000; ++i) {
      const uint16_t offset = static_cast<uint16_t>(rng() % 9);
      const unsigned size = 1u << (rng() % 3);
      // Commands often enough to start transfers; huge counts and LBAs come for free.
      const uint32_t value =
          (rng() % 4 == 0 && offset == A::kCommand)
              ? std::array<uint32_t, 6>{0x20, 0x30, 0xC4, 0xC5, 0xC6, 0xEC}[rng() % 6]
              : static_cast<uint32_t>(rng());
      if (rng() & 1) {
        c->io_write(offset, size, value);
      } else {
        (void)c->io_read(offset, size);
      }
    }
    const auto after = file_bytes(path);
    EXPECT_EQ(after.size(), before.size());
    if (readonly) {
      EXPECT_EQ(after, before);
    }
    EXPECT_GT(c->commands(), 1000u);
  }
}

}  // namespace
}  // namespace vmlab::machine
