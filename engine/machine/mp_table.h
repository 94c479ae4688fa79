// The MP configuration table (Intel MultiProcessor Specification 1.4, chapter 4) that a
// PC BIOS leaves for the operating system: the MP floating pointer structure ("_MP_", 16
// bytes on a 16-byte boundary in the BIOS ROM area) and the configuration table it points
// to ("PCMP"), which names the processor and its local APIC, the buses, the I/O APIC and
// how each ISA interrupt reaches it. Kernels that drive the I/O APIC find it there (xv6's
// mpinit, Linux's MP-table parser when there is no ACPI MADT). vmlab has no BIOS, so the
// machine writes it before it loads the kernel (a kernel segment over it wins), as SeaBIOS
// leaves it on QEMU's i440FX PC without ACPI (`qemu-system-i386 -machine pc,acpi=off`;
// tests/kernels/mptable reads it back under both, byte for byte):
//
//   one processor (local APIC ID 0, version 0x14, enabled, bootstrap; its CPUID leaf 1
//   signature and feature flags), bus 0 "PCI", bus 1 "ISA", the I/O APIC (ID 0, version
//   0x11, enabled, at 0xFEC00000), the ISA IRQs 0 (on pin 2, the timer's override), 1, 3,
//   4, 6, 7, 8 and 12-15 on their own pins, conforming polarity and trigger (the lines
//   SeaBIOS keeps for PCI interrupt routing, 5, 9, 10 and 11, and the cascade, 2, are not
//   listed), ExtINT on LINT0 of the local APIC and NMI on LINT1 of every local APIC.
//
// Only machines with a local APIC and an I/O APIC get one (MachineConfig::local_apic:
// every mode but pv, whose guest has neither).
#pragma once

#include <cstdint>

#include "engine/machine/physical_memory.h"

namespace vmlab::machine {

namespace mp_table {
// Where the floating pointer and, right after it, the configuration table lie: in the
// BIOS ROM area (0xF0000-0xFFFFF, reserved in the memory map), the last of the three
// places the specification has the operating system search (section 4: the EBDA's first
// KiB, the last KiB of base memory, the BIOS ROM).
inline constexpr uint32_t kFloatingPointer = 0xF6000;
inline constexpr uint32_t kConfigTable = kFloatingPointer + 16;
}  // namespace mp_table

// Writes the floating pointer and the configuration table, with their checksums; returns
// the configuration table's length in bytes. `cpuid_signature` and `cpuid_features` are
// the processor's CPUID leaf 1 EAX and EDX, as the BIOS read them.
uint32_t write_mp_table(PhysicalMemory& memory, uint32_t cpuid_signature, uint32_t cpuid_features);

}  // namespace vmlab::machine
