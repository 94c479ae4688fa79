#include "frontend/sweep/grid.h"

#include <cmath>

#include "engine/vmm/core/cost_profile.h"
#include "frontend/sweep/json_value.h"
#include "frontend/variants.h"
#include "frontend/workloads.h"

namespace vmlab::frontend::sweep {

namespace {

using Kind = JsonValue::Kind;

bool whole(const JsonValue& v, uint64_t min, uint64_t max, uint64_t& out) {
  if (v.kind != Kind::kNumber || v.number != std::floor(v.number) ||
      v.number < static_cast<double>(min) || v.number > static_cast<double>(max)) {
    return false;
  }
  out = static_cast<uint64_t>(v.number);
  return true;
}

bool strings(const JsonValue* v, const char* key, std::vector<std::string>& out,
             std::string& error) {
  if (v == nullptr || v->kind != Kind::kArray || v->array.empty()) {
    error = std::string("\"") + key + "\" must be a non-empty array of names";
    return false;
  }
  for (const JsonValue& s : v->array) {
    if (s.kind != Kind::kString || s.string.empty()) {
      error = std::string("\"") + key + "\" holds something that is not a name";
      return false;
    }
    out.push_back(s.string);
  }
  return true;
}

}  // namespace

bool parse_grid(const std::string& text, Grid& grid, std::string& error) {
  grid = Grid{};
  JsonValue root;
  if (!parse_json(text, root, error)) return false;
  if (root.kind != Kind::kObject) {
    error = "the grid must be a JSON object";
    return false;
  }
  for (const auto& [key, v] : root.object) {
    if (key != "modes" && key != "workloads" && key != "profiles" && key != "costs" &&
        key != "disk") {
      error = "unknown key \"" + key + "\" (keys: modes, workloads, profiles, costs, disk)";
      return false;
    }
  }
  if (!strings(root.get("modes"), "modes", grid.modes, error)) return false;
  for (const std::string& m : grid.modes) {
    if (find_variant(m) == nullptr) {
      error = "unknown mode \"" + m + "\" (modes: " + variant_names() + ")";
      return false;
    }
  }
  const JsonValue* ws = root.get("workloads");
  if (ws == nullptr || ws->kind != Kind::kArray || ws->array.empty()) {
    error = "\"workloads\" must be a non-empty array";
    return false;
  }
  for (const JsonValue& w : ws->array) {
    GridWorkload g;
    if (w.kind == Kind::kString) {
      g.name = w.string;
    } else if (w.kind == Kind::kObject) {
      for (const auto& [key, v] : w.object) {
        if (key == "name" && v.kind == Kind::kString) {
          g.name = v.string;
        } else if (key == "args" && v.kind == Kind::kString) {
          g.args = v.string;
        } else if (key == "iters") {
          if (!whole(v, 1, 100'000'000, g.iters)) {
            error = "a workload's \"iters\" must be a whole number from 1 to 100000000";
            return false;
          }
        } else {
          error =
              "a workload takes \"name\", \"args\" (strings) and \"iters\"; not \"" + key + "\"";
          return false;
        }
      }
    } else {
      error = "a workload is a name or an object with \"name\", \"args\", \"iters\"";
      return false;
    }
    if (find_workload(g.name) == nullptr) {
      error = "unknown workload \"" + g.name + "\" (docs/guest.md)";
      return false;
    }
    for (char c : g.args) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '"') {
        error = "a workload's \"args\" must be printable words";
        return false;
      }
    }
    grid.workloads.push_back(std::move(g));
  }
  if (root.get("profiles") == nullptr) {
    grid.profiles = {"native-1c"};
  } else if (!strings(root.get("profiles"), "profiles", grid.profiles, error)) {
    return false;
  }
  const JsonValue* cs = root.get("costs");
  if (cs == nullptr) {
    grid.costs = {{}};
  } else {
    if (cs->kind != Kind::kArray || cs->array.empty()) {
      error = "\"costs\" must be a non-empty array of objects such as {\"trap\": 1931}";
      return false;
    }
    for (const JsonValue& set : cs->array) {
      if (set.kind != Kind::kObject) {
        error = "\"costs\" holds something that is not an object of KEY: CYCLES";
        return false;
      }
      CostSet c;
      for (const auto& [key, v] : set.object) {
        uint64_t cycles = 0;
        if (key.empty() || !whole(v, 0, vmm::CostProfile::kMaxCycles, cycles)) {
          error = "cost \"" + key + "\" must be a whole number of cycles from 0 to " +
                  std::to_string(vmm::CostProfile::kMaxCycles);
          return false;
        }
        c.emplace_back(key, cycles);
      }
      grid.costs.push_back(std::move(c));
    }
  }
  if (const JsonValue* d = root.get("disk"); d != nullptr) {
    if (d->kind != Kind::kString || d->string.empty()) {
      error = "\"disk\" must be the path of a disk image";
      return false;
    }
    grid.disk = d->string;
  }
  return true;
}

}  // namespace vmlab::frontend::sweep
