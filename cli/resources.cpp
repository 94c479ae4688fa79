#include "cli/resources.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace vmlab::cli {

std::string profiles_dir() {
  if (const char* env = std::getenv("VMLAB_PROFILES_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return VMLAB_PROFILES_DIR;
}

std::string default_guest_kernel() {
  if (const char* env = std::getenv("VMLAB_GUEST_KERNEL"); env != nullptr && *env != '\0') {
    return env;
  }
  return VMLAB_GUEST_KERNEL;
}

machine::Result<vmm::CostProfile> load_profile(const std::string& name,
                                               const CostOverrides& overrides) {
  const bool is_path =
      name.find('/') != std::string::npos || (name.size() > 8 && name.ends_with(".profile"));
  const std::string path = is_path ? name : profiles_dir() + "/" + name + ".profile";
  if (!std::filesystem::exists(path)) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(profiles_dir(), ec)) {
      if (entry.path().extension() == ".profile") names.push_back(entry.path().stem().string());
    }
    std::sort(names.begin(), names.end());
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

}  // namespace vmlab::cli
