// The PIIX3 IDE function's bus master (ata_bus_master.h) with the ATA controller: its
// configuration space and BAR4, READ/WRITE DMA through PRD tables, the status bits, and
// hostile register traffic and tables that must never move a byte outside the memory the
// engine masters nor loop without bound.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/machine/ata_bus_master.h"
#include "engine/machine/ata_controller.h"
#include "engine/machine/block_image.h"

namespace vmlab::machine {
namespace {

namespace fs = std::filesystem;
using A = AtaController;
using B = AtaBusMaster;

// Guest RAM of a fixed size: every access outside it is refused whole, and counted.
class FakeRam : public DmaMemory {
 public:
  explicit FakeRam(size_t bytes) : bytes_(bytes, 0) {}
  bool read(uint32_t gpa, std::span<uint8_t> out) override {
    ++reads_;
    if (uint64_t{gpa} + out.size() > bytes_.size()) return ++refused_, false;
    std::copy_n(bytes_.begin() + gpa, out.size(), out.begin());
    return true;
  }
  bool write(uint32_t gpa, std::span<const uint8_t> in) override {
    if (uint64_t{gpa} + in.size() > bytes_.size()) return ++refused_, false;
    std::copy(in.begin(), in.end(), bytes_.begin() + gpa);
    return true;
  }
  void put32(uint32_t at, uint32_t v) {
    for (int b = 0; b < 4; ++b) bytes_[at + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  std::vector<uint8_t> bytes_;
  uint64_t reads_ = 0, refused_ = 0;
};

class AtaBusMasterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vmlab_bm_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string make_image(size_t sectors) {
    const std::string path = dir_ + "/d.img";
    std::vector<uint8_t> data(sectors * 512);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 512);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    return path;
  }
  static std::vector<uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }
  // The controller and its bus master, wired as the machine wires them, over `ram`.
  void wire(const std::string& path, bool readonly, FakeRam& ram) {
    ata_ = std::make_unique<A>([this](bool level) { irq_ = level; });
    auto image = BlockImage::open(path, readonly);
    ASSERT_TRUE(image);
    ata_->attach_drive(0, std::move(image.value()));
    bm_ = std::make_unique<B>([this](uint16_t, uint16_t now) {
      ++relocations_;
      return now != 0x1F0;  // a range that overlaps another device's is not decoded
    });
    bm_->set_memory(&ram);
    bm_->set_start_hook([this] { ata_->run_dma(); });
    ata_->set_bus_master(bm_.get());
    bm_->attach();
    bm_->config_write(0x04, 2, 0x0107);  // bus mastering on
  }
  void task(uint32_t lba, uint8_t count, uint8_t command) {
    ata_->io_write(A::kSectorCount, 1, count);
    ata_->io_write(A::kLbaLow, 1, lba & 0xFF);
    ata_->io_write(A::kLbaMid, 1, (lba >> 8) & 0xFF);
    ata_->io_write(A::kLbaHigh, 1, (lba >> 16) & 0xFF);
    ata_->io_write(A::kDevice, 1, 0xE0 | ((lba >> 24) & 0x0F));
    ata_->io_write(A::kCommand, 1, command);
  }

