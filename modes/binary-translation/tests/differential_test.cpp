// Differential test of the translator: random straight-line blocks of the instruction
// families the processor implements, run natively (the guest at ring 0 on the bare
// simulated CPU) and from the translation cache under --mode bt, must leave identical
// registers, status flags and memory. The blocks are encoded with asmjit (host side) and
// end with HLT, which stops both machines with every register intact.
#include <asmjit/x86.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"

namespace vmlab::modes::bt {
namespace {

namespace x86 = asmjit::x86;

constexpr uint32_t kCode = 0x1000;
constexpr uint32_t kData = 0x20000;  // EBX points here; memory operands stay inside
constexpr uint32_t kDataSize = 0x1000;

std::vector<uint8_t> random_block(std::mt19937& rng) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment(asmjit::Arch::kX86));
  x86::Assembler a(&code);
  // Registers the block may write: not ESP (the stack), not EBX (the data pointer).
  const x86::Gp regs[] = {x86::eax, x86::ecx, x86::edx, x86::esi, x86::edi, x86::ebp};
  auto reg = [&] { return regs[rng() % 6]; };
  auto mem = [&] { return x86::dword_ptr(x86::ebx, static_cast<int32_t>((rng() % 64) * 4)); };
  auto imm = [&] { return asmjit::Imm(static_cast<int32_t>(rng())); };
  const unsigned n = 4 + rng() % 24;
  for (unsigned i = 0; i < n; ++i) {
    switch (rng() % 24) {
      case 0: a.add(reg(), reg()); break;
      case 1: a.sub(reg(), imm()); break;
      case 2: a.adc(reg(), mem()); break;
      case 3: a.sbb(mem(), reg()); break;
      case 4: a.and_(reg(), imm()); break;
      case 5: a.or_(mem(), imm()); break;
      case 6: a.xor_(reg(), reg()); break;
      case 7: a.inc(reg()); break;
      case 8: a.dec(mem()); break;
      case 9: a.neg(reg()); break;
      case 10: a.shl(reg(), asmjit::Imm(rng() % 32)); break;
      case 11: a.sar(reg(), asmjit::Imm(rng() % 32)); break;
      case 12: a.rol(mem(), asmjit::Imm(1 + rng() % 31)); break;
      case 13: a.mov(reg(), mem()); break;
      case 14: a.mov(mem(), reg()); break;
      case 15: a.lea(reg(), x86::ptr(reg(), reg(), rng() % 4, static_cast<int32_t>(rng()))); break;
      case 16: a.imul(reg(), reg(), imm()); break;
      case 17: a.cmp(reg(), mem()); break;
      case 18: a.movzx(reg(), x86::byte_ptr(x86::ebx, static_cast<int32_t>(rng() % 256))); break;
      case 19: a.xchg(reg(), mem()); break;
      case 20:
        a.push(reg());
        a.pop(reg());
        break;
      case 21:
        a.pushfd();
        a.pop(reg());
        break;  // an in-TC PUSHF
      case 22: a.bswap(reg()); break;
      default: a.set(static_cast<x86::CondCode>(rng() % 16), x86::al); break;
    }
  }
  a.hlt();
  std::vector<uint8_t> bytes(code.codeSize());
  code.copyFlattenedData(bytes.data(), bytes.size());
  return bytes;
}

struct Outcome {
  std::array<uint32_t, 8> gpr{};
  uint32_t flags = 0;
  std::vector<uint8_t> data;
};

void seed_state(cpu::CpuState& s, const std::array<uint32_t, 8>& regs) {
  for (int i = 0; i < 8; ++i) s.gpr[i] = regs[i];
  s.gpr[cpu::ESP] = 0x8000;
  s.gpr[cpu::EBX] = kData;
}

constexpr uint32_t kFlagsCompared = cpu::flags::kStatus | cpu::flags::DF;

Outcome run_native(const std::vector<uint8_t>& block, const std::vector<uint8_t>& data,
                   const std::array<uint32_t, 8>& regs) {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  auto vm = vmm::Vm::create(std::move(config)).value();
  cpu::Cpu& cpu = vm->machine().cpu();
  std::memcpy(cpu.ram().data() + kCode, block.data(), block.size());
  std::memcpy(cpu.ram().data() + kData, data.data(), data.size());
  cpu.notify_phys_write(0, 4u << 20);
  cpu.reset_multiboot(kCode, 0, 0);
  seed_state(cpu.state(), regs);
  vm->run();
  Outcome o;
  for (int i = 0; i < 8; ++i) o.gpr[i] = cpu.state().gpr[i];
  o.flags = cpu.state().eflags & kFlagsCompared;
  o.data.assign(cpu.ram().begin() + kData, cpu.ram().begin() + kData + kDataSize);
  return o;
}

Outcome run_bt(const std::vector<uint8_t>& block, const std::vector<uint8_t>& data,
               const std::array<uint32_t, 8>& regs) {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  auto mode = std::make_unique<BtMode>();
  BtMode* bt = mode.get();
  config.mode = std::move(mode);
  auto vm = vmm::Vm::create(std::move(config)).value();
  BtMonitor* m = bt->attach(*vm).value();
  for (size_t i = 0; i < block.size(); ++i) {
    m->memory().write_phys8(kCode + static_cast<uint32_t>(i), block[i]);
  }
  for (size_t i = 0; i < data.size(); ++i) {
    m->memory().write_phys8(kData + static_cast<uint32_t>(i), data[i]);
  }
  m->start(kCode, 0, 0);
  seed_state(vm->machine().cpu().state(), regs);
  vm->run();
  Outcome o;
  const cpu::CpuState& s = vm->machine().cpu().state();
  for (int i = 0; i < 8; ++i) o.gpr[i] = s.gpr[i];
  o.flags = s.eflags & kFlagsCompared;
  for (uint32_t i = 0; i < kDataSize; ++i) o.data.push_back(m->memory().read_phys8(kData + i));
  return o;
}

TEST(BtDifferentialTest, RandomBlocksGiveNativeRegistersFlagsAndMemory) {
  std::mt19937 rng(20061021);  // ASPLOS 2006
  for (int round = 0; round < 300; ++round) {
    const std::vector<uint8_t> block = random_block(rng);
    std::vector<uint8_t> data(kDataSize);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    std::array<uint32_t, 8> regs{};
    for (auto& r : regs) r = static_cast<uint32_t>(rng());
    const Outcome native = run_native(block, data, regs);
    const Outcome bt = run_bt(block, data, regs);
    ASSERT_EQ(native.gpr, bt.gpr) << "round " << round;
    ASSERT_EQ(native.flags, bt.flags) << "round " << round;
    ASSERT_EQ(native.data, bt.data) << "round " << round;
  }
}

}  // namespace
}  // namespace vmlab::modes::bt
