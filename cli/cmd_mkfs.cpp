#include "cli/cmd_mkfs.h"

#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/command_line.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "engine/machine/host_file.h"
#include "frontend/diskfs.h"

namespace vmlab::cli {
namespace diskfs = frontend::diskfs;
namespace {

constexpr const char* kMkfsDescription =
    R"(Writes IMAGE (created, or overwritten whole) as a raw disk image of SIZE bytes holding an
empty vmlabfs file system, the guest's (docs/disk.md): boot it with
`vmlab run --disk IMAGE` and use the shell's ls, cat, write and rm.)";

constexpr const char* kFsckDescription =
    R"(Checks the vmlabfs file system on IMAGE without changing it: the superblock, every inode's
sectors (inside the data area, none shared, all marked in the bitmap), the directory
(entries name allocated files, no name twice). Sectors and inodes that are allocated but
referenced by nothing (what a crash between the steps of one operation leaves) are leaks:
reported, not errors.)";

constexpr const char* kFsckExitStatus =
    R"(exit status: 0 consistent (leaks allowed), 1 inconsistent, 64 bad command line,
             66 IMAGE cannot be read)";

// "16M" -> 16 MiB, qemu-img's suffixes.
std::optional<uint64_t> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  uint64_t n = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (n > (UINT64_MAX - 9) / 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  const std::string suffix = text.substr(i);
  unsigned shift = 0;
  if (suffix == "K" || suffix == "k") {
    shift = 10;
  } else if (suffix == "M") {
    shift = 20;
  } else if (suffix == "G") {
    shift = 30;
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  if (n > (UINT64_MAX >> shift)) return std::nullopt;
  return n << shift;
}

}  // namespace

int cmd_mkfs(const std::vector<std::string>& args) {
  std::string image, size_text;
  std::vector<std::string> images;
  CommandLine cl("mkfs", "vmlab mkfs IMAGE --size SIZE", kMkfsDescription);
  cl.text("--size", size_text, "SIZE",
          "the image's size: bytes, or with K, M or G (KiB, MiB, GiB, as\nqemu-img); a multiple "
          "of 512 from 32K to 1G");
  cl.positionals(images);
  if (const auto status = cl.parse_or_status(args)) return *status;
  if (images.size() > 1) return fail(kUsage, "mkfs: more than one image given");
  if (!images.empty()) image = images[0];
  if (image.empty()) return fail(kUsage, "mkfs: no IMAGE given (see vmlab mkfs --help)");
  if (size_text.empty()) return fail(kUsage, "mkfs: --size SIZE is required, e.g. --size 1M");
  const auto size = parse_size(size_text);
  if (!size || *size % diskfs::kSector != 0 || *size / diskfs::kSector < diskfs::kMinSectors ||
      *size / diskfs::kSector > diskfs::kMaxSectors) {
    return fail(kUsage, "mkfs: --size takes a multiple of 512 bytes from 32K to 1G (got '" +
                            size_text + "')");
  }
  auto out = machine::open_host_output(image, "the disk image");
  if (!out) return fail(kNoInput, out.error().message);
  const auto bytes = diskfs::make_empty(static_cast<uint32_t>(*size / diskfs::kSector));
  if (std::fwrite(bytes.data(), 1, bytes.size(), out.value().get()) != bytes.size() ||
      std::fflush(out.value().get()) != 0) {
    return fail(kNoInput, image + ": cannot write the disk image");
  }
  std::cout << image << ": vmlabfs, " << *size / diskfs::kSector << " sectors (" << *size
            << " bytes), " << diskfs::kInodes - 1 << " files at most\n";
  return 0;
}

int cmd_fsck(const std::vector<std::string>& args) {
  std::string image, cat;
  bool list = false;
  std::vector<std::string> images;
  CommandLine cl("fsck", "vmlab fsck IMAGE [--list] [--cat NAME]", kFsckDescription,
                 kFsckExitStatus);
  cl.flag("--list", list, "print each file and its size");
  cl.text("--cat", cat, "NAME", "print file NAME's contents");
  cl.positionals(images);
  if (const auto status = cl.parse_or_status(args)) return *status;
  if (images.size() > 1) return fail(kUsage, "fsck: more than one image given");
  if (!images.empty()) image = images[0];
  if (image.empty()) return fail(kUsage, "fsck: no IMAGE given (see vmlab fsck --help)");
  auto bytes = machine::read_host_file(image, "the disk image", diskfs::kMaxSectors * 512);
  if (!bytes) return fail(kNoInput, bytes.error().message);
  const std::vector<uint8_t>& img = bytes.value();
  const diskfs::CheckResult r = diskfs::check(img);
  if (!cat.empty()) {
    // Only the contents on stdout; the file system must be consistent to read them.
    if (!r.errors.empty()) {
      return fail(1, "fsck: " + image + " is inconsistent (" + r.errors.front() + ")");
    }
    bool found = false;
    for (const auto& f : r.files) found = found || f.name == cat;
    if (!found) return fail(1, "fsck: " + image + " has no file '" + cat + "'");
    const auto data = diskfs::read_file(img, cat);
    std::cout.write(reinterpret_cast<const char*>(data.data()),
                    static_cast<std::streamsize>(data.size()));
    return 0;
  }
  for (const std::string& e : r.errors) std::cout << "error: " << e << "\n";
  for (const std::string& l : r.leaks) std::cout << "leak: " << l << "\n";
  if (list && r.errors.empty()) {
    for (const auto& f : r.files) std::cout << f.name << " " << f.size << "\n";
  }
  if (!r.errors.empty()) {
    std::cout << image << ": inconsistent: " << r.errors.size() << " errors\n";
    return 1;
  }
  std::cout << image << ": " << (r.leaks.empty() ? "clean" : "consistent") << ", " << r.files.size()
            << " files, " << r.sectors_used << " of " << r.sectors << " sectors in use";
  if (!r.leaks.empty()) std::cout << ", " << r.leaks.size() << " leaks";
  std::cout << "\n";
  return 0;
}

}  // namespace vmlab::cli
