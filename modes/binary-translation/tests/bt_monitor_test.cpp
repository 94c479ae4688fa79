// The BT monitor on tiny guests, with exact event counts: translation, chaining, indirect
// lookups, the in-TC sequences that close the Popek-Goldberg holes, a fault in the middle
// of a fragment, self-modifying code, and adaptive BT with its reversal.
#include <gtest/gtest.h>

#include "modes/binary-translation/tests/bt_guest_fixture.h"

namespace vmlab::modes::bt {
namespace {

using vmm::EventKind;

TEST_F(BtGuestTest, StraightLineCodeIsOneTranslationAndOneCallout) {
  const auto r = run(0x1000, {0x90, 0x90, 0x90});  // nop x3
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort);
  // mov esp; nop x3; mov al; out (a callout, which ends the unit): six instructions. When
  // the callout returns, the monitor enters the TC at the next instruction (the zeros after
  // the program: 12 x "add [eax], al"), translated before the machine stops at the slice's end.
  EXPECT_EQ(count(EventKind::bt_translate), 2u);
  EXPECT_EQ(count(EventKind::bt_callout), 1u);
  EXPECT_EQ(count(EventKind::emulated_insn), 1u);
  EXPECT_EQ(count(EventKind::port_io), 1u);
  // The code is read by the translator, never fetched: no fault, no trap.
  EXPECT_EQ(count(EventKind::hidden_fault), 0u);
  EXPECT_EQ(count(EventKind::trap), 0u);
  EXPECT_EQ(monitor_->translator().instructions_translated(), 6u + 12u);
}

TEST_F(BtGuestTest, ALoopIsChainedAfterItsFirstIteration) {
  // mov ecx,3; L: dec ecx; jnz L
  const auto r = run(0x1000, {0xB9, 0x03, 0x00, 0x00, 0x00, 0x49, 0x75, 0xFD});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort);
  EXPECT_EQ(state().gpr[cpu::ECX], 0u);
  // Units: the entry (up to the jnz), L (dec, jnz), the exit code, and the zeros after it
  // (see above).
  EXPECT_EQ(count(EventKind::bt_translate), 4u);
  // The entry's taken exit, L's taken exit (to itself) and L's fall-through: each once.
  EXPECT_EQ(count(EventKind::bt_chain), 3u);
  EXPECT_EQ(count(EventKind::bt_callout), 4u);  // three continuations and the OUT
}

TEST_F(BtGuestTest, IndirectCallsAndReturnsGoThroughTheHashLookup) {
  // mov ebx,2; L: mov eax,F; call eax; dec ebx; jnz L; <exit>; F: ret
  // The entry is 0x1000 and "mov esp" comes first: L is at 0x100A, F after the exit.
  std::vector<uint8_t> code = {0xBB, 0x02, 0x00, 0x00, 0x00,  // mov ebx,2
                               0xB8, 0x00, 0x00, 0x00, 0x00,  // mov eax,F (patched)
                               0xFF, 0xD0,                    // call eax
                               0x4B,                          // dec ebx
                               0x75, 0xF6};                   // jnz L (0x100A)
  code.insert(code.end(), kExit.begin(), kExit.end());
  code.push_back(0xC3);  // F: ret
  const uint32_t f = 0x1000 + 5 + static_cast<uint32_t>(code.size()) - 1;
  code[6] = static_cast<uint8_t>(f);
  code[7] = static_cast<uint8_t>(f >> 8);
  code.resize(code.size());
  // run() adds "mov esp" before and the exit after; this program has its own exit.
  poke(0x1000, kStack);
  poke(0x1005, code);
  monitor_->start(0x1000, 0, 0);
  const auto r = vm_->run();
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort);
  // First round: the call and the return each miss, and each one's inline cache learns
  // its target; second round: both hit. The return hits in its inline cache; the call is
  // another translation of the same instruction (the second round enters at L, the first
  // entered with the unit at 0x1000), whose cache is empty: the hash table serves it.
  EXPECT_EQ(count(EventKind::bt_lookup_miss), 2u);
  EXPECT_EQ(count(EventKind::bt_lookup_hit), 2u);
  EXPECT_EQ(monitor_->lookup_hits(), 2u);
  EXPECT_EQ(monitor_->inline_hits(), 1u);
}

