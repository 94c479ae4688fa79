#include "engine/snapshot/snapshot_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "engine/snapshot/byte_io.h"
#include "engine/vmm/trace/sha256.h"

namespace vmlab::snapshot {
namespace {

constexpr uint8_t kMagic[8] = {'V', 'M', 'L', 'A', 'B', 'S', 'N', 'P'};
constexpr size_t kDigestBytes = 32;
// The largest snapshot read: guest RAM is at most 3 GiB, plus the monitor's reserve.
constexpr uint64_t kMaxFileBytes = uint64_t{4} << 30;

Digest sha256(std::span<const uint8_t> bytes) {
  vmm::Sha256 h;
  h.update(bytes);
  return h.digest();
}

machine::Error corrupt(const std::string& name, const std::string& what) {
  return {name + ": corrupt snapshot: " + what, kErrCorrupt};
}

}  // namespace

const Section* SnapshotFile::find(uint32_t section_tag) const {
  for (const Section& s : sections) {
    if (s.tag == section_tag) return &s;
  }
  return nullptr;
}

namespace {

// Everything encode() writes before the first section.
ByteWriter preamble(const SnapshotFile& file) {
  ByteWriter header;
  header.string(file.vmlab_version);
  header.u32(static_cast<uint32_t>(file.fingerprint.size()));
  for (const auto& [key, value] : file.fingerprint) {
    header.string(key);
    header.string(value);
  }
  header.boolean(file.is_diff);
  header.string(file.parent);
  header.bytes(file.parent_digest);

  ByteWriter w;
  w.bytes(kMagic);
  w.u32(file.format_version);
  w.u32(static_cast<uint32_t>(header.data().size()));
  w.bytes(header.data());
  w.u32(static_cast<uint32_t>(file.sections.size()));
  return w;
}

ByteWriter section_head(const Section& s) {
  ByteWriter w;
  w.u32(s.tag);
  w.u64(s.bytes.size());
  return w;
}

}  // namespace

std::vector<uint8_t> encode(const SnapshotFile& file) {
  ByteWriter w = preamble(file);
  for (const Section& s : file.sections) {
    w.bytes(section_head(s).data());
    w.bytes(s.bytes);
  }
  const Digest d = sha256(w.data());
  w.bytes(d);
  return w.take();
}

machine::Result<Written> write_snapshot(const std::string& path, const SnapshotFile& file) {
  const std::string tmp = path + ".part";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return machine::Error{path + ": cannot write the snapshot: " + std::strerror(errno), errno};
  }
  vmm::Sha256 h;
  Written out;
  bool ok = true;
  auto put = [&](std::span<const uint8_t> b) {
    if (b.empty()) {
      return;  // an empty section (native has no monitor state): fwrite wants a real pointer
    }
    h.update(b);
    ok = ok && std::fwrite(b.data(), 1, b.size(), f) == b.size();
    out.bytes += b.size();
  };
  put(preamble(file).data());
  for (const Section& s : file.sections) {
    put(section_head(s).data());
    put(s.bytes);
  }
  out.digest = h.digest();
  ok = ok && std::fwrite(out.digest.data(), 1, out.digest.size(), f) == out.digest.size();
  out.bytes += out.digest.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return machine::Error{path + ": cannot write the snapshot", EIO};
  }
  return out;
}

Digest trailer_of(std::span<const uint8_t> bytes) {
  Digest d{};
  if (bytes.size() >= kDigestBytes) {
    std::memcpy(d.data(), bytes.data() + bytes.size() - kDigestBytes, kDigestBytes);
  }
  return d;
}

