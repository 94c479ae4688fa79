// A bare processor with RAM and a recording bus, for the CPU unit tests: code is placed
// in memory, run for a number of instructions, and the state is inspected.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

#include "engine/cpu/cpu.h"

namespace vmlab::cpu::testing {

class RecordingBus : public Bus {
 public:
  uint32_t io_read(uint16_t port, unsigned size) override {
    auto it = port_values.find(port);
    const uint32_t v = it == port_values.end() ? 0xFFFFFFFFu : it->second;
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
  }
  void io_write(uint16_t port, unsigned size, uint32_t value) override {
    writes.push_back({port, size, value});
  }
  uint32_t mmio_read(uint32_t, unsigned size) override {
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
  }
  void mmio_write(uint32_t, unsigned, uint32_t) override {}
  bool intr_pending() override { return pending_vector >= 0; }
  uint8_t intr_acknowledge() override {
    const auto v = static_cast<uint8_t>(pending_vector);
    pending_vector = -1;
    return v;
  }

  struct Write {
    uint16_t port;
    unsigned size;
    uint32_t value;
  };
  std::map<uint16_t, uint32_t> port_values;
  std::vector<Write> writes;
  int pending_vector = -1;
};

class CpuTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kCodeBase = 0x1000;
  static constexpr uint32_t kStackTop = 0x90000;

  CpuTest() : ram_(4u << 20, 0), cpu_(ram_, bus_) {
    cpu_.reset_multiboot(kCodeBase, 0, 0);
    cpu_.state().gpr[ESP] = kStackTop;
  }

  void poke(uint32_t addr, std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) ram_[addr++] = b;
    cpu_.notify_phys_write(0, static_cast<uint32_t>(ram_.size()));
  }
  void poke32(uint32_t addr, uint32_t v) {
    for (int i = 0; i < 4; ++i) ram_[addr + i] = static_cast<uint8_t>(v >> (8 * i));
    cpu_.notify_phys_write(addr, 4);
  }
  uint32_t peek32(uint32_t addr) const {
    return uint32_t{ram_[addr]} | uint32_t{ram_[addr + 1]} << 8 | uint32_t{ram_[addr + 2]} << 16 |
           uint32_t{ram_[addr + 3]} << 24;
  }
  // Places `code` at kCodeBase and runs `count` instructions.
  RunEnd run_code(std::initializer_list<uint8_t> code, uint64_t count) {
    poke(kCodeBase, code);
    cpu_.state().eip = kCodeBase;
    return cpu_.run(count);
  }

  CpuState& st() { return cpu_.state(); }

  std::vector<uint8_t> ram_;
  RecordingBus bus_;
  Cpu cpu_;
};

}  // namespace vmlab::cpu::testing