TEST_F(BtGuestTest, AnInlineCacheKeepsItsFirstTargetAndTheHashTableServesTheOthers) {
  // mov ebx,4; L: mov eax,F; test bl,1; jz C; mov eax,G; jmp C; C: call eax; dec ebx;
  // jnz L; <exit>; F: ret; G: ret -- one call site (one unit, C) alternating F, G, F, G.
  std::vector<uint8_t> code = {0xBB, 0x04, 0x00, 0x00, 0x00,  // mov ebx,4
                               0xB8, 0x00, 0x00, 0x00, 0x00,  // L: mov eax,F (patched)
                               0xF6, 0xC3, 0x01,              // test bl,1
                               0x74, 0x07,                    // jz C
                               0xB8, 0x00, 0x00, 0x00, 0x00,  // mov eax,G (patched)
                               0xEB, 0x00,                    // jmp C
                               0xFF, 0xD0,                    // C: call eax
                               0x4B,                          // dec ebx
                               0x75, 0xEA};                   // jnz L
  code.insert(code.end(), kExit.begin(), kExit.end());
  const uint32_t base = 0x1005;
  const uint32_t f = base + static_cast<uint32_t>(code.size());
  code.push_back(0xC3);  // F: ret
  code.push_back(0xC3);  // G: ret
  for (const auto& [at, target] : {std::pair{6u, f}, std::pair{16u, f + 1}}) {
    for (uint32_t i = 0; i < 4; ++i) code[at + i] = static_cast<uint8_t>(target >> (8 * i));
  }
  poke(0x1000, kStack);
  poke(base, code);
  monitor_->start(0x1000, 0, 0);
  const auto r = vm_->run();
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::EBX], 0u);
  // Misses (each translates its target): the call to F (the call site's cache learns F),
  // F's return (its cache learns the return address), the call to G (the site predicts F;
  // G is new). G's return finds the return address already translated: a hash hit, so its
  // cache never learns. Hits: round 3's call and return (inline), round 2's return and
  // round 4's call and return (hash).
  EXPECT_EQ(count(EventKind::bt_lookup_miss), 3u);
  EXPECT_EQ(monitor_->lookup_hits(), 5u);
  EXPECT_EQ(monitor_->inline_hits(), 2u);
  EXPECT_EQ(count(EventKind::bt_lookup_hit), 5u);
}

TEST_F(BtGuestTest, AReturnToGuestAddressZeroIsTranslatedLikeAnyOther) {
  // The in-TC hash table starts zeroed: slot 0's tag must not match target 0, or the lookup
  // would jump to TC address 0 and run guest memory with the monitor's code segment.
  poke(0x0000, {0x8C, 0xC9});  // 0: mov ecx, cs
  poke(0x0002, kExit);
  const auto r = run(0x1000, {0x6A, 0x00, 0xC3});  // push 0; ret
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::ECX] & 0xFFFF, 0x08u);  // the guest's CS, not the TC's
  EXPECT_EQ(count(EventKind::bt_lookup_miss), 1u);
}

TEST_F(BtGuestTest, StopMessagesGiveTheGuestsEipNotATcAddress) {
  const auto r = run(0x1000, {0xFA, 0xF4});  // cli; hlt at 0x1006
  EXPECT_EQ(r.reason, machine::StopReason::kHaltedInterruptsDisabled);
  EXPECT_NE(r.message.find("at EIP 0x00001007"), std::string::npos) << r.message;  // as native
}

