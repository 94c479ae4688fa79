// The 8042 and its keyboard (i8042_controller.h, ps2_keyboard.h), scancodes, key scripts
// (key_script.h) and the key feeder (key_feeder.h).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/machine/i8042_controller.h"
#include "engine/machine/key_feeder.h"
#include "engine/machine/key_script.h"
#include "engine/machine/ps2_keyboard.h"
#include "engine/machine/scancodes.h"

namespace vmlab::machine {
namespace {

constexpr uint16_t kData = I8042Controller::kDataOffset;
constexpr uint16_t kCmd = I8042Controller::kCommandOffset;

struct Kbc {
  int resets = 0;
  std::vector<bool> irq;
  I8042Controller c{[this] { ++resets; }, [this](bool l) { irq.push_back(l); }};
  Kbc() { c.apply_firmware_state(); }
  std::vector<uint8_t> drain() {
    std::vector<uint8_t> out;
    while (c.io_read(kCmd, 1) & 1) out.push_back(static_cast<uint8_t>(c.io_read(kData, 1)));
    return out;
  }
  void cmd(uint8_t v) { c.io_write(kCmd, 1, v); }
  void data(uint8_t v) { c.io_write(kData, 1, v); }
};

KeyId key(const char* name) {
  return *find_key(name);
}

TEST(I8042Test, FirmwareStateAndControllerCommands) {
  Kbc k;
  EXPECT_EQ(k.c.io_read(kCmd, 1), 0x14u);  // system flag, not inhibited, last write data
  k.cmd(0x20);
  EXPECT_EQ(k.c.io_read(kCmd, 1), 0x1Du);  // output full, command last
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{I8042Controller::kFirmwareCtr});
  k.cmd(0xAA);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x55});
  k.cmd(0xAB);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x00});
  k.cmd(0xD0);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0xCF});
  k.cmd(0xD2);
  k.data(0x5A);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x5A});
  EXPECT_EQ(k.c.io_read(kData, 1), 0x5Au);  // nothing queued: the last byte again
  k.cmd(0xA9);                              // the auxiliary interface test: no fault
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x00});
  k.cmd(0xD3);  // the loop test: the byte comes back as the auxiliary port's
  k.data(0x5A);
  EXPECT_EQ(k.c.io_read(kCmd, 1), 0x35u);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x5A});
  k.cmd(0xAD);
  k.cmd(0x20);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{I8042Controller::kFirmwareCtr | 0x10});
  k.cmd(0xAE);
  k.cmd(0x60);
  k.data(0x00);  // the system flag stays, as under QEMU
  EXPECT_EQ(k.c.io_read(kCmd, 1), 0x14u);
  EXPECT_EQ(k.resets, 0);
  k.cmd(0xFE);
  EXPECT_EQ(k.resets, 1);
  k.cmd(0xD1);
  k.data(0xDF);
  EXPECT_EQ(k.resets, 1);
  k.cmd(0xD1);
  k.data(0xDE);
  EXPECT_EQ(k.resets, 2);
}

TEST(I8042Test, KeyboardCommandsTranslatedAndNot) {
  Kbc k;
  k.data(0xFF);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA, 0xAA}));
  k.data(0xF2);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA, 0xAB, 0x41}));
  k.data(0xF0);
  k.data(0x00);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA, 0x41}));
  k.cmd(0x60);
  k.data(0x05);  // translation off
  k.data(0xF2);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA, 0xAB, 0x83}));
  k.data(0xF0);
  k.data(0x00);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA, 0x02}));
  k.data(0xEE);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0xEE});
  k.data(0xED);
  k.data(0x07);  // the unread FA of ED is dropped, as under QEMU
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA}));
  EXPECT_EQ(k.c.keyboard().leds(), 7);
  k.data(0xF3);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA}));
  k.data(0x20);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA}));
  EXPECT_EQ(k.c.keyboard().typematic(), 0x20);
  k.data(0xF0);
  k.data(0x03);  // set 3: not modeled, refused
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFE}));
  k.data(0x88);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0xFE});
  k.data(0xEE);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0xEE});
  k.data(0xFE);  // resend: the last byte again
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0xEE});
  k.data(0xF5);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0xFA});
  EXPECT_FALSE(k.c.key(key("a"), false));  // not scanning: dropped
  EXPECT_TRUE(k.drain().empty());
}

