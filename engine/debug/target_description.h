// The target description gdb reads with qXfer:features:read:target.xml (gdb's manual,
// "Target Descriptions" and "i386 Features"): the i386 core feature (the general, segment
// and x87 registers, in gdb's numbering) and a system feature with the control registers
// cr0, cr2, cr3, cr4, numbered 32..35 after the core's 32 registers.
#pragma once

#include <string_view>

namespace vmlab::debug {

std::string_view target_xml();

}  // namespace vmlab::debug