TEST_F(BtGuestTest, BytesThatAreNoInstructionRaiseUdAtTheirEip) {
  guest_tables();
  gate(6, 0x3000);  // #UD handler: mov esi, [esp]; <exit>
  std::vector<uint8_t> handler = {0x8B, 0x34, 0x24};
  handler.insert(handler.end(), kExit.begin(), kExit.end());
  poke(0x3000, handler);
  const auto r = run(0x1000, {0x90, 0x0F, 0x04});  // nop; 0F 04 (undefined: Capstone too)
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::ESI], 0x1006u);  // the undefined opcode's EIP
  EXPECT_EQ(count(EventKind::virq_inject), 1u);
}

TEST_F(BtGuestTest, AGuestThatFaultsAtEveryHandlerNeverRunsOutsideTheTc) {
  guest_tables();
  gate(6, 0x3000);
  poke(0x3000, {0x0F, 0x04});  // the #UD handler is itself undefined: #UD forever
  vm_->machine().set_max_instructions(300);
  const auto r = run(0x1000, {0x0F, 0x04});
  // Each delivery waits at the re-entry trampoline, one instruction of the budget; the
  // guest kernel is never run from its own memory (where its sensitive instructions would
  // not trap).
  EXPECT_EQ(r.reason, machine::StopReason::kBudgetExhausted) << r.message;
  EXPECT_TRUE(monitor_->in_tc());
  EXPECT_GT(count(EventKind::virq_inject), 250u);
  EXPECT_EQ(count(EventKind::sensitive_no_trap), 0u);
}

TEST_F(BtGuestTest, IntFourIsDeliveredWhateverOfWhileIntoWaitsForOf) {
  guest_tables();
  gate(4, 0x3000);
  poke(0x3000, {0xB9, 0x44, 0, 0, 0, 0xB0, 0x00, 0xE6, 0xF4});  // mov ecx,0x44; exit
  // xor ebx,ebx (OF=0); into (not taken); inc ebx; int 4 (taken: CD 04 is INT n, not INTO)
  const auto r = run(0x1000, {0x31, 0xDB, 0xCE, 0x43, 0xCD, 0x04});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::EBX], 1u);
  EXPECT_EQ(state().gpr[cpu::ECX], 0x44u);
}

TEST_F(BtGuestTest, SensitiveInstructionsSeeTheGuestsOwnState) {
  guest_tables();
  // cli; pushfd; pop eax; sti; pushfd; pop ebx; sgdt [0x5000]; sidt [0x5010];
  // smsw ecx; str edx; mov esi, cs; mov edi, ss
  const auto r = run(0x1000, {0xFA, 0x9C, 0x58, 0xFB, 0x9C, 0x5B, 0x0F, 0x01, 0x05, 0x00,
                              0x50, 0x00, 0x00, 0x0F, 0x01, 0x0D, 0x10, 0x50, 0x00, 0x00,
                              0x0F, 0x01, 0xE1, 0x0F, 0x00, 0xCA, 0x8C, 0xCE, 0x8C, 0xD7});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort);
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::EAX] & cpu::flags::IF, 0u);              // the guest's IF after CLI
  EXPECT_EQ(g[cpu::EBX] & cpu::flags::IF, cpu::flags::IF);  // ... after STI
  EXPECT_EQ(peek32(0x5000), 0x6000u << 16 | 0x2F);          // its own GDTR: limit, base
  EXPECT_EQ(peek32(0x5004) & 0xFFFF, 0u);
  EXPECT_EQ(peek32(0x5010), 0x7000u << 16 | 0x7FF);              // its own IDTR
  EXPECT_EQ(g[cpu::ECX] & 0xFFFF, cpu::cr0::PE | cpu::cr0::ET);  // its own CR0, not the real
  EXPECT_EQ(g[cpu::EDX] & 0xFFFF, 0x28u);                        // its own TR
  EXPECT_EQ(g[cpu::ESI] & 0xFFFF, 0x08u);                        // CS with RPL 0
  EXPECT_EQ(g[cpu::EDI] & 0xFFFF, 0x10u);                        // SS with RPL 0
  // Ten in-TC emulations, no hole left open.
  EXPECT_EQ(count(EventKind::bt_in_tc), 10u);
  EXPECT_EQ(count(EventKind::sensitive_no_trap), 0u);
  const auto& k = monitor_->in_tc_counts();
  EXPECT_EQ(k[static_cast<size_t>(InTcKind::kPushf)], 2u);
  EXPECT_EQ(k[static_cast<size_t>(InTcKind::kCli)], 1u);
  EXPECT_EQ(k[static_cast<size_t>(InTcKind::kSgdt)], 1u);
}

