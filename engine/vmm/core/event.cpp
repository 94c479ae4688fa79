#include "engine/vmm/core/event.h"

namespace vmlab::vmm {

namespace {

constexpr std::array<std::string_view, kNumModes> kModeNames = {"native", "trap", "bt", "pv",
                                                                "kvm"};

}  // namespace

const std::array<EventKindInfo, kNumEventKinds> kEventKindInfo = {{
    {nullptr, {}},
    {"trap", {"reason", "error_code", nullptr, nullptr}},
    {"emulated_insn", {"opcode", "reg", "linear", nullptr}},
    {"sensitive_no_trap", {"opcode", "reg", nullptr, nullptr}},
    {"bt_translate", {"linear", "insns", "bytes", "guest_bytes"}},
    {"bt_callout", {"reason", "opcode", nullptr, nullptr}},
    {"hypercall", {"number", "arg0", "arg1", "result"}},
    {"hidden_fault", {"linear", "error_code", "shadow_pte", nullptr}},
    {"true_fault", {"linear", "error_code", nullptr, nullptr}},
    {"guest_pt_write", {"address", "value", "old_value", nullptr}},
    {"shadow_update", {"linear", "shadow_pte", nullptr, nullptr}},
    {"cr3_switch", {"old_cr3", "new_cr3", nullptr, nullptr}},
    {"tlb_flush", {"global", nullptr, nullptr, nullptr}},
    {"invlpg", {"linear", nullptr, nullptr, nullptr}},
    {"port_io", {"port", "size", "value", "flags"}},
    {"mmio", {"address", "size", "value", "flags"}},
    {"exception", {"vector", "error_code", "has_error_code", nullptr}},
    {"external_interrupt", {"vector", nullptr, nullptr, nullptr}},
    {"software_interrupt", {"vector", nullptr, "form", nullptr}},
    {"virq_inject", {"vector", "error_code", "has_error_code", nullptr}},
    {"ring_notify", {"ring", "entries", "to_front", nullptr}},
    {"machine_stop", {"reason", "exit_value", "exit_port", nullptr}},
    {"page_fault", {"linear", "error_code", nullptr, nullptr}},
    {"cr_write", {"cr", "old_value", "new_value", nullptr}},
    {"nested_walk", {"linear", "references", nullptr, nullptr}},
    {"bt_chain", {"patch_at", "target", "tc_target", nullptr}},
    {"bt_lookup_hit", {"target", "count", "inline", nullptr}},
    {"bt_lookup_miss", {"target", nullptr, nullptr, nullptr}},
    {"bt_in_tc", {"kind", "count", nullptr, nullptr}},
    {"bt_adapt", {"linear", "to_callout", "seen", nullptr}},
    {"bt_flush", {"translations", "bytes", nullptr, nullptr}},
    {"bt_invalidate", {"page", "translations", nullptr, nullptr}},
    {"hole_access", {"linear", "write", nullptr, nullptr}},
    {"blk_request", {"operation", "sector", "sectors", "detail"}},
}};

std::string_view mode_name(ModeId mode) {
  const auto i = static_cast<unsigned>(mode);
  return i < kNumModes ? kModeNames[i] : std::string_view("unknown");
}

std::optional<ModeId> mode_from_name(std::string_view name) {
  for (unsigned i = 0; i < kNumModes; ++i) {
    if (kModeNames[i] == name) return static_cast<ModeId>(i);
  }
  return std::nullopt;
}

std::string_view event_kind_name(EventKind kind) {
  const unsigned i = index_of(kind);
  return i > 0 && i < kNumEventKinds ? kEventKindInfo[i].name : std::string_view("unknown");
}

std::optional<EventKind> event_kind_from_name(std::string_view name) {
  for (unsigned i = 1; i < kNumEventKinds; ++i) {
    if (kEventKindInfo[i].name == name) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

const std::array<EventKind, kNumEventKinds - 1>& all_event_kinds() {
  static const auto kinds = [] {
    std::array<EventKind, kNumEventKinds - 1> k{};
    for (unsigned i = 1; i < kNumEventKinds; ++i) k[i - 1] = static_cast<EventKind>(i);
    return k;
  }();
  return kinds;
}

}  // namespace vmlab::vmm
