// The x87 unit (exec_x87.cpp) on the sequences real kernels run: Linux's probe and its
// FDIV-bug check, FNSAVE/FRSTOR, compares, integer stores under each rounding mode, #NM.
#include <cstring>
#include <vector>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using X87Test = ExecTest;

void put_double(std::vector<uint8_t>& ram, uint32_t at, double v) {
  std::memcpy(&ram[at], &v, 8);
}
double get_double(const std::vector<uint8_t>& ram, uint32_t at) {
  double v;
  std::memcpy(&v, &ram[at], 8);
  return v;
}

// The decompressor's has_fpu(): FNINIT, then FNSTSW and FNSTCW give 0 and 0x037F.
TEST_F(X87Test, FninitGivesTheProbedStatusAndControlWords) {
  poke16(kData, 0xFFFF);
  poke16(kData + 2, 0xFFFF);
  run_bytes({0xDB, 0xE3,                           // fninit
             0xDD, 0x3D, 0x00, 0x00, 0x02, 0x00,   // fnstsw [kData]
             0xD9, 0x3D, 0x02, 0x00, 0x02, 0x00},  // fnstcw [kData+2]
            3);
  EXPECT_EQ(peek16(kData), 0);
  EXPECT_EQ(peek16(kData + 2), 0x037F);
}

// Linux's check_fpu(): x - (x / y) * y with x = 4195835, y = 3145727 is 0 on an FPU
// without the Pentium FDIV bug.
TEST_F(X87Test, LinuxFdivBugCheckGivesZero) {
  put_double(ram_, kData, 4195835.0);
  put_double(ram_, kData + 8, 3145727.0);
  poke32(kData + 16, 0x12345678);
  run_bytes({0xDB, 0xE3,                          // fninit
             0xDD, 0x05, 0x00, 0x00, 0x02, 0x00,  // fld qword [x]
             0xDC, 0x35, 0x08, 0x00, 0x02, 0x00,  // fdiv qword [y]
             0xDC, 0x0D, 0x08, 0x00, 0x02, 0x00,  // fmul qword [y]
             0xDD, 0x05, 0x00, 0x00, 0x02, 0x00,  // fld qword [x]
             0xDE, 0xE9,                          // fsubp st(1), st
             0xDB, 0x1D, 0x10, 0x00, 0x02, 0x00,  // fistp dword [r]
             0x9B,                                // fwait
             0xDF, 0xE0},                         // fnstsw ax
            8);
  EXPECT_EQ(peek32(kData + 16), 0u);
  EXPECT_EQ(reg(EAX) & 0x3800, 0u);  // TOP back to 0: the stack is balanced
}

TEST_F(X87Test, FnsaveStoresTheStateAndReinitializesFrstorRestoresIt) {
  run_bytes({0xDB, 0xE3,                          // fninit
             0xD9, 0xE8,                          // fld1
             0xD9, 0xEB,                          // fldpi
             0xDD, 0x35, 0x00, 0x00, 0x02, 0x00,  // fnsave [kData]
             0xDF, 0xE0},                         // fnstsw ax
            5);
  EXPECT_EQ(peek32(kData), 0xFFFF037Fu);                   // FCW
  EXPECT_EQ(peek32(kData + 4), 0xFFFF0000u | (6u << 11));  // FSW: TOP 6
  EXPECT_EQ(peek32(kData + 8), 0xFFFF0FFFu);               // FTW: R6 R7 valid
  long double st0 = 0;
  std::memcpy(&st0, &ram_[kData + 28], 10);
  EXPECT_EQ(st0, 3.141592653589793238462643383279502884L);
  EXPECT_EQ(reg(EAX) & 0xFFFF, 0u);                // after FNSAVE: as FNINIT
  run_bytes({0xDD, 0x25, 0x00, 0x00, 0x02, 0x00,   // frstor [kData]
             0xDD, 0x1D, 0x00, 0x01, 0x02, 0x00,   // fstp qword [kData+0x100]
             0xDD, 0x1D, 0x08, 0x01, 0x02, 0x00},  // fstp qword [kData+0x108]
            3);
  EXPECT_EQ(get_double(ram_, kData + 0x100), 3.141592653589793);
  EXPECT_EQ(get_double(ram_, kData + 0x108), 1.0);
}