TEST_F(BtGuestTest, SixteenBitPushfAndPopfSeeTheVirtualIf) {
  // cli; pushf (16); pop ax; sti; pushf (16); pop bx; cli; push word 0x0200; popf (16);
  // pushfd; pop esi; mov edi, esp
  const auto r = run(0x1000, {0xFA, 0x66, 0x9C, 0x66, 0x58, 0xFB, 0x66, 0x9C, 0x66, 0x5B, 0xFA,
                              0x66, 0x68, 0x00, 0x02, 0x66, 0x9D, 0x9C, 0x5E, 0x89, 0xE7});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort);
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::EAX] & cpu::flags::IF, 0u);              // the guest's IF after CLI
  EXPECT_EQ(g[cpu::EBX] & cpu::flags::IF, cpu::flags::IF);  // ... after STI
  EXPECT_EQ(g[cpu::ESI] & cpu::flags::IF, cpu::flags::IF);  // POPF (16) set it again
  EXPECT_EQ(g[cpu::EDI], 0x8000u);                          // word pushes and pops balance
  const auto& k = monitor_->in_tc_counts();
  EXPECT_EQ(k[static_cast<size_t>(InTcKind::kPushf)], 3u);
  EXPECT_EQ(k[static_cast<size_t>(InTcKind::kPopf)], 1u);
  EXPECT_EQ(count(EventKind::sensitive_no_trap), 0u);
}

TEST_F(BtGuestTest, SixteenBitBranchesKeepIpAndLoopsCountCxWithAnAddressSizePrefix) {
  // mov ecx, 0x10003; L: loop L (67: counts CX); call16 F; mov esi, esp; jmp16 END;
  // F: mov edi, esp; mov bx, [esp]; ret16; END: <exit>
  const auto r = run(0x1000, {0xB9, 0x03, 0x00, 0x01, 0x00,  // 1005 mov ecx, 0x10003
                              0x67, 0xE2, 0xFD,              // 100A loop cx, 100A
                              0x66, 0xE8, 0x05, 0x00,        // 100D call16 1016
                              0x89, 0xE6,                    // 1011 mov esi, esp
                              0x66, 0xEB, 0x08,              // 1013 jmp16 101E
                              0x89, 0xE7,                    // 1016 F: mov edi, esp
                              0x66, 0x8B, 0x1C, 0x24,        // 1018 mov bx, [esp]
                              0x66, 0xC3});                  // 101C ret16 (END: 101E)
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::ECX], 0x10000u);          // CX counted down; the high half kept
  EXPECT_EQ(g[cpu::EDI], 0x8000u - 2);       // CALL pushed IP: two bytes
  EXPECT_EQ(g[cpu::EBX] & 0xFFFF, 0x1011u);  // ... the return IP
  EXPECT_EQ(g[cpu::ESI], 0x8000u);           // RET popped two
}

