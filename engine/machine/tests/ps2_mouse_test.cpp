// The PS/2 mouse on the 8042's auxiliary port (ps2_mouse.h, i8042_controller.h).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/machine/i8042_controller.h"
#include "engine/machine/ps2_mouse.h"

namespace vmlab::machine {
namespace {

constexpr uint16_t kData = I8042Controller::kDataOffset;
constexpr uint16_t kCmd = I8042Controller::kCommandOffset;

struct Kbc {
  std::vector<bool> irq1, irq12;
  I8042Controller c{[] {}, [this](bool l) { irq1.push_back(l); },
                    [this](bool l) { irq12.push_back(l); }};
  Kbc() { c.apply_firmware_state(); }
  // Every byte waiting, with whether the status register called it the auxiliary port's.
  std::vector<std::pair<uint8_t, bool>> drain() {
    std::vector<std::pair<uint8_t, bool>> out;
    for (uint32_t st; (st = c.io_read(kCmd, 1)) & 1;) {
      out.emplace_back(static_cast<uint8_t>(c.io_read(kData, 1)), (st & 0x20) != 0);
    }
    return out;
  }
  // Each byte to the mouse, and what it answers read before the next (a command drops the
  // answers not read yet, as the part does).
  std::vector<uint8_t> mouse(std::initializer_list<uint8_t> bytes) {
    std::vector<uint8_t> out;
    for (uint8_t byte : bytes) {
      c.io_write(kCmd, 1, 0xD4);
      c.io_write(kData, 1, byte);
      for (auto [b, aux] : drain()) {
        EXPECT_TRUE(aux);
        out.push_back(b);
      }
    }
    return out;
  }
  void cmd(uint8_t v) { c.io_write(kCmd, 1, v); }
  void data(uint8_t v) { c.io_write(kData, 1, v); }
};

using Bytes = std::vector<uint8_t>;

TEST(Ps2MouseTest, AnswersEveryCommandAsQemu) {
  Kbc k;
  EXPECT_EQ(k.mouse({0xE9}), (Bytes{0xFA, 0x00, 0x00, 0x00}));  // QEMU's reset state
  EXPECT_EQ(k.mouse({0xFF}), (Bytes{0xFA, 0xAA, 0x00}));
  EXPECT_EQ(k.mouse({0xE9}), (Bytes{0xFA, 0x00, 0x02, 100}));
  EXPECT_EQ(k.mouse({0xF3, 200, 0xF3, 100, 0xF3, 80, 0xF2}),
            (Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x03}));
  EXPECT_EQ(k.mouse({0xEB}), (Bytes{0xFA, 0x08, 0, 0, 0}));  // a wheel: four bytes
  EXPECT_EQ(k.mouse({0xF3, 200, 0xF3, 200, 0xF3, 80, 0xF2}),
            (Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x04}));
  EXPECT_EQ(k.mouse({0xE8, 3, 0xE7, 0xF0, 0xF4, 0xE9}),
            (Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x70, 0x03, 80}));
  EXPECT_EQ(k.mouse({0xF6, 0xE9}), (Bytes{0xFA, 0xFA, 0x00, 0x02, 100}));
  EXPECT_EQ(k.mouse({0xF2}), (Bytes{0xFA, 0x04}));  // F6 keeps the ID
  EXPECT_EQ(k.mouse({0xEE, 0x55, 0xF2, 0xEC}), (Bytes{0xFA, 0x55, 0xF2, 0xFA}));
  EXPECT_TRUE(k.mouse({0x12}).empty());  // not a command
  EXPECT_EQ(k.mouse({0xFF, 0xF2}), (Bytes{0xFA, 0xAA, 0x00, 0xFA, 0x00}));
}

