// Names for the numbers in event payloads that a person reads in a trace viewer: VT-x exit
// reasons (SDM Vol. 3C, appendix C) and exception vectors (SDM Vol. 3A, table 6-1). The
// trace files keep the numbers; the Chrome trace adds these names beside them.
#pragma once

#include <cstdint>

namespace vmlab::vmm {

// nullptr for a value without a name.
const char* vmx_exit_reason_name(uint32_t reason);
const char* exception_vector_name(uint32_t vector);

}  // namespace vmlab::vmm
