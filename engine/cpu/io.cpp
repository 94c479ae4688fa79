// Port I/O: bootstrap version, replaced by the IOPL / I/O bitmap checks.
#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

uint32_t Cpu::io_in(uint16_t port, unsigned size) { return bus_.io_read(port, size); }
void Cpu::io_out(uint16_t port, unsigned size, uint32_t value) { bus_.io_write(port, size, value); }

}  // namespace vmlab::cpu
