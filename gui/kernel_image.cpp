#include "gui/kernel_image.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <cerrno>
#include <cstring>

#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/trace/sha256.h"
#include "gui/inspection_snapshot.h"

namespace vmlab::gui {

namespace {

constexpr qint64 kMaxImageBytes = 64 << 20;

machine::Error image_error(const QString& message, int code = EINVAL) {
  return machine::Error{message.toStdString(), code};
}

uint32_t le32(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 |
         static_cast<uint32_t>(b[at + 2]) << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

uint16_t le16(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}

}  // namespace

machine::Result<KernelImage> KernelImage::load(const QString& path, const QString& sha256,
                                               const QString& base_dir) {
  QString file = path;
  if (!QFileInfo::exists(file) && QFileInfo(path).isRelative() && !base_dir.isEmpty()) {
    file = QDir(base_dir).filePath(path);
  }
  const QFileInfo info(file);
  if (!info.isFile()) {
    return image_error(
        QCoreApplication::translate("KernelImage", "the kernel %1 is not here any more").arg(path),
        ENOENT);
  }
  if (info.size() > kMaxImageBytes) {
    return image_error(
        QCoreApplication::translate("KernelImage", "%1: larger than 64 MiB").arg(file), EFBIG);
  }
  if (!sha256.isEmpty()) {
    auto sum = vmm::Sha256::hex_of_file(QFile::encodeName(file).toStdString());
    if (!sum) return sum.error();
    if (QString::fromStdString(sum.value()) != sha256) {
      return image_error(QCoreApplication::translate(
                             "KernelImage",
                             "%1 is not the kernel the run booted (its SHA-256 differs from "
                             "config.json's): rebuilt since?")
                             .arg(file));
    }
  }
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) {
    return image_error(QCoreApplication::translate("KernelImage", "%1: cannot read (%2)")
                           .arg(file, f.errorString()),
                       ENOENT);
  }
  KernelImage image;
  image.path_ = file;
  const QByteArray bytes = f.readAll();
  image.file_.assign(bytes.begin(), bytes.end());
  const auto& b = image.file_;
  const auto bad = [&](const char* why) {
    return image_error(
        QCoreApplication::translate("KernelImage", "%1: not an ELF32 i386 image (%2)")
            .arg(file, QString::fromLatin1(why)));
  };
  if (b.size() < 52 || std::memcmp(b.data(),
                                   "\x7f"
                                   "ELF",
                                   4) != 0)
    return bad("no ELF header");
  if (b[4] != 1 || b[5] != 1) return bad("not 32-bit little-endian");
  if (le16(b, 18) != 3) return bad("not for the 386");
  const uint32_t phoff = le32(b, 28);
  const uint16_t phentsize = le16(b, 42);
  const uint16_t phnum = le16(b, 44);
  if (phentsize < 32) return bad("program headers too small");
  if (static_cast<uint64_t>(phoff) + static_cast<uint64_t>(phnum) * phentsize > b.size()) {
    return bad("program headers outside the file");
  }
  for (uint16_t i = 0; i < phnum; ++i) {
    const size_t h = phoff + static_cast<size_t>(i) * phentsize;
    if (le32(b, h) != 1) continue;  // PT_LOAD
    Segment s;
    s.offset = le32(b, h + 4);
    s.vaddr = le32(b, h + 8);
    s.paddr = le32(b, h + 12);
    s.size = le32(b, h + 16);
    if (static_cast<uint64_t>(s.offset) + s.size > b.size())
      return bad("a segment outside the file");
    if (s.size != 0) image.segments_.push_back(s);
  }
  if (image.segments_.empty()) return bad("no loadable segment");
  return image;
}

std::span<const uint8_t> KernelImage::bytes_at(uint32_t address, size_t max) const {
  for (const Segment& s : segments_) {
    for (const uint32_t base : {s.vaddr, s.paddr}) {
      if (address >= base && address - base < s.size) {
        const size_t from = s.offset + static_cast<size_t>(address - base);
        const size_t n = std::min<size_t>(max, s.size - (address - base));
        return std::span<const uint8_t>(file_).subspan(from, n);
      }
    }
  }
  return {};
}

QString instruction_at(const KernelImage& image, uint32_t eip) {
  const auto bytes = image.bytes_at(eip, 16);
  if (bytes.empty() && eip >= vmm::hole::kBase) {
    return QCoreApplication::translate(
               "KernelImage",
               "0x%1 is in bt's translation cache (the hypervisor hole at 0xfc000000), not in "
               "the kernel image")
        .arg(eip, 8, 16, QLatin1Char('0'));
  }
  if (bytes.empty()) {
    return QCoreApplication::translate(
               "KernelImage",
               "0x%1 is not in the kernel image (a user program, the translation cache or "
               "code loaded at run time)")
        .arg(eip, 8, 16, QLatin1Char('0'));
  }
  const auto lines = disassemble(bytes.data(), bytes.size(), eip, 1);
  if (lines.empty()) {
    return QCoreApplication::translate("KernelImage", "0x%1: not a valid instruction")
        .arg(eip, 8, 16, QLatin1Char('0'));
  }
  return QStringLiteral("0x%1  %2 %3")
      .arg(lines[0].address, 8, 16, QLatin1Char('0'))
      .arg(lines[0].bytes.leftJustified(24), lines[0].text);
}

}  // namespace vmlab::gui
