#include "engine/machine/host_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace vmlab::machine {
namespace {

class HostFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vmlab_host_file_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(HostFileTest, ReadsARegularFileWhole) {
  std::ofstream(path("a")) << "abc";
  auto r = read_host_file(path("a"), "the test file", 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(r.value().begin(), r.value().end()), "abc");
}

TEST_F(HostFileTest, RefusesAFileAboveTheBoundWithoutReadingIt) {
  std::ofstream(path("a")) << "abcd";
  auto r = read_host_file(path("a"), "the test file", 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EFBIG);
  EXPECT_EQ(r.error().message,
            path("a") + ": cannot read the test file: it is larger than 3 bytes");
}

TEST_F(HostFileTest, RefusesADirectoryAFifoAndADevice) {
  auto d = read_host_file(dir_.string(), "the kernel image", 100);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, EISDIR);
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  // Without a writer, a blocking open of the FIFO would never return.
  auto f = read_host_file(path("fifo"), "the kernel image", 100);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ENODEV);
  EXPECT_EQ(f.error().message,
            path("fifo") + ": cannot read the kernel image: it is not a regular file");
  auto z = read_host_file("/dev/zero", "the kernel image", 100);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().code, ENODEV);
}

TEST_F(HostFileTest, ProcFilesAreReadToTheirEndWithinTheBound) {
  // /proc/self/mem is a regular file of size 0 whose first page cannot be read.
  auto mem = read_host_file("/proc/self/mem", "the kernel image", 1 << 20);
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.error().code, EIO);
  // /proc/self/maps reports size 0 but has content: it is read to its end, or refused
  // when its content exceeds the bound.
  auto maps = read_host_file("/proc/self/maps", "the input", 1 << 20);
  ASSERT_TRUE(maps.ok());
  EXPECT_GT(maps.value().size(), 0u);
  auto small = read_host_file("/proc/self/maps", "the input", 10);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().code, EFBIG);
}

TEST_F(HostFileTest, OutputsAreRegularFilesOrDevicesNeverFifos) {
  auto created = open_host_output(path("out"), "the guest console");
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(path("out")));
  EXPECT_TRUE(open_host_output("/dev/null", "the guest console").ok());
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  auto fifo = open_host_output(path("fifo"), "the guest console");
  ASSERT_FALSE(fifo.ok());
  EXPECT_EQ(fifo.error().code, ENODEV);
  auto dir = open_host_output(dir_.string(), "the guest console");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code, EISDIR);
}

}  // namespace
}  // namespace vmlab::machine
