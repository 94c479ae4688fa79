#include "frontend/diskfs.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "engine/machine/image_bytes.h"

namespace vmlab::frontend::diskfs {

namespace {

// A field past the image's end reads as 0.
uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
  return at + 4 > b.size() ? 0 : machine::image_bytes::get32(b, at);
}

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  machine::image_bytes::set32(b, at, v);
}

struct Super {
  uint32_t sectors, inode_start, inodes, bitmap_start, bitmap_sectors, data_start;
};

Super read_super(const std::vector<uint8_t>& img) {
  return {get32(img, 8),  get32(img, 12), get32(img, 16),
          get32(img, 20), get32(img, 24), get32(img, 28)};
}

struct Inode {
  uint32_t type, size;
  uint32_t direct[kDirect];
  uint32_t indirect;
};

Inode read_inode(const std::vector<uint8_t>& img, uint32_t ino) {
  const size_t at = kInodeStart * kSector + ino * 64;
  Inode in{};
  in.type = get32(img, at);
  in.size = get32(img, at + 4);
  for (uint32_t i = 0; i < kDirect; ++i) in.direct[i] = get32(img, at + 8 + 4 * i);
  in.indirect = get32(img, at + 48);
  return in;
}

bool bit(const std::vector<uint8_t>& img, const Super& s, uint32_t sector) {
  const size_t at = size_t{s.bitmap_start} * kSector + sector / 8;
  return at < img.size() && (img[at] >> (sector % 8)) & 1;
}

// The sectors of an inode's blocks in order (0 for a hole), as far as they are valid.
std::vector<uint32_t> blocks(const std::vector<uint8_t>& img, const Inode& in) {
  std::vector<uint32_t> out(in.direct, in.direct + kDirect);
  const uint64_t sectors = img.size() / kSector;
  if (in.indirect != 0 && in.indirect < sectors) {
    for (uint32_t i = 0; i < kPerIndirect; ++i) {
      out.push_back(get32(img, size_t{in.indirect} * kSector + 4 * i));
    }
  }
  return out;
}

}  // namespace

std::vector<uint8_t> make_empty(uint32_t sectors) {
  std::vector<uint8_t> img(size_t{sectors} * kSector, 0);
  const uint32_t bitmap_sectors = (sectors + kBitsPerSector - 1) / kBitsPerSector;
  const uint32_t data_start = kBitmapStart + bitmap_sectors;
  std::memcpy(img.data(), kMagic, 8);
  put32(img, 8, sectors);
  put32(img, 12, kInodeStart);
  put32(img, 16, kInodes);
  put32(img, 20, kBitmapStart);
  put32(img, 24, bitmap_sectors);
  put32(img, 28, data_start);
  // The root directory: inode 0, one empty sector of entries at data_start.
  const size_t root = kInodeStart * kSector;
  put32(img, root, kTypeDir);
  put32(img, root + 4, kSector);
  put32(img, root + 8, data_start);
  for (uint32_t s = 0; s <= data_start; ++s) {
    img[size_t{kBitmapStart} * kSector + s / 8] |= static_cast<uint8_t>(1u << (s % 8));
  }
  return img;
}