  std::string dir_;
  std::unique_ptr<A> ata_;
  std::unique_ptr<B> bm_;
  bool irq_ = false;
  int relocations_ = 0;
};

TEST_F(AtaBusMasterTest, ConfigurationSpaceIsQemusAndBar4SizesAndMoves) {
  FakeRam ram(1 << 20);
  wire(make_image(64), false, ram);
  EXPECT_EQ(bm_->config_read(0x00, 4), 0x70108086u);
  EXPECT_EQ(bm_->config_read(0x08, 4), 0x01018000u);
  EXPECT_EQ(bm_->config_read(0x20, 4), 0x0000C001u);
  EXPECT_EQ(bm_->config_read(0x40, 4), 0x80008000u);
  EXPECT_EQ(bm_->decoded_base(), 0xC000);
  bm_->config_write(0x20, 4, 0xFFFFFFFFu);
  EXPECT_EQ(bm_->config_read(0x20, 4), 0xFFFFFFF1u);  // 16 bytes of I/O space
  EXPECT_EQ(bm_->decoded_base(), 0);                  // past port 0xFFFF: nowhere
  bm_->config_write(0x20, 4, 0xD010);
  EXPECT_EQ(bm_->decoded_base(), 0xD010);
  bm_->config_write(0x20, 4, 0x1F0);
  EXPECT_EQ(bm_->decoded_base(), 0);  // would overlap the ATA ports: not decoded
  bm_->config_write(0x20, 4, 0xC000);
  bm_->config_write(0x04, 2, 0x0104);  // I/O space off
  EXPECT_EQ(bm_->decoded_base(), 0);
  bm_->config_write(0x04, 2, 0x0105);
  EXPECT_EQ(bm_->decoded_base(), 0xC000);
  // Read-only registers stay.
  bm_->config_write(0x00, 4, 0);
  bm_->config_write(0x08, 4, 0);
  EXPECT_EQ(bm_->config_read(0x00, 4), 0x70108086u);
  EXPECT_EQ(bm_->config_read(0x08, 4), 0x01018000u);
}

TEST_F(AtaBusMasterTest, ReadAndWriteDmaThroughSeveralPrds) {
  FakeRam ram(1 << 20);
  const std::string path = make_image(64);
  wire(path, false, ram);
  ata_->io_write(A::kControlOffset, 1, 0);
  // Three PRDs for 16 sectors, sector 5 split between the first two.
  ram.put32(0x1000, 0x10000);
  ram.put32(0x1004, 3000);
  ram.put32(0x1008, 0x20000);
  ram.put32(0x100C, 2000);
  ram.put32(0x1010, 0x30000);
  ram.put32(0x1014, 0x80000000u | (16 * 512 - 5000));
  bm_->io_write(B::kPrdAddress, 4, 0x1000);
  task(0, 16, 0xC8);
  EXPECT_EQ(ata_->io_read(A::kStatus, 1) & A::kDrq, A::kDrq);  // waits for the engine
  bm_->io_write(B::kCommand, 1, B::kToMemory | B::kStart);
  EXPECT_EQ(bm_->status(0), B::kInterrupt);
  EXPECT_TRUE(irq_);
  const auto image = file_bytes(path);
  EXPECT_TRUE(std::equal(image.begin(), image.begin() + 3000, ram.bytes_.begin() + 0x10000));
  EXPECT_TRUE(std::equal(image.begin() + 3000, image.begin() + 5000, ram.bytes_.begin() + 0x20000));
  EXPECT_TRUE(std::equal(image.begin() + 5000, image.begin() + 8192, ram.bytes_.begin() + 0x30000));
  EXPECT_EQ(ata_->io_read(A::kStatus, 1), A::kDrdy | A::kDsc);
  // Write one; clear the interrupt bit; WRITE DMA of 2 sectors from 0x10000 to sector 40.
  bm_->io_write(B::kCommand, 1, 0);
  bm_->io_write(B::kStatus, 1, B::kInterrupt);
  EXPECT_EQ(bm_->status(0), 0);
  ram.put32(0x1000, 0x10000);
  ram.put32(0x1004, 0x80000000u | 1024);
  task(40, 2, 0xCA);
  bm_->io_write(B::kCommand, 1, B::kStart);
  EXPECT_EQ(bm_->status(0), B::kInterrupt);
  const auto after = file_bytes(path);
  EXPECT_TRUE(std::equal(after.begin() + 40 * 512, after.begin() + 42 * 512, image.begin()));
}

TEST_F(AtaBusMasterTest, TablesLongerShorterOrOutsideMemory) {
  FakeRam ram(1 << 20);
  const std::string path = make_image(64);
  wire(path, false, ram);
  ata_->io_write(A::kControlOffset, 1, 0);
  // Longer: active stays set after the interrupt.
  ram.put32(0x1000, 0x10000);
  ram.put32(0x1004, 0x80000000u | 4096);
  bm_->io_write(B::kPrdAddress, 4, 0x1000);
  bm_->io_write(B::kCommand, 1, B::kToMemory | B::kStart);  // start first, then the command
  EXPECT_EQ(bm_->status(0), B::kActive);
  task(0, 2, 0xC8);
  EXPECT_EQ(bm_->status(0), B::kActive | B::kInterrupt);
  bm_->io_write(B::kCommand, 1, 0);
  EXPECT_EQ(bm_->status(0), B::kInterrupt);
  bm_->io_write(B::kStatus, 1, 0xFF);
  EXPECT_EQ(bm_->status(0), B::kCapable);
  // Shorter: nothing moves, no interrupt, active cleared, the drive without an error.
  std::fill(ram.bytes_.begin() + 0x10000, ram.bytes_.begin() + 0x11000, uint8_t{0xAB});
  ram.put32(0x1004, 0x80000000u | 1024);
  irq_ = false;
  task(0, 4, 0xC8);
  bm_->io_write(B::kCommand, 1, B::kToMemory | B::kStart);
  EXPECT_EQ(bm_->status(0), B::kCapable);
  EXPECT_FALSE(irq_);
  EXPECT_EQ(ata_->io_read(A::kStatus, 1), A::kDrdy | A::kDsc);
  EXPECT_EQ(ram.bytes_[0x10000], 0xAB);
  bm_->io_write(B::kCommand, 1, 0);
  // A region outside memory: the error bit, the drive aborts, nothing written past the end.
  ram.put32(0x1000, 0xFFFFF000u);
  ram.put32(0x1004, 0x80000000u | 1024);
  const uint64_t refused = ram.refused_;
  task(0, 2, 0xC8);
  bm_->io_write(B::kCommand, 1, B::kToMemory | B::kStart);
  EXPECT_EQ(bm_->status(0), B::kCapable | B::kError | B::kInterrupt);
  EXPECT_EQ(ata_->io_read(A::kStatus, 1) & A::kErr, A::kErr);
  EXPECT_EQ(ata_->io_read(A::kError, 1), A::kAbrt);
  EXPECT_GT(ram.refused_, refused);
  bm_->io_write(B::kCommand, 1, 0);
  // The table itself outside memory: the same.
  bm_->io_write(B::kStatus, 1, 0xFF);
  bm_->io_write(B::kPrdAddress, 4, 0xFFFFFFFCu);
  task(0, 1, 0xC8);
  bm_->io_write(B::kCommand, 1, B::kToMemory | B::kStart);
  EXPECT_EQ(bm_->status(0), B::kCapable | B::kError | B::kInterrupt);
}

TEST_F(AtaBusMasterTest, ATableThatNeverEndsIsWalkedAtMostOnePage) {
  FakeRam ram(1 << 20);
  wire(make_image(64), false, ram);
  // 8192 entries of 2 bytes and no end-of-table bit: 16 sectors would need 4096 of them.
  for (uint32_t i = 0; i < 8192; ++i) {
    ram.put32(0x20000 + i * 8, 0x40000 + i * 2);
    ram.put32(0x20000 + i * 8 + 4, 2);
  }
  bm_->io_write(B::kPrdAddress, 4, 0x20000);
  const uint64_t reads = ram.reads_;
  task(0, 16, 0xC8);
  bm_->io_write(B::kCommand, 1, B::kToMemory | B::kStart);
  EXPECT_EQ(ram.reads_ - reads, B::kMaxPrdEntries);
  EXPECT_EQ(bm_->status(0) & B::kActive, 0);  // too short: nothing moved, engine stopped
  EXPECT_EQ(ram.bytes_[0x40000], 0);
}

TEST_F(AtaBusMasterTest, HostileRegisterTrafficStaysInsideItsMemoryAndImage) {
  for (bool readonly : {true, false}) {
    FakeRam ram(256 * 1024);
    const std::string path = make_image(64);
    const auto before = file_bytes(path);
    wire(path, readonly, ram);
    std::mt19937 rng(23);
    // Random tables anywhere in the first 64 KiB, entries pointing anywhere.
    for (uint32_t at = 0; at < 0x10000; at += 4) ram.put32(at, static_cast<uint32_t>(rng()));
    for (int i = 0; i < 300'000; ++i) {
      const unsigned size = 1u << (rng() % 3);
      const uint32_t value = static_cast<uint32_t>(rng());
      switch (rng() % 4) {
        case 0: {  // the bus master's registers, start often
          const auto offset = static_cast<uint16_t>(rng() % 16);
          if (rng() & 1) {
            bm_->io_write(offset, size, offset == 4 ? value % 0x10000 : value);
          } else {
            (void)bm_->io_read(offset, size);
          }
          break;
        }
        case 1:  // DMA commands with random counts and addresses
          task(value % 80, static_cast<uint8_t>(value >> 8),
               std::array<uint8_t, 4>{0xC8, 0xC9, 0xCA, 0xCB}[rng() % 4]);
          break;
        case 2: {
          const auto offset = static_cast<uint16_t>(rng() % 9);
          if (rng() & 1) {
            ata_->io_write(offset, size, value);
          } else {
            (void)ata_->io_read(offset, size);
          }
          break;
        }
        default: bm_->config_write((rng() % 64) * 4, size, value); break;
      }
    }
    const auto after = file_bytes(path);
    EXPECT_EQ(after.size(), before.size());
    if (readonly) {
      EXPECT_EQ(after, before);
    }
    EXPECT_EQ(ram.bytes_.size(), 256u * 1024);
    EXPECT_GT(bm_->transfers(), 100u);
    EXPECT_GT(ram.refused_, 0u);
  }
}

}  // namespace
}  // namespace vmlab::machine
