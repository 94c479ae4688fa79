// GdbStub::handle on a real Vm (native, a few instructions): registers, memory, a
// breakpoint kept beside the guest, a step, and a fuzz of malformed packets that must get
// an answer, never a crash or a hang.
#include "engine/debug/gdb_stub.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/machine/tests/elf_builder.h"

namespace vmlab::debug {
namespace {

// 0x100000: mov eax,0x11223344 (5) ; 0x100005: inc eax (1) ; 0x100006: inc eax (1)
// 0x100007: mov al,0 (2) ; 0x100009: out 0xF4,al (2) ; hlt
const std::vector<uint8_t> kCode = {0xB8, 0x44, 0x33, 0x22, 0x11, 0x40,
                                    0x40, 0xB0, 0x00, 0xE6, 0xF4, 0xF4};

std::unique_ptr<vmm::Vm> boot() {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  if (!vm.ok()) return nullptr;
  auto loaded = vm.value()->load_kernel_image(machine::testing::minimal_kernel(kCode), "t.elf");
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  return std::move(vm.value());
}

// a + b, without the operator+ that gcc 12's -Wrestrict misreads at -O3.
std::string cat(std::string a, std::string_view b) {
  a.append(b);
  return a;
}

std::string rcmd(std::string_view command) {
  return cat("qRcmd,", to_hex(command));
}

// EIP from a g reply: register 8, little-endian hex.
uint32_t eip_of(const std::string& g) {
  const auto bytes = from_hex(g.substr(8 * 8, 8));
  return bytes ? (*bytes)[0] | (*bytes)[1] << 8 | (*bytes)[2] << 16 | uint32_t{(*bytes)[3]} << 24
               : 0;
}

TEST(GdbStub, RegistersMemoryBreakpointStep) {
  auto vm = boot();
  ASSERT_NE(vm, nullptr);
  DebugTarget target(*vm);
  GdbStub stub(target, -1, {});
  const std::string g = stub.handle("g");
  ASSERT_EQ(g.size(), 2u * (16 * 4 + 8 * 10 + 8 * 4 + 4 * 4));
  EXPECT_EQ(eip_of(g), 0x100000u);
  EXPECT_EQ(stub.handle("p8"), "00001000");
  EXPECT_EQ(stub.handle("m100000,5"), "b844332211");
  EXPECT_EQ(stub.handle("m3ffffe,4"), "0000");  // the last two bytes of RAM, then nothing
  EXPECT_EQ(stub.handle("m400000,4"), "E0e");
  EXPECT_EQ(stub.handle("M400000,1:00"), "E0e");
  EXPECT_EQ(stub.handle("M2000,2:abcd"), "OK");
  EXPECT_EQ(stub.handle("m2000,2"), "abcd");
  EXPECT_EQ(stub.handle("X2000,2:}\x03}]"), "OK");  // '#' and '}' escaped
  EXPECT_EQ(stub.handle("m2000,2"), "237d");
  // A breakpoint at the second INC: continue stops there, memory unchanged.
  EXPECT_EQ(stub.handle("Z0,100006,1"), "OK");
  EXPECT_EQ(stub.handle("c"), "T05");
  EXPECT_EQ(eip_of(stub.handle("g")), 0x100006u);
  EXPECT_EQ(stub.handle("m100005,2"), "4040");
  EXPECT_EQ(stub.handle("p0"), "45332211");  // one INC done
  EXPECT_EQ(stub.handle("z0,100006,1"), "OK");
  EXPECT_EQ(stub.handle("s"), "T05");
  EXPECT_EQ(eip_of(stub.handle("g")), 0x100007u);
  // Registers: EAX writable, CS only with its value.
  EXPECT_EQ(stub.handle("P0=78563412"), "OK");
  EXPECT_EQ(stub.handle("p0"), "78563412");
  EXPECT_EQ(stub.handle("Pa=10000000"), "E01");
  EXPECT_EQ(stub.handle(cat("Pa=", stub.handle("pa"))), "OK");
  EXPECT_EQ(stub.handle(cat("G", stub.handle("g"))), "OK");
  // On to the exit port: W with the value the guest wrote.
  EXPECT_EQ(stub.handle("c"), "W00");
  EXPECT_TRUE(stub.finished());
}

TEST(GdbStub, MonitorCommandsAnswer) {
  auto vm = boot();
  ASSERT_NE(vm, nullptr);
  DebugTarget target(*vm);
  GdbStub stub(target, -1, {});
  EXPECT_EQ(stub.handle(rcmd("help")), "OK");
  EXPECT_EQ(stub.handle(rcmd("break event port_io 0x80")), "OK");
  ASSERT_TRUE(target.event_break());
  EXPECT_EQ(target.event_break()->kind, vmm::EventKind::port_io);
  EXPECT_EQ(stub.handle(rcmd("break bogus")), "OK");
  EXPECT_EQ(stub.handle("qRcmd,zz"), "E01");
  // The guest writes port 0xF4, not 0x80: the armed break does not stop it.
  EXPECT_EQ(stub.handle("c"), "W00");
}

// Random packets built from the stub's own commands with damaged arguments.
TEST(GdbStub, FuzzedPacketsGetAnAnswer) {
  const char* heads[] = {"g",      "G",          "p",      "P",
                         "m",      "M",          "X",      "s",
                         "c",      "Z0,",        "Z1,",    "Z2,",
                         "Z3,",    "z0,",        "z2,",    "qXfer:features:read:target.xml:",
                         "qRcmd,", "qSupported", "vCont;", "vCont?",
                         "H",      "?",          "q",      "v",
                         "T",      "x"};
  std::mt19937 rng(4242);
  const std::string alphabet = "0123456789abcdefABCDEFxz,:;=}#$*-+ \x03\xff";
  for (int round = 0; round < 40; ++round) {
    auto vm = boot();
    ASSERT_NE(vm, nullptr);
    DebugTarget target(*vm);
    GdbStub stub(target, -1, {});
    for (int i = 0; i < 500; ++i) {
      std::string packet = heads[rng() % std::size(heads)];
      const size_t n = rng() % 24;
      for (size_t k = 0; k < n; ++k) packet.push_back(alphabet[rng() % alphabet.size()]);
      const std::string reply = stub.handle(packet);
      for (char ch : reply) {
        ASSERT_TRUE(ch != '$' && ch != '#') << "packet " << packet << " reply " << reply;
      }
    }
  }
}

}  // namespace
}  // namespace vmlab::debug