CheckResult check(const std::vector<uint8_t>& img) {
  CheckResult r;
  const uint64_t image_sectors = img.size() / kSector;
  if (image_sectors < 16 || std::memcmp(img.data(), kMagic, 8) != 0) {
    r.errors.push_back("no vmlabfs superblock (magic VMLABFS1) in sector 0");
    return r;
  }
  const Super s = read_super(img);
  r.sectors = s.sectors;
  if (s.sectors > image_sectors || s.sectors < kMinSectors || s.inode_start != kInodeStart ||
      s.inodes != kInodes || s.bitmap_start != kBitmapStart ||
      s.bitmap_sectors != (s.sectors + kBitsPerSector - 1) / kBitsPerSector ||
      s.data_start != s.bitmap_start + s.bitmap_sectors || s.data_start >= s.sectors) {
    r.errors.push_back("the superblock's layout is inconsistent (sectors " +
                       std::to_string(s.sectors) + " of an image of " +
                       std::to_string(image_sectors) + ")");
    return r;
  }
  // Which inode (and block) references each sector.
  std::map<uint32_t, std::string> owner;
  auto claim = [&](uint32_t sector, const std::string& who) {
    if (sector < s.data_start || sector >= s.sectors) {
      r.errors.push_back(who + " points to sector " + std::to_string(sector) +
                         ", outside the data area " + std::to_string(s.data_start) + "-" +
                         std::to_string(s.sectors - 1));
      return false;
    }
    if (auto [it, fresh] = owner.emplace(sector, who); !fresh) {
      r.errors.push_back("sector " + std::to_string(sector) + " belongs to both " + it->second +
                         " and " + who);
      return false;
    }
    if (!bit(img, s, sector)) {
      r.errors.push_back(who + " uses sector " + std::to_string(sector) +
                         ", which the bitmap says is free");
    }
    return true;
  };
  std::vector<Inode> inodes;
  for (uint32_t i = 0; i < kInodes; ++i) inodes.push_back(read_inode(img, i));
  for (uint32_t i = 0; i < kInodes; ++i) {
    const Inode& in = inodes[i];
    const std::string who = "inode " + std::to_string(i);
    if (in.type == kTypeFree) continue;
    if ((i == 0) != (in.type == kTypeDir) || in.type > kTypeDir) {
      r.errors.push_back(who + " has type " + std::to_string(in.type) +
                         (i == 0 ? " (the root must be a directory)" : ""));
      continue;
    }
    if (in.size > (kDirect + kPerIndirect) * kSector) {
      r.errors.push_back(who + " is " + std::to_string(in.size) + " bytes, more than " +
                         std::to_string((kDirect + kPerIndirect) * kSector));
    }
    if (in.indirect != 0) claim(in.indirect, who + "'s indirect sector");
    const auto b = blocks(img, in);
    for (size_t k = 0; k < b.size(); ++k) {
      if (b[k] != 0) claim(b[k], who + " block " + std::to_string(k));
    }
  }
  const Inode& root = inodes[0];
  if (root.type != kTypeDir || root.size % kSector != 0 || root.size == 0) {
    r.errors.push_back("the root directory (inode 0) is missing or its size " +
                       std::to_string(root.size) + " is not a positive multiple of 512");
    return r;
  }
  // The directory.
  std::vector<int> links(kInodes, 0);
  std::map<std::string, uint32_t> names;
  const auto dir_blocks = blocks(img, root);
  for (uint32_t k = 0; k < root.size / kSector && k < dir_blocks.size(); ++k) {
    const uint32_t sector = dir_blocks[k];
    if (sector == 0 || sector >= s.sectors) {
      r.errors.push_back("the root directory's block " + std::to_string(k) + " is missing");
      continue;
    }
    for (uint32_t e = 0; e < kSector / 32; ++e) {
      const size_t at = size_t{sector} * kSector + e * 32;
      const uint32_t ino = get32(img, at);
      if (ino == 0) continue;
      std::string name(reinterpret_cast<const char*>(&img[at + 4]),
                       strnlen(reinterpret_cast<const char*>(&img[at + 4]), kNameMax + 1));
      const std::string who = "entry '" + name + "'";
      if (name.empty() || name.size() > kNameMax || name.find('/') != std::string::npos) {
        r.errors.push_back("a directory entry in sector " + std::to_string(sector) +
                           " has a bad name");
        continue;
      }
      if (ino >= kInodes || inodes[ino].type != kTypeFile) {
        r.errors.push_back(who + " names inode " + std::to_string(ino) +
                           ", which is not an allocated file");
        continue;
      }
      if (!names.emplace(name, ino).second) r.errors.push_back(who + " appears twice");
      if (++links[ino] > 1) {
        r.errors.push_back("inode " + std::to_string(ino) + " has more than one entry");
      }
      r.files.push_back({name, ino, inodes[ino].size});
    }
  }
  for (uint32_t i = 1; i < kInodes; ++i) {
    if (inodes[i].type == kTypeFile && links[i] == 0) {
      r.leaks.push_back("inode " + std::to_string(i) + " is allocated but in no directory");
    }
  }
  // The bitmap: the metadata in use, and no sector in use that nothing references.
  for (uint32_t sector = 0; sector < s.sectors; ++sector) {
    const bool used = bit(img, s, sector);
    if (used) ++r.sectors_used;
    if (sector < s.data_start) {
      if (!used) r.errors.push_back("metadata sector " + std::to_string(sector) + " is free");
    } else if (used && !owner.count(sector)) {
      r.leaks.push_back("sector " + std::to_string(sector) + " is in use but unreferenced");
    }
  }
  return r;
}

std::vector<uint8_t> read_file(const std::vector<uint8_t>& img, const std::string& name) {
  const CheckResult r = check(img);
  for (const FileInfo& f : r.files) {
    if (f.name != name) continue;
    const Inode in = read_inode(img, f.inode);
    const auto b = blocks(img, in);
    std::vector<uint8_t> out;
    for (uint32_t pos = 0; pos < in.size; pos += kSector) {
      const uint32_t sector = pos / kSector < b.size() ? b[pos / kSector] : 0;
      const bool valid = sector != 0 && uint64_t{sector} < img.size() / kSector;
      const uint32_t n = std::min(kSector, in.size - pos);
      for (uint32_t i = 0; i < n; ++i) {
        out.push_back(valid ? img[size_t{sector} * kSector + i] : 0);
      }
    }
    return out;
  }
  return {};
}

}  // namespace vmlab::frontend::diskfs