TEST_F(X87Test, FcomiSetsZfPfCfAndFistRoundsByTheControlWord) {
  put_double(ram_, kData, 2.5);
  run_bytes({0xDB, 0xE3,                          // fninit
             0xD9, 0xE8,                          // fld1
             0xDD, 0x05, 0x00, 0x00, 0x02, 0x00,  // fld qword [2.5]
             0xDB, 0xF1},                         // fcomi st, st(1): 2.5 > 1
            4);
  EXPECT_EQ(status() & (flags::ZF | flags::PF | flags::CF), 0u);
  run_bytes({0xDB, 0x15, 0x20, 0x00, 0x02, 0x00});  // fist dword: nearest even: 2
  EXPECT_EQ(peek32(kData + 0x20), 2u);
  poke16(kData + 0x30, 0x0B7F);                    // RC = 10b: up
  run_bytes({0xD9, 0x2D, 0x30, 0x00, 0x02, 0x00,   // fldcw
             0xDB, 0x15, 0x20, 0x00, 0x02, 0x00},  // fist dword: 3
            2);
  EXPECT_EQ(peek32(kData + 0x20), 3u);
  run_bytes({0xD9, 0xC9,   // fxch: st0 = 1, st1 = 2.5
             0xDF, 0xF1},  // fcomip st, st(1): 1 < 2.5, pop
            2);
  EXPECT_EQ(status() & (flags::ZF | flags::PF | flags::CF), flags::CF);
}

// Underflow of the register stack is a masked invalid operation: the indefinite, IE and SF.
TEST_F(X87Test, AnEmptyRegisterGivesTheIndefiniteWithInvalidAndStackFault) {
  run_bytes({0xDB, 0xE3,                          // fninit
             0xDD, 0x15, 0x00, 0x00, 0x02, 0x00,  // fst qword [kData] of an empty ST(0)
             0xDF, 0xE0},                         // fnstsw ax
            3);
  uint64_t bits;
  std::memcpy(&bits, &ram_[kData], 8);
  EXPECT_EQ(bits, 0xFFF8000000000000ull);  // the double real indefinite
  EXPECT_EQ(reg(EAX) & 0x41, 0x41u);       // SF and IE
}

// CR0.EM or CR0.TS: every x87 instruction raises #NM (no IDT here: a triple fault names it).
TEST_F(X87Test, EmulationOrTaskSwitchedGivesDeviceNotAvailable) {
  for (uint32_t bit : {cr0::EM, cr0::TS}) {
    st().cr0 |= bit;
    EXPECT_EQ(run_bytes({0xDB, 0xE3}), RunEnd::kTripleFault);
    EXPECT_NE(cpu_.stop_message().find("#NM"), std::string::npos) << cpu_.stop_message();
    cpu_.reset_multiboot(kCodeBase, 0, 0);
  }
}

// A store that faults leaves the x87 state as it was, so that the instruction restarts
// (SDM Vol. 1, 8.6 and 8.7): FSTP of pi to m32 with the precision exception unmasked,
// its destination beyond DS's limit, is #GP with no flag, no ES and no pop; restarted
// within the limit it stores, pops and sets PE, ES and B, with no #MF (that comes at the
// next waiting instruction). Before the fix the restart was #MF (--rich seed 30150).
TEST_F(X87Test, AStoreThatFaultsChangesNoX87StateAndRestarts) {
  poke16(kData + 0x10, 0x035F);  // FCW: every exception masked but precision
  install_idt();
  const std::vector<uint8_t> fstp = {0xD9, 0x1D, 0x00, 0x00, 0x02, 0x00};  // fstp dword [kData]
  run_bytes({0xDB, 0xE3,                                                   // fninit
             0xD9, 0x2D, 0x10, 0x00, 0x02, 0x00,                           // fldcw [kData+0x10]
             0xD9, 0xEB},                                                  // fldpi
            3);
  ASSERT_EQ(st().fpu.top, 7u);
  const uint16_t sw = st().fpu.sw;
  const uint8_t full = st().fpu.full;
  poke32(kData, 0x12345678);
  st().seg[DS].limit = kData + 1;  // the dword at kData is beyond it
  const uint32_t esp = reg(ESP);
  run_bytes(fstp, 2);  // the FSTP's #GP, then the handler's JMP $
  EXPECT_EQ(st().eip, handler(vec::GP));
  EXPECT_EQ(peek32(esp - 16), 0u);  // error code 0
  EXPECT_EQ(peek32(kData), 0x12345678u);
  EXPECT_EQ(st().fpu.sw, sw);
  EXPECT_EQ(st().fpu.top, 7u);
  EXPECT_EQ(st().fpu.full, full);
  st().seg[DS].limit = 0xFFFFFFFFu;
  reg(ESP) = esp;
  run_bytes(fstp, 1);
  EXPECT_EQ(st().eip, kCodeBase + 6);  // no #MF at the store itself
  float stored;
  std::memcpy(&stored, &ram_[kData], 4);
  EXPECT_EQ(stored, 3.14159274f);
  EXPECT_EQ(st().fpu.sw, sw | 0x80A0u);  // B, ES, PE
  EXPECT_EQ(st().fpu.top, 0u);
  EXPECT_EQ(st().fpu.full, 0u);
  run_bytes({0x9B}, 2);  // fwait: #MF, then the handler's JMP $
  EXPECT_EQ(st().eip, handler(vec::MF));
}

}  // namespace
}  // namespace vmlab::cpu::testing