machine::Result<SnapshotFile> decode(std::span<const uint8_t> bytes, const std::string& name) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return machine::Error{name + ": not a vmlab snapshot (no VMLABSNP magic)", kErrNotSnapshot};
  }
  ByteReader r(bytes.subspan(sizeof kMagic));
  SnapshotFile file;
  file.format_version = r.u32();
  if (r.failed()) return corrupt(name, "truncated in the header");
  if (file.format_version != kFormatVersion) {
    return machine::Error{name + ": snapshot format version " +
                              std::to_string(file.format_version) + ", this vmlab reads version " +
                              std::to_string(kFormatVersion),
                          kErrVersion};
  }
  if (bytes.size() < sizeof kMagic + 4 + kDigestBytes) return corrupt(name, "truncated");
  const auto body = bytes.first(bytes.size() - kDigestBytes);
  if (sha256(body) != trailer_of(bytes)) {
    return corrupt(name, "the SHA-256 checksum does not match (truncated or altered)");
  }
  ByteReader b(body.subspan(sizeof kMagic + 4));
  const uint32_t header_len = b.u32();
  ByteReader h(b.bytes(header_len));
  if (b.failed()) return corrupt(name, "the header is longer than the file");
  file.vmlab_version = h.string(256);
  const uint32_t entries = h.u32();
  if (entries > 256) return corrupt(name, "too many fingerprint entries");
  for (uint32_t i = 0; i < entries && !h.failed(); ++i) {
    std::string key = h.string(256);
    std::string value = h.string(4096);
    file.fingerprint.emplace_back(std::move(key), std::move(value));
  }
  file.is_diff = h.boolean();
  file.parent = h.string(4096);
  const auto pd = h.bytes(kDigestBytes);
  if (!h.done()) return corrupt(name, "malformed header");
  std::memcpy(file.parent_digest.data(), pd.data(), kDigestBytes);
  if (file.is_diff && (file.parent.empty() || file.parent.find('/') != std::string::npos ||
                       file.parent == "." || file.parent == "..")) {
    return corrupt(name, "an incremental snapshot's parent must be a file name in its folder");
  }
  const uint32_t count = b.u32();
  if (b.failed() || count > kMaxSections) return corrupt(name, "bad section count");
  for (uint32_t i = 0; i < count; ++i) {
    Section s;
    s.tag = b.u32();
    const uint64_t len = b.u64();
    const auto data = b.bytes(len);
    if (b.failed()) return corrupt(name, "a section is longer than the file");
    if (file.find(s.tag) != nullptr) return corrupt(name, "a section appears twice");
    s.bytes.assign(data.begin(), data.end());
    file.sections.push_back(std::move(s));
  }
  if (!b.done()) return corrupt(name, "bytes after the last section");
  return file;
}

std::string fingerprint_mismatch(const Fingerprint& saved, const Fingerprint& current) {
  std::string out;
  auto value_in = [](const Fingerprint& f, const std::string& key) -> const std::string* {
    for (const auto& [k, v] : f) {
      if (k == key) return &v;
    }
    return nullptr;
  };
  auto note = [&](const std::string& key, const std::string* a, const std::string* b) {
    if (!out.empty()) out += "; ";
    out += key + ": the snapshot has " + (a ? "'" + *a + "'" : "none") + ", this run has " +
           (b ? "'" + *b + "'" : "none");
  };
  for (const auto& [key, value] : saved) {
    const std::string* now = value_in(current, key);
    if (now == nullptr || *now != value) note(key, &value, now);
  }
  for (const auto& [key, value] : current) {
    if (value_in(saved, key) == nullptr) note(key, nullptr, &value);
  }
  return out;
}

machine::Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return machine::Error{path + ": cannot open the snapshot: " + std::strerror(errno), errno};
  }
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.insert(out.end(), buf, buf + n);
    if (out.size() > kMaxFileBytes) {
      std::fclose(f);
      return corrupt(path, "larger than any snapshot vmlab writes");
    }
  }
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) return machine::Error{path + ": cannot read the snapshot", EIO};
  return out;
}

machine::Result<void> write_file(const std::string& path, std::span<const uint8_t> bytes) {
  const std::string tmp = path + ".part";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return machine::Error{path + ": cannot write the snapshot: " + std::strerror(errno), errno};
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return machine::Error{path + ": cannot write the snapshot", EIO};
  }
  return {};
}

}  // namespace vmlab::snapshot