TEST(Ps2MouseTest, TheAuxiliaryInterfaceGatesTheMouseAndIrq12) {
  Kbc k;
  EXPECT_EQ(k.c.command_byte(), 0x61);  // as SeaBIOS leaves it: auxiliary disabled
  k.cmd(0xA8);
  EXPECT_EQ(k.c.command_byte(), 0x41);
  k.cmd(0xA7);
  k.cmd(0xD4);
  k.data(0xF2);  // a write to the mouse enables the interface again, as under QEMU
  EXPECT_EQ(k.c.command_byte(), 0x41);
  EXPECT_EQ(k.drain().size(), 2u);
  // IRQ 12 with CTR bit 1, for the auxiliary port's bytes only; IRQ 1 never for them.
  k.cmd(0x60);
  k.data(0x43);
  k.irq1.clear();
  k.irq12.clear();
  k.cmd(0xD4);
  k.data(0xF2);
  EXPECT_TRUE(k.c.aux_irq_level());
  EXPECT_FALSE(k.c.irq_level());
  EXPECT_EQ(k.drain().size(), 2u);
  EXPECT_EQ(k.irq12, (std::vector<bool>{true, false, true, false}));
  EXPECT_TRUE(k.irq1.empty());
  // A keyboard byte and a mouse byte waiting: the keyboard's first, as QEMU orders them.
  k.cmd(0xD4);
  k.data(0xF2);  // FA 00 queued at the mouse, FA in the buffer
  k.data(0xEE);  // the keyboard's echo waits behind it
  EXPECT_EQ(k.drain(),
            (std::vector<std::pair<uint8_t, bool>>{{0xFA, true}, {0xEE, false}, {0x00, true}}));
}

TEST(Ps2MouseTest, HostileBytesNeverLeaveItOutOfRange) {
  Kbc k;
  std::mt19937 rng(2026);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t what = rng() % 8;
    if (what < 3) {
      k.cmd(0xD4);
      k.data(static_cast<uint8_t>(rng()));
    } else if (what == 3) {
      k.cmd(static_cast<uint8_t>(0xA7 + rng() % 3));
    } else if (what == 4) {
      k.cmd(0xD3);
      k.data(static_cast<uint8_t>(rng()));
    } else {
      k.c.io_read(rng() & 1 ? kData : kCmd, 1);
    }
    const Ps2Mouse& m = k.c.mouse();
    ASSERT_EQ(m.status() & 0x8F, 0);
    ASSERT_TRUE(m.id() == 0 || m.id() == 3 || m.id() == 4);
    ASSERT_EQ(k.c.aux_irq_level(), k.c.output_is_aux() && (k.c.command_byte() & 2));
    if (i % 1000 == 0) {  // every state it reaches saves and loads
      cpu::ByteWriter w;
      k.c.save(w);
      Kbc other;
      cpu::ByteReader r(w.data());
      other.c.load(r);
      ASSERT_FALSE(r.failed()) << i;
    }
  }
  k.drain();
  k.cmd(0xA8);
  k.mouse({0xEC});  // out of wrap mode, if it was in it
  EXPECT_EQ(k.mouse({0xFF}), (Bytes{0xFA, 0xAA, 0x00}));
}

TEST(Ps2MouseTest, LoadRefusesStatesThePartCannotBeIn) {
  Kbc k;
  k.cmd(0xA8);
  k.mouse({0xF3, 200, 0xF3, 100, 0xF3, 80});
  cpu::ByteWriter w;
  k.c.save(w);
  // Every single byte flipped to 0xFF: a load either fails or gives a state in range.
  for (size_t i = 0; i < w.data().size(); ++i) {
    std::vector<uint8_t> bad(w.data().begin(), w.data().end());
    bad[i] = 0xFF;
    Kbc other;
    cpu::ByteReader r(bad);
    other.c.load(r);
    if (r.failed()) continue;
    const Ps2Mouse& m = other.c.mouse();
    EXPECT_EQ(m.status() & 0x8F, 0) << i;
    EXPECT_TRUE(m.id() == 0 || m.id() == 3 || m.id() == 4) << i;
    other.drain();  // and it runs
    other.mouse({0xFF});
  }
}

}  // namespace
}  // namespace vmlab::machine