TEST(I8042Test, KeysInBothSetsAndIrq1) {
  Kbc k;
  k.irq.clear();
  // Translated (the firmware's CTR): set 1; the line rises with the byte, falls on read.
  EXPECT_TRUE(k.c.key(key("up"), false));
  EXPECT_EQ(k.irq, std::vector<bool>{true});
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xE0, 0x48}));
  EXPECT_TRUE(k.c.key(key("up"), true));
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xE0, 0xC8}));
  EXPECT_TRUE(k.c.key(key("esc"), true));
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x81});
  EXPECT_EQ(k.irq.back(), false);
  k.cmd(0x60);
  k.data(0x05);  // no translation, interrupt on
  EXPECT_TRUE(k.c.key(key("up"), true));
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xE0, 0xF0, 0x75}));
  k.data(0xF0);
  k.data(0x01);
  k.drain();
  EXPECT_TRUE(k.c.key(key("a"), true));
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x9E});
  // Every key's translated set 2 make code is its set 1 code.
  for (size_t i = 0; i < key_table().size(); ++i) {
    const KeyCode& kc = key_table()[i];
    EXPECT_EQ(translate_set2_byte(kc.set2), kc.set1) << kc.name;
  }
}

TEST(Ps2KeyboardTest, QueueHoldsSixteenBytesAndMarksOverrun) {
  Ps2Keyboard kb;
  while (kb.has_data()) kb.read();
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(kb.key(key("a"), i % 2 != 0));  // 1C F0 1C ...
  EXPECT_EQ(kb.queued(), 12u);
  EXPECT_TRUE(kb.key(key("up"), true));  // E0 F0 75: 15
  EXPECT_EQ(kb.queued(), 15u);
  EXPECT_FALSE(kb.key(key("up"), false));  // two more do not fit: overrun
  EXPECT_EQ(kb.queued(), 15u);
  std::vector<uint8_t> got;
  while (kb.has_data()) got.push_back(kb.read());
  EXPECT_EQ(got.back(), 0x00);  // set 2's overrun code replaced the last byte
  EXPECT_EQ(got.size(), 15u);
  EXPECT_EQ(kb.read(), 0x00);  // empty: the last byte again
}

TEST(I8042Test, HammeredWithEveryCommandAndDataStaysSane) {
  Kbc k;
  std::mt19937 rng(12);
  for (int c = 0; c < 256; ++c) {
    for (int i = 0; i < 64; ++i) {
      k.cmd(static_cast<uint8_t>(c));
      k.data(static_cast<uint8_t>(rng()));
      if (rng() & 1) k.c.io_read(kData, 1);
      k.c.key(static_cast<KeyId>(rng() % key_table().size()), rng() & 1);
      EXPECT_LE(k.c.keyboard().queued(), Ps2Keyboard::kQueueBytes);
      EXPECT_EQ(k.c.irq_level(),
                k.c.output_full() && !k.c.output_is_aux() && (k.c.command_byte() & 1));
      EXPECT_EQ(k.c.aux_irq_level(),
                k.c.output_full() && k.c.output_is_aux() && (k.c.command_byte() & 2));
    }
  }
  // Whatever it was left in, the usual recovery works.
  k.drain();
  k.cmd(0x60);
  k.data(0x45);
  k.drain();
  k.cmd(0xAA);
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x55});
  k.data(0xFF);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA, 0xAA}));
  k.data(0xF2);
  EXPECT_EQ(k.drain(), (std::vector<uint8_t>{0xFA, 0xAB, 0x41}));
}

TEST(I8042Test, SavesAndLoadsEveryLatch) {
  Kbc k;
  k.data(0xED);  // the keyboard waits for the LED byte
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0xFA});
  k.cmd(0x20);  // the CTR in the buffer
  cpu::ByteWriter w;
  k.c.save(w);
  Kbc other;
  cpu::ByteReader r(w.data());
  other.c.load(r);
  ASSERT_FALSE(r.failed());
  EXPECT_EQ(other.drain(), std::vector<uint8_t>{I8042Controller::kFirmwareCtr});
  other.data(0x07);
  EXPECT_EQ(other.drain(), std::vector<uint8_t>{0xFA});
  EXPECT_EQ(other.c.keyboard().leds(), 7);
  // A buffer "full" with the IRQ line low and CTR bit 0 set is not a state the part has.
  std::vector<uint8_t> bad(w.data().begin(), w.data().end());
  bad[bad.size() - 1] ^= 1;
  cpu::ByteReader rb(bad);
  other.c.load(rb);
  EXPECT_TRUE(rb.failed());
}