TEST_F(BtGuestTest, GsRelativeOperandsUseTheGuestsOwnGs) {
  guest_tables();
  // A seventh descriptor, 0x30: ring-0 data based at 0x5000; the guest loads its GDT.
  poke32(0x6030, 0x0000FFFF | 0x5000u << 16);
  poke32(0x6034, 0x00CF9200);
  poke32(0x6100, (7 * 8 - 1) | 0x6000u << 16);  // the LGDT operand: limit, base
  poke32(0x6104, 0);
  poke32(0x5004, 0xCAFEBABE);
  // lgdt [0x6100]; mov ax,0x30; mov gs,ax; mov ebx,0x1234; mov eax,gs:[4]; mov gs:[8],ebx;
  // mov ecx,gs; call gs:[0xC]; <exit>; F: mov edx,0x77; ret
  std::vector<uint8_t> code = {0x0F, 0x01, 0x15, 0x00, 0x61, 0x00, 0x00,   // lgdt [0x6100]
                               0x66, 0xB8, 0x30, 0x00,                     // mov ax, 0x30
                               0x8E, 0xE8,                                 // mov gs, ax
                               0xBB, 0x34, 0x12, 0x00, 0x00,               // mov ebx, 0x1234
                               0x65, 0xA1, 0x04, 0x00, 0x00, 0x00,         // mov eax, gs:[4]
                               0x65, 0x89, 0x1D, 0x08, 0x00, 0x00, 0x00,   // mov gs:[8], ebx
                               0x8C, 0xE9,                                 // mov ecx, gs
                               0x65, 0xFF, 0x15, 0x0C, 0x00, 0x00, 0x00};  // call gs:[0xC]
  code.insert(code.end(), kExit.begin(), kExit.end());
  const uint32_t f = 0x1005 + static_cast<uint32_t>(code.size());
  code.insert(code.end(), {0xBA, 0x77, 0x00, 0x00, 0x00, 0xC3});  // F: mov edx,0x77; ret
  poke32(0x500C, f);
  poke(0x1000, kStack);
  poke(0x1005, code);
  monitor_->start(0x1000, 0, 0);
  const auto r = vm_->run();
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::EAX] & 0xFFFFFF00u, 0xCAFEBA00u);  // (AL is the exit code)
  EXPECT_EQ(peek32(0x5008), 0x1234u);
  EXPECT_EQ(g[cpu::ECX] & 0xFFFF, 0x30u);
  EXPECT_EQ(g[cpu::EDX], 0x77u);
  // The two data accesses are in-TC sequences; the call reads its target the same way.
  EXPECT_EQ(monitor_->in_tc_counts()[static_cast<size_t>(InTcKind::kGsOverride)], 2u);
  // LGDT, the call's and the return's lookup misses, the exit's OUT.
  EXPECT_EQ(count(EventKind::bt_callout), 4u);
}

TEST_F(BtGuestTest, AFaultInTheMiddleOfAFragmentShowsTheGuestsEip) {
  guest_tables();
  gate(0, 0x3000);  // #DE handler: mov esi,[esp]; mov edi,[esp+4]; <exit>
  std::vector<uint8_t> handler = {0x8B, 0x34, 0x24, 0x8B, 0x7C, 0x24, 0x04};
  handler.insert(handler.end(), kExit.begin(), kExit.end());
  poke(0x3000, handler);
  // mov eax,1; mov edx,0; xor ecx,ecx; div ecx (at 0x1000 + 5+5+5+2 = 0x1011); nop
  const auto r = run(0x1000, {0xB8, 0x01, 0x00, 0x00, 0x00, 0xBA, 0x00, 0x00, 0x00, 0x00, 0x31,
                              0xC9, 0xF7, 0xF1, 0x90});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort);
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::ESI], 0x1011u);  // the frame's EIP: the guest's DIV, not a TC address
  EXPECT_EQ(g[cpu::EDI], 0x08u);    // the frame's CS: the guest's, with RPL 0
  EXPECT_EQ(count(EventKind::virq_inject), 1u);
}

TEST_F(BtGuestTest, AStoreIntoTheExecutingFragmentTakesEffectAtTheNextInstruction) {
  // mov byte [X+1], 7; X: mov al, 5; mov bl, al -- all one unit: the store rewrites the
  // instruction right after it, which must run as rewritten (mov al, 7), as on hardware.
  const auto r = run(0x1000, {0xC6, 0x05, 0x0D, 0x10, 0x00, 0x00, 0x07,  // mov byte [0x100D], 7
                              0xB0, 0x05,                                // X (0x100C): mov al, 5
                              0x88, 0xC3});                              // mov bl, al
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::EBX] & 0xFF, 7u);
  EXPECT_EQ(count(EventKind::bt_invalidate), 1u);
}

