// FwCfg: QEMU's firmware configuration interface, the traditional I/O-port form
// (QEMU docs/specs/fw_cfg.rst): a 16-bit selector written to port 0x510 picks an item,
// and each byte read from port 0x511 returns the item's next byte (0 past its end, and
// for items that do not exist). Test kernels such as kvm-unit-tests ask it how many
// processors and how much RAM the machine has. vmlab provides the items that describe
// the machine; the DMA interface (port 0x514) and the file directory's entries are not
// offered (FW_CFG_ID reports the traditional interface only; the directory is empty).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class FwCfg : public IoDevice {
 public:
  static constexpr uint16_t kBase = 0x510;  // selector at +0, data at +1
  static constexpr uint16_t kPorts = 2;
  // Item selectors (fw_cfg.rst, "Selector Register"; QEMU include/standard-headers/linux/
  // qemu_fw_cfg.h).
  static constexpr uint16_t kSignature = 0x0000;
  static constexpr uint16_t kId = 0x0001;
  static constexpr uint16_t kRamSize = 0x0003;
  static constexpr uint16_t kNoGraphic = 0x0004;
  static constexpr uint16_t kNbCpus = 0x0005;
  static constexpr uint16_t kMaxCpus = 0x000F;
  static constexpr uint16_t kFileDir = 0x0019;

  explicit FwCfg(uint64_t ram_bytes);

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  const std::vector<uint8_t>* item(uint16_t selector) const;

  std::vector<uint8_t> signature_, id_, ram_size_, no_graphic_, nb_cpus_, max_cpus_, file_dir_;
  uint16_t selector_ = 0;
  uint32_t offset_ = 0;
};

}  // namespace vmlab::machine
