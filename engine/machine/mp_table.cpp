#include "engine/machine/mp_table.h"

#include <string_view>
#include <vector>

#include "engine/machine/io_apic.h"
#include "engine/machine/local_apic.h"

namespace vmlab::machine {

namespace {

// Entry types and sizes (MP specification 1.4, table 4-3).
constexpr uint8_t kProcessor = 0, kBus = 1, kIoApic = 2, kIoInterrupt = 3, kLocalInterrupt = 4;
// Interrupt types (table 4-8): a vectored interrupt, an NMI, an ExtINT (the 8259A's).
constexpr uint8_t kInt = 0, kNmi = 1, kExtInt = 3;
constexpr uint8_t kPciBus = 0, kIsaBus = 1;
constexpr uint8_t kIoApicId = 0;
// The I/O APIC version the table names, as SeaBIOS writes it (the chip itself reads 0x20,
// io_apic.h: the operating system takes the version from the register).
constexpr uint8_t kIoApicVersion = 0x11;
// The specification's revision, 1.4.
constexpr uint8_t kSpecRevision = 4;

class Bytes {
 public:
  void u8(uint8_t v) { b_.push_back(v); }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v));
    u8(static_cast<uint8_t>(v >> 8));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v));
    u16(static_cast<uint16_t>(v >> 16));
  }
  // A space-padded string field of `width` bytes.
  void text(std::string_view s, size_t width) {
    for (size_t i = 0; i < width; ++i) u8(i < s.size() ? static_cast<uint8_t>(s[i]) : ' ');
  }
  void zeros(size_t n) { b_.insert(b_.end(), n, 0); }
  std::vector<uint8_t>& bytes() { return b_; }

 private:
  std::vector<uint8_t> b_;
};

// Sets the byte at `at` so that all bytes add up to 0 (modulo 256).
void checksum(std::vector<uint8_t>& b, size_t at) {
  uint8_t sum = 0;
  for (uint8_t v : b) sum = static_cast<uint8_t>(sum + v);
  b[at] = static_cast<uint8_t>(-sum);
}

}  // namespace

uint32_t write_mp_table(PhysicalMemory& memory, uint32_t cpuid_signature, uint32_t cpuid_features) {
  // The entries (section 4.3).
  Bytes e;
  uint16_t count = 0;
  // The processor: local APIC ID and version, CPU flags (bit 0 enabled, bit 1 the
  // bootstrap processor), CPU signature and feature flags, 8 reserved bytes.
  e.u8(kProcessor);
  e.u8(0);
  e.u8(static_cast<uint8_t>(LocalApic::kVersionValue));
  e.u8(0x03);
  e.u32(cpuid_signature);
  e.u32(cpuid_features);
  e.zeros(8);
  ++count;
  for (const auto& [id, type] : {std::pair{kPciBus, "PCI"}, std::pair{kIsaBus, "ISA"}}) {
    e.u8(kBus);
    e.u8(id);
    e.text(type, 6);
    ++count;
  }
  e.u8(kIoApic);
  e.u8(kIoApicId);
  e.u8(kIoApicVersion);
  e.u8(0x01);  // enabled
  e.u32(IoApic::kBase);
  ++count;
  // I/O interrupt assignments: type, flags (polarity and trigger conforming to the bus),
  // source bus and IRQ, destination I/O APIC and its INTIN pin (io_apic.h: IRQ 0 on pin 2).
  for (uint8_t irq : {0, 1, 3, 4, 6, 7, 8, 12, 13, 14, 15}) {
    e.u8(kIoInterrupt);
    e.u8(kInt);
    e.u16(0);
    e.u8(kIsaBus);
    e.u8(irq);
    e.u8(kIoApicId);
    e.u8(static_cast<uint8_t>(IoApic::pin_of_isa_irq(irq)));
    ++count;
  }
  // Local interrupt assignments: the 8259A's ExtINT on LINT0 of local APIC 0, NMI on LINT1
  // of every local APIC (0xFF).
  for (const auto& [type, apic, lint] : {std::tuple<uint8_t, uint8_t, uint8_t>{kExtInt, 0, 0},
                                         std::tuple<uint8_t, uint8_t, uint8_t>{kNmi, 0xFF, 1}}) {
    e.u8(kLocalInterrupt);
    e.u8(type);
    e.u16(0);
    e.u8(kIsaBus);
    e.u8(0);
    e.u8(apic);
    e.u8(lint);
    ++count;
  }

  // The configuration table header (section 4.2, 44 bytes), then the entries.
  Bytes t;
  t.text("PCMP", 4);
  const uint16_t length = static_cast<uint16_t>(44 + e.bytes().size());
  t.u16(length);
  t.u8(kSpecRevision);
  t.u8(0);  // checksum, below
  t.text("BOCHSCPU", 8);
  t.text("0.1", 12);
  t.u32(0);  // no OEM table
  t.u16(0);
  t.u16(count);
  t.u32(LocalApic::kDefaultBase);
  t.u16(0);  // no extended entries
  t.u8(0);
  t.u8(0);
  t.bytes().insert(t.bytes().end(), e.bytes().begin(), e.bytes().end());
  checksum(t.bytes(), 7);

  // The floating pointer (section 4.1): the table's address, its own length in 16-byte
  // units, the revision, feature byte 1 = 0 (a configuration table is present), feature
  // byte 2 bit 7 clear (virtual-wire mode, no IMCR).
  Bytes p;
  p.text("_MP_", 4);
  p.u32(mp_table::kConfigTable);
  p.u8(1);
  p.u8(kSpecRevision);
  p.u8(0);  // checksum, below
  p.zeros(5);
  checksum(p.bytes(), 10);

  memory.write(mp_table::kFloatingPointer, p.bytes());
  memory.write(mp_table::kConfigTable, t.bytes());
  return length;
}

}  // namespace vmlab::machine
