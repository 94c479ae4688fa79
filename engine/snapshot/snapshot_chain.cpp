#include "engine/snapshot/snapshot_chain.h"

#include <filesystem>

#include "engine/snapshot/vm_capture.h"

namespace vmlab::snapshot {

machine::Result<LoadedSnapshot> load_chain(const std::string& path) {
  std::vector<SnapshotFile> files;  // the named file first, the base last
  std::vector<std::string> names;
  std::string at = path;
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  for (;;) {
    auto bytes = read_file(at);
    if (!bytes) return bytes.error();
    if (!files.empty() && trailer_of(bytes.value()) != files.back().parent_digest) {
      return machine::Error{
          at + ": is not the parent " + names.back() + " was taken from (its SHA-256 differs)",
          kErrMismatch};
    }
    auto file = decode(bytes.value(), at);
    if (!file) return file.error();
    if (!files.empty() && file.value().fingerprint != files.front().fingerprint) {
      return machine::Error{at + ": its fingerprint differs from " + path + "'s", kErrMismatch};
    }
    if (file.value().find(kMemory) == nullptr) {
      return machine::Error{at + ": corrupt snapshot: no MEM section", kErrCorrupt};
    }
    names.push_back(at);
    files.push_back(std::move(file.value()));
    if (!files.back().is_diff) break;
    if (files.size() >= kMaxChain) {
      return machine::Error{path + ": the chain of incremental snapshots is too long", kErrCorrupt};
    }
    at = (folder / files.back().parent).string();
  }
  LoadedSnapshot out;
  out.chain_length = files.size();
  for (size_t i = files.size(); i-- > 0;) {
    if (auto a = apply_memory(*files[i].find(kMemory), out.memory, names[i]); !a) {
      return a.error();
    }
  }
  out.file = std::move(files.front());
  return out;
}

SnapshotFile flatten(const LoadedSnapshot& loaded) {
  SnapshotFile f = loaded.file;
  f.is_diff = false;
  f.parent.clear();
  f.parent_digest = {};
  std::vector<Section> sections;
  for (Section& s : f.sections) {
    if (s.tag == kMemory) s = memory_section(loaded.memory);
    // An incremental file's DIFF section (snapshot_runner.h) describes the diff, not the state.
    if (s.tag != tag("DIFF")) sections.push_back(std::move(s));
  }
  f.sections = std::move(sections);
  return f;
}

}  // namespace vmlab::snapshot
