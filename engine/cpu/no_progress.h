// The words of the no-progress guard's stop message (Cpu::no_progress_event, cpu.cpp), in
// one place, so that a layer above can tell that stop from an unmodeled feature's (both end
// the run loop with RunEnd::kUnsupported): vmm::add_sensitive_stop_note names the
// Popek-Goldberg hole for a guest that stormed after sensitive instructions did not trap.
#pragma once

#include <string_view>

namespace vmlab::cpu {

inline constexpr std::string_view kNoProgressWords = " without a guest instruction retiring";

}  // namespace vmlab::cpu
