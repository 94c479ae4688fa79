#include "frontend/resources.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace vmlab::frontend {

namespace {

// The folder of the running front end's binary, so that an installed or moved vmlab finds
// what it ships relative to itself (<prefix>/bin/vmlab and <prefix>/share/vmlab/...; in
// the build tree <build>/cli/vmlab or <build>/gui/vmlab-gui and <build>/share/vmlab/...,
// <build>/guest/...).
std::filesystem::path binary_dir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : self.parent_path();
}

bool is_dir(const std::filesystem::path& p) {
  std::error_code ec;
  return !p.empty() && std::filesystem::is_directory(p, ec);
}

bool is_file(const std::filesystem::path& p) {
  std::error_code ec;
  return !p.empty() && std::filesystem::is_regular_file(p, ec);
}

}  // namespace

std::string profiles_dir() {
  if (const char* env = std::getenv("VMLAB_PROFILES_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  const auto bin = binary_dir();
  if (!bin.empty()) {
    if (const auto shipped = bin.parent_path() / "share/vmlab/profiles"; is_dir(shipped)) {
      return shipped.string();
    }
  }
  return VMLAB_PROFILES_DIR;
}

std::string default_guest_kernel() {
  if (const char* env = std::getenv("VMLAB_GUEST_KERNEL"); env != nullptr && *env != '\0') {
    return env;
  }
  const auto bin = binary_dir();
  if (!bin.empty()) {
    for (const char* rel : {"share/vmlab/guest/vmlab_guest.elf", "guest/vmlab_guest.elf"}) {
      if (const auto shipped = bin.parent_path() / rel; is_file(shipped)) return shipped.string();
    }
  }
  return VMLAB_GUEST_KERNEL;
}

std::vector<std::string> profile_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(profiles_dir(), ec)) {
    if (entry.path().extension() == ".profile") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

machine::Result<vmm::CostProfile> load_profile(const std::string& name,
                                               const CostOverrides& overrides) {
  const bool is_path =
      name.find('/') != std::string::npos || (name.size() > 8 && name.ends_with(".profile"));
  const std::string path = is_path ? name : profiles_dir() + "/" + name + ".profile";
  if (!std::filesystem::exists(path)) {
    const std::vector<std::string> names = profile_names();
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    return machine::Error{
        "no cost profile '" + name + "' (" +
            (known.empty() ? "looked in " + profiles_dir() : "profiles: " + known) + ")",
        EINVAL};
  }
  auto profile = vmm::CostProfile::load_file(path);
  if (!profile) return profile.error();
  for (const auto& [key, cycles] : overrides) {
    if (auto r = profile.value().set(key, cycles,
                                     "command line: --cost " + key + "=" + std::to_string(cycles));
        !r) {
      return r.error();
    }
  }
  return profile;
}

}  // namespace vmlab::frontend