TEST(KeyScriptTest, CharactersNamesModifiersAndWaits) {
  auto r = parse_key_script("aB<enter><wait 2ms><S-left><C-c><+alt><tab></alt><shift>x</shift>!");
  ASSERT_TRUE(r) << r.error().message;
  const KeyId a = key("a"), b = key("b"), sh = key("shift");
  const std::vector<KeyAction>& v = r.value();
  ASSERT_EQ(v.size(), 2u + 4 + 2 + 4 + 4 + 4 + 4 + 4);
  EXPECT_EQ(v[0], (KeyAction{a, false, 0}));
  EXPECT_EQ(v[1], (KeyAction{a, true, 0}));
  EXPECT_EQ(v[2], (KeyAction{sh, false, 0}));
  EXPECT_EQ(v[3], (KeyAction{b, false, 0}));
  EXPECT_EQ(v[5], (KeyAction{sh, true, 0}));
  EXPECT_EQ(v[6], (KeyAction{key("enter"), false, 0}));
  EXPECT_EQ(v[8], (KeyAction{sh, false, 2000}));  // <S-left>, after the wait
  EXPECT_EQ(v[9], (KeyAction{key("left"), false, 0}));
  EXPECT_EQ(v[16], (KeyAction{key("alt"), false, 0}));
  EXPECT_EQ(v[19], (KeyAction{key("alt"), true, 0}));
  EXPECT_EQ(v[20], (KeyAction{sh, false, 0}));
  EXPECT_EQ(v[21], (KeyAction{key("x"), false, 0}));
  EXPECT_EQ(v[23], (KeyAction{sh, true, 0}));
  EXPECT_EQ(v[25], (KeyAction{key("1"), false, 0}));  // ! is Shift+1
}

TEST(KeyScriptTest, ErrorsNameThePosition) {
  auto bad = [](const char* s) {
    auto r = parse_key_script(s);
    return r ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(bad("ab<enterr>"), "key script, position 2: unknown key 'enterr'");
  EXPECT_EQ(bad("ab<enter"), "key script, position 2: '<' without a closing '>'");
  EXPECT_EQ(bad("<wait 5h>x"), "key script, position 0: unknown time unit 'h' (us, ms or s)");
  EXPECT_EQ(bad("x<wait 5>"),
            "key script, position 9: a <wait> at the end of the script, "
            "with no key after it");
  EXPECT_EQ(bad("<Q-a>"),
            "key script, position 0: unknown modifier 'Q-' (S- Shift, C- Ctrl, "
            "A- Alt)");
  EXPECT_EQ(bad("\x01"),
            "key script, position 0: no key types the byte 0x01 (name keys in "
            "<...>, e.g. <enter>)");
  EXPECT_EQ(bad("<lt><gt><Left><KP5>"), "ok");
}

TEST(KeyFeederTest, KeysGoAtTheirTimeOnceTheGuestReadTheLast) {
  Kbc k;
  auto script = parse_key_script("a<wait 3ms>b");
  ASSERT_TRUE(script);
  KeyFeeder f(script.value(), 1'000'000'000);  // 1 GHz: 1 ms = 1M cycles
  EXPECT_EQ(f.next_event_cycle(k.c), 1'000'000u);
  EXPECT_FALSE(f.pump(999'999, k.c));
  EXPECT_TRUE(f.pump(1'000'000, k.c));                    // a make
  EXPECT_EQ(f.next_event_cycle(k.c), KeyFeeder::kNever);  // not read yet
  EXPECT_FALSE(f.pump(5'000'000, k.c));
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x1E});
  EXPECT_EQ(f.next_event_cycle(k.c), 2'000'000u);
  EXPECT_TRUE(f.pump(5'000'000, k.c));  // a break, late: the next is timed from now
  EXPECT_EQ(k.drain(), std::vector<uint8_t>{0x9E});
  EXPECT_EQ(f.next_event_cycle(k.c), 9'000'000u);  // 1 ms gap + 3 ms wait
  EXPECT_TRUE(f.pump(9'000'000, k.c));
  k.drain();
  EXPECT_TRUE(f.pump(10'000'000, k.c));
  EXPECT_FALSE(f.pending());
}

}  // namespace
}  // namespace vmlab::machine