TEST_F(BtGuestTest, SelfModifyingCodeInvalidatesTheTranslation) {
  // call F; mov byte [F+1],7; call F; mov bl,al; <exit>; F: mov al,5; ret
  std::vector<uint8_t> code = {0xE8, 0,    0, 0, 0,        // call F
                               0xC6, 0x05, 0, 0, 0, 0, 7,  // mov byte [F+1], 7
                               0xE8, 0,    0, 0, 0,        // call F
                               0x88, 0xC3};                // mov bl, al
  code.insert(code.end(), kExit.begin(), kExit.end());
  const uint32_t base = 0x1005;
  const uint32_t f = base + static_cast<uint32_t>(code.size());
  code.insert(code.end(), {0xB0, 0x05, 0xC3});
  auto rel = [&](size_t at, uint32_t target) {
    const uint32_t v = target - (base + static_cast<uint32_t>(at) + 4);
    for (int i = 0; i < 4; ++i) code[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  rel(1, f);
  rel(13, f);
  for (int i = 0; i < 4; ++i) code[7 + i] = static_cast<uint8_t>((f + 1) >> (8 * i));
  poke(0x1000, kStack);
  poke(base, code);
  monitor_->start(0x1000, 0, 0);
  const auto r = vm_->run();
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort);
  EXPECT_EQ(state().gpr[cpu::EBX] & 0xFF, 7u);  // the second call ran the new code
  EXPECT_EQ(count(EventKind::bt_invalidate), 1u);
}

TEST_F(BtGuestTest, AStoreThatKeepsHittingAPageTableBecomesACalloutAndComesBack) {
  // Paging on: a page directory at 0x10000 whose first entry maps the first 4 MiB through
  // the page table at 0x11000, identity, user and writable.
  poke32(0x10000, 0x11000 | 7);
  for (uint32_t i = 0; i < 1024; ++i) poke32(0x11000 + 4 * i, (i << 12) | 7);
  // mov eax,0x10000; mov cr3,eax; mov eax,cr0; or eax,0x80000000; mov cr0,eax
  std::vector<uint8_t> code = {0xB8, 0x00, 0x00, 0x01, 0x00, 0x0F, 0x22, 0xD8, 0x0F, 0x20,
                               0xC0, 0x0D, 0x00, 0x00, 0x00, 0x80, 0x0F, 0x22, 0xC0};
  // mov ecx, 80
  code.insert(code.end(), {0xB9, 80, 0x00, 0x00, 0x00});
  // L: mov ebx,0x11800; cmp ecx,72; ja W; mov ebx,0x20000; W: mov eax,0x200007;
  //    mov [ebx],eax; dec ecx; jnz L
  const std::vector<uint8_t> loop = {0xBB, 0x00, 0x18, 0x01, 0x00, 0x83, 0xF9, 72,   0x77,
                                     0x05, 0xBB, 0x00, 0x00, 0x02, 0x00, 0xB8, 0x07, 0x00,
                                     0x20, 0x00, 0x89, 0x03, 0x49, 0x75, 0xE3};
  code.insert(code.end(), loop.begin(), loop.end());
  const auto r = run(0x1000, code);
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  // 8 stores hit the page table: 4 trace faults prove the store guilty, the next 4 are
  // performed in the TC (in_tc_pte_write_test.cpp); then 64 innocent stores (to 0x20000),
  // each declined by the TC and simulated by a callout, take it back to IDENT.
  EXPECT_EQ(monitor_->adaptive().trace_faults(), Adaptive::kGuiltyAfter);
  EXPECT_EQ(monitor_->adaptive().in_tc_writes(), 4u);
  EXPECT_EQ(monitor_->adaptive().simulate_callouts(), uint64_t{Adaptive::kInnocentAfter});
  EXPECT_EQ(count(EventKind::bt_adapt), 2u);
  EXPECT_EQ(count(EventKind::guest_pt_write), 8u);
  EXPECT_TRUE(monitor_->adaptive().guilty().empty());
  EXPECT_EQ(peek32(0x20000), 0x200007u);
}

}  // namespace
}  // namespace vmlab::modes::bt
