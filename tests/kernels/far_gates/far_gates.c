/*
 * The far-gates test kernel (issue 12, the leftovers of items 3, 5 and 12 in the monitors'
 * far transfers): call gates, not-present segments, and far transfers whose pushes land on
 * a page the monitors write-protect. Each line names one attempt and what it gave: a value,
 * "ok", or the vector and error code of its fault. Natively (and under VT, where the guest
 * keeps its own tables) the hardware decides (SDM Vol. 3A 5.8.3-5.8.6; Vol. 2A, CALL, JMP,
 * RET; QEMU prints the same); under ring compression (trap on the classic CPU, bt) the
 * monitor has the processor go through the guest's gates and performs the pushes onto its
 * traced pages, so every mode prints native's console (docs/isolation.md):
 *   - far CALL and JMP through call gates in the GDT and the LDT, to the same ring and from
 *     ring 3 to ring 0 (the stack switch to the TSS's SS0:ESP0 with a copy of two
 *     parameters, and the far RET to ring 3 that releases them), to a target beyond the
 *     cut limit of its segment (the gap below the hypervisor hole), and the gate checks:
 *     DPL against CPL and RPL, not present, a null target, a target past the GDT limit;
 *   - far transfers to a not-present code segment (#NP, not #GP), and loads of a
 *     not-present data segment into DS (#NP) and SS (#SS);
 *   - a far CALL (to a code segment, through a gate, and to the gap below the hole) and an
 *     INT whose pushes land on a page that is also a page table, after which the mapping
 *     the pushed return address makes is read (the shadow follows the push), and a far
 *     CALL with its stack on the GDT's page;
 *   - a table of far CALL and JMP to every selector of the GDT and LDT with RPL 0 and 3,
 *     from ring 0 and ring 3: the differential part.
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_GATE0 0x30    /* call gate, DPL 0 -> 0x08:gate_same */
#define SEL_GATE3 0x38    /* call gate, DPL 3 -> 0x08:gate_inner, 2 dword parameters */
#define SEL_GATE_NP 0x40  /* call gate, DPL 0, not present */
#define SEL_GATE_U 0x48   /* call gate, DPL 3 -> 0x1B:user_stub (ring 3 to ring 3) */
#define SEL_GATE_FAR 0x50 /* call gate, DPL 0 -> 0x88 (past the GDT limit) */
#define SEL_CODE_NP 0x58  /* ring-0 code, not present */
#define SEL_DATA_NP 0x60  /* ring-0 data, not present */
#define SEL_LDT 0x68      /* the LDT */
#define SEL_CODE800 0x70  /* ring-0 code, base 0x800, 4 GiB: cut 0x800 bytes short of the hole */
#define SEL_GATE_GAP 0x78 /* call gate, DPL 3 -> 0x70:0xFBFFF000 (linear 0xFBFFF800, the gap) */
#define SEL_CONFORM 0x80  /* conforming code, DPL 0 */
#define SEL_GATE_NULL 0x98
#define GDT_ENTRIES 20 /* 0xA0: 0x88 lies inside; SEL_BEYOND past it */
#define SEL_BEYOND 0xA0
#define SEL_LGATE 0x04 /* LDT entry 0: call gate, DPL 3 -> LDT 0x0C:gate_inner */
#define SEL_LCODE 0x0C /* LDT entry 1: ring-0 code */

/* The GDT fills the first entries of a page of its own: a stack at the page's top lands on
 * the GDT's page (traced by the monitors) and on nothing else. */
static uint64_t gdt[512] __attribute__((aligned(4096)));
static uint64_t ldt[2] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(4096)));

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_gap[1024] __attribute__((aligned(4096)));    /* 0xFBC00000.. */
static uint32_t pt_traced[1024] __attribute__((aligned(4096))); /* 0xC0000000.., and a stack */
static uint8_t gap_code[4096] __attribute__((aligned(4096)));   /* at 0xFBFFF000 */
static uint32_t page_a[1024] __attribute__((aligned(4096)));

/* The stubs the transfers reach (base-0 code segments: their offsets are addresses). */
extern char gate_same[], gate_inner[], user_stub[], generic_stub[], iret_stub[];
__asm__(
    ".text\n"
    "gate_same: mov $0x600D0030, %eax\n lret\n"
    /* Two parameters above the return address: their difference, and the caller's SS. */
    "gate_inner: mov 8(%esp), %eax\n sub 12(%esp), %eax\n mov 20(%esp), %edx\n lret $8\n"
    "user_stub: mov $0x600D0048, %eax\n lret\n"
    "generic_stub: lret\n"
    "iret_stub: iret\n");

static struct {
  uint32_t off;
  uint16_t sel;
} __attribute__((packed)) farptr;

/* The differential table: one character pair per selector. */
static char table[4][64];

static void table_mark(char* row, uint32_t i) {
  static const char hex[] = "0123456789abcdef";
  if (!probe.faulted) {
    row[3 * i] = 'o';
    row[3 * i + 1] = 'k';
  } else {
    row[3 * i] = hex[probe.vector % 16];
    /* The error code's selector index, in hex (low bits: EXT, IDT, TI). */
    row[3 * i + 1] = hex[(probe.error >> 3) % 16];
  }
  row[3 * i + 2] = ' ';
}

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) {
    /* A fault in a stub reached through another code segment returns to the prober's. */
    f->cs = (f->cs & 3) == 3 ? SEL_UCODE : SEL_KCODE;
    return;
  }
  if (f->vector == 0x80 && (f->cs & 3) == 3) {
    probe_print_recorded();
    for (uint32_t r = 2; r < 4; ++r) {
      puts(r == 2 ? "ring 3 lcall rpl 3: " : "ring 3 ljmp  rpl 3: ");
      puts(table[r]);
      putc('\n');
    }
    puts("far_gates: done\n");
    exit_machine(0);
  }
  unexpected_vector(f);
}

/* Through SEL_GATE3 (or the LDT's gate) with two parameters: 0x500 and 0x123 pushed, the
 * handler returns their difference in EAX and the caller's SS in EDX, and releases them. */
static uint32_t call_with_params(uint16_t sel, uint32_t* ss_seen) {
  uint32_t v = 0x0BADBAD0u, ss = 0, esp_before = 0, esp_after = 0;
  farptr.off = 0;
  farptr.sel = sel;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "mov %%esp, %[before]\n"
                   "pushl $0x123\n"
                   "pushl $0x500\n"
                   "lcall *%[p]\n"
                   "mov %%esp, %[after]\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v), "+d"(ss), [before] "+m"(esp_before), [after] "+m"(esp_after)
                   : [p] "m"(farptr)
                   : "esi", "memory");
  *ss_seen = ss;
  /* RET 8 released the parameters: the caller's ESP is back where it was. */
  if (!probe.faulted && esp_after != esp_before) v = 0xE5B0E5B0u;
  return v;
}

/* --- Pushes onto a page the monitors trace ----------------------------------------------- */

/* A far CALL to SEL:OFF with ESP at the top of pt_traced, the page table of 0xC0000000:
 * the return EIP lands in entry 1022 (0xC03FE000), whose mapping is then read and compared
 * with the page the return address lies in (1: the mapping follows the push). The CALL
 * sits at a 16-byte boundary, so that its return address (+7) has P, RW and US set. */
#define CALL_ONTO_PAGE_TABLE(name, SEL, OFF)                                                   \
  static uint32_t name(uint32_t* follows) {                                                    \
    uint32_t v = 0x0BADBAD0u;                                                                  \
    ((volatile uint32_t*)pt_traced)[1022] = (uint32_t)page_a | 3;                              \
    (void)*(volatile uint32_t*)0xC03FE000u; /* the old mapping: TLB and shadow */              \
    __asm__ volatile(PROBE_BEGIN                                                               \
                     "mov %%esp, %%esi\n"                                                      \
                     "mov %[top], %%esp\n"                                                     \
                     "jmp 2f\n"                                                                \
                     ".p2align 4\n"                                                            \
                     "2: lcall %[sel], %[off]\n"                                               \
                     "mov %%esi, %%esp\n" PROBE_END "mov %%esi, %%esp\n"                       \
                     : "+a"(v)                                                                 \
                     : [top] "r"((uint32_t)(pt_traced + 1024)), [sel] "i"(SEL), [off] "i"(OFF) \
                     : "esi", "edx", "memory");                                                \
    const uint32_t ret = pt_traced[1022];                                                      \
    __asm__ volatile("invlpg (%0)" ::"r"(0xC03FE000u) : "memory");                             \
    *follows = *(volatile uint32_t*)0xC03FE000u == *(volatile uint32_t*)(ret & ~0xFFFu);       \
    return v;                                                                                  \
  }
CALL_ONTO_PAGE_TABLE(call_code_onto_page_table, SEL_KCODE, gate_same)
CALL_ONTO_PAGE_TABLE(call_gate_onto_page_table, SEL_GATE0, 0)
CALL_ONTO_PAGE_TABLE(call_gap_onto_page_table, SEL_CODE800, 0xFBFFF000)

/* INT 0x41 (an interrupt gate to IRET) with ESP at the top of pt_traced: EFLAGS, CS and
 * EIP land in entries 1023, 1022 and 1021 (0xC03FD000). */
static uint32_t int_onto_page_table(void) {
  ((volatile uint32_t*)pt_traced)[1021] = (uint32_t)page_a | 3;
  (void)*(volatile uint32_t*)0xC03FD000u;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "mov %[top], %%esp\n"
                   "jmp 2f\n"
                   ".p2align 4\n"
                   "2: nop\n nop\n nop\n nop\n nop\n"
                   "int $0x41\n"
                   "mov %%esi, %%esp\n" PROBE_END "mov %%esi, %%esp\n"
                   :
                   : [top] "r"((uint32_t)(pt_traced + 1024))
                   : "esi", "memory");
  const uint32_t ret = pt_traced[1021];
  __asm__ volatile("invlpg (%0)" ::"r"(0xC03FD000u) : "memory");
  return *(volatile uint32_t*)0xC03FD000u == *(volatile uint32_t*)(ret & ~0xFFFu);
}

/* A far CALL with ESP at the top of the GDT's page. */
static uint32_t call_onto_gdt_page(void) {
  uint32_t v = 0x0BADBAD0u;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "mov %[top], %%esp\n"
                   "lcall %[sel], %[off]\n"
                   "mov %%esi, %%esp\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [top] "r"((uint32_t)(gdt + 512)), [sel] "i"(SEL_GATE0), [off] "i"(0)
                   : "esi", "edx", "memory");
  return v;
}

/* Segment loads of a not-present data segment. */
static uint32_t load_ds(uint16_t sel) {
  __asm__ volatile(PROBE_BEGIN "mov %w0, %%ds\n" PROBE_END "mov %w1, %%ds\n" ::"r"((uint32_t)sel),
                   "r"((uint32_t)SEL_KDATA)
                   : "memory");
  return 0;
}

static uint32_t load_ss(uint16_t sel) {
  __asm__ volatile(PROBE_BEGIN
                   "mov %%ss, %%di\n"
                   "mov %w0, %%ss\n" PROBE_END "mov %%di, %%ss\n" ::"r"((uint32_t)sel)
                   : "edi", "memory");
  return 0;
}

/* --- The differential table ---------------------------------------------------------------- */

static const uint16_t table_sels[] = {0x08, 0x18, 0x28, 0x30, 0x38, 0x40, 0x48, 0x50, 0x58, 0x60,
                                      0x68, 0x70, 0x78, 0x80, 0x88, 0x98, 0xA0, 0x04, 0x0C};
#define TABLE_N (sizeof table_sels / sizeof table_sels[0])

/* The offset that reaches generic_stub through `sel` (base 0x800 for SEL_CODE800). */
static uint32_t stub_offset(uint16_t sel) {
  return (sel & ~3u) == SEL_CODE800 ? (uint32_t)generic_stub - 0x800 : (uint32_t)generic_stub;
}

static void fill_table(char* calls, char* jumps, uint16_t rpl, uint16_t cs) {
  for (uint32_t i = 0; i < TABLE_N; ++i) {
    const uint16_t sel = (uint16_t)(table_sels[i] | rpl);
    probe_call_far(sel, stub_offset(sel));
    table_mark(calls, i);
    probe_jump_far(cs, sel, stub_offset(sel));
    table_mark(jumps, i);
  }
}

/* --- Ring 3 -------------------------------------------------------------------------------- */

static void user_main(void) {
  uint32_t ss = 0, v;
  v = call_with_params(SEL_GATE3 | 3, &ss);
  probe_record("ring 3 lcall 0x3B (gate DPL 3 -> ring 0, 2 params)", v);
  probe_record("  the caller's SS the handler saw                 ", ss);
  v = call_with_params(SEL_LGATE | 3, &ss);
  probe_record("ring 3 lcall 0x07 (LDT gate -> LDT code, ring 0)  ", v);
  probe_record("ring 3 lcall 0x33 (gate DPL 0)                    ",
               probe_call_far(SEL_GATE0 | 3, 0));
  probe_record("ring 3 lcall 0x4B (gate DPL 3 -> ring 3 code)     ",
               probe_call_far(SEL_GATE_U | 3, 0));
  probe_record("ring 3 ljmp  0x3B (gate to ring 0: JMP refused)   ",
               probe_jump_far(SEL_UCODE, SEL_GATE3 | 3, 0));
  probe_record("ring 3 lcall 0x7B (gate -> ring 0 in the gap)     ",
               probe_call_far(SEL_GATE_GAP | 3, 0));
  probe_record("ring 3 lcall 0x80 (conforming DPL 0)              ",
               probe_call_far(SEL_CONFORM, (uint32_t)user_stub));
  probe_record("ring 3 lcall 0x5B (code not present)              ",
               probe_call_far(SEL_CODE_NP | 3, 0));
  fill_table(table[2], table[3], 3, SEL_UCODE);
  __asm__ volatile("int $0x80");
  for (;;) {
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  /* Every IRQ masked: ring 3 runs with IF set, and QEMU's BIOS leaves the PIT running. */
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[SEL_GATE0 >> 3] = own_gate(SEL_KCODE, (uint32_t)gate_same, 0x8C);
  gdt[SEL_GATE3 >> 3] = own_gate(SEL_KCODE, (uint32_t)gate_inner, 0xEC) | (uint64_t)2 << 32;
  gdt[SEL_GATE_NP >> 3] = own_gate(SEL_KCODE, (uint32_t)gate_same, 0x0C);
  gdt[SEL_GATE_U >> 3] = own_gate(SEL_UCODE, (uint32_t)user_stub, 0xEC);
  gdt[SEL_GATE_FAR >> 3] = own_gate(SEL_BEYOND, 0, 0x8C);
  gdt[SEL_CODE_NP >> 3] = seg_desc(0, 0xFFFFF, 0x1A, 0xC);
  gdt[SEL_DATA_NP >> 3] = seg_desc(0, 0xFFFFF, 0x12, 0xC);
  gdt[SEL_LDT >> 3] = seg_desc((uint32_t)ldt, sizeof ldt - 1, 0x82, 0x0);
  gdt[SEL_CODE800 >> 3] = seg_desc(0x800, 0xFFFFF, 0x9A, 0xC);
  gdt[SEL_GATE_GAP >> 3] = own_gate(SEL_CODE800, 0xFBFFF000u, 0xEC);
  gdt[SEL_CONFORM >> 3] = seg_desc(0, 0xFFFFF, 0x9E, 0xC);
  gdt[0x88 >> 3] = seg_desc(0, 0xFFFFF, 0xF2, 0xC); /* ring-3 data */
  gdt[0x90 >> 3] = 0;
  gdt[SEL_GATE_NULL >> 3] = own_gate(0, 0, 0xEC);
  ldt[0] = own_gate(SEL_LCODE, (uint32_t)gate_inner, 0xEC) | (uint64_t)2 << 32;
  ldt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);
  idt[0x41] = own_gate(SEL_KCODE, (uint32_t)iret_stub, 0x8E);
  __asm__ volatile("lldt %w0" ::"r"((uint32_t)SEL_LDT));

  /* Paging: the low 4 MiB identity-mapped, user-accessible (ring 3 records its results);
   * the gap below the hole holds gap_code; pt_traced is the page table of 0xC0000000. */
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 7;
  pd[0] = (uint32_t)pt_low | 7;
  pd[0xFBC00000u >> 22] = (uint32_t)pt_gap | 7;
  pd[0xC0000000u >> 22] = (uint32_t)pt_traced | 3;
  pt_gap[1023] = (uint32_t)gap_code | 7;
  page_a[0] = 0xAAAA0001u;
  /* At 0xFBFFF800 (0x70:0xFBFFF000): mov $0x600D0078, %eax; lret. */
  static const uint8_t gap_stub[] = {0xB8, 0x78, 0x00, 0x0D, 0x60, 0xCB};
  for (uint32_t i = 0; i < sizeof gap_stub; ++i) gap_code[0x800 + i] = gap_stub[i];
  paging_on(pd);

  puts("far_gates: call gates, not-present segments, pushes onto traced pages\n");
  uint32_t follows = 0, ss = 0;
  probe_print("lcall 0x30 (gate DPL 0, ring 0 -> ring 0)        ", probe_call_far(SEL_GATE0, 0));
  probe_print("ljmp  0x30 (gate DPL 0, ring 0 -> ring 0)        ",
              probe_jump_far(SEL_KCODE, SEL_GATE0, 0));
  probe_print("lcall 0x38 (gate DPL 3 -> ring 0, same ring)     ",
              call_with_params(SEL_GATE3, &ss));
  probe_print("lcall 0x04 (LDT gate -> LDT code, same ring)     ",
              call_with_params(SEL_LGATE, &ss));
  probe_print("lcall 0x33 (gate DPL 0, RPL 3)                   ",
              probe_call_far(SEL_GATE0 | 3, 0));
  probe_print("lcall 0x40 (gate not present)                   ", probe_call_far(SEL_GATE_NP, 0));
  probe_print("lcall 0x48 (gate -> ring 3 code)                 ", probe_call_far(SEL_GATE_U, 0));
  probe_print("lcall 0x50 (gate -> 0x00A0, past the GDT)        ", probe_call_far(SEL_GATE_FAR, 0));
  probe_print("lcall 0x98 (gate -> null)                        ",
              probe_call_far(SEL_GATE_NULL, 0));
  probe_print("lcall 0x78 (gate -> 0x70:0xFBFFF000, the gap)    ", probe_call_far(SEL_GATE_GAP, 0));
  probe_print("lcall 0x58 (code not present)                    ", probe_call_far(SEL_CODE_NP, 0));
  probe_print("ljmp  0x58 (code not present)                    ",
              probe_jump_far(SEL_KCODE, SEL_CODE_NP, 0));
  probe_print("mov ds, 0x60 (data not present)                  ", load_ds(SEL_DATA_NP));
  probe_print("mov ss, 0x60 (data not present)                  ", load_ss(SEL_DATA_NP));
  probe_print("lcall 0x08 with its pushes on a page table       ",
              call_code_onto_page_table(&follows));
  probe_print("  the mapping the pushed EIP makes is read       ", follows);
  probe_print("lcall 0x30 (gate) with its pushes on a page table",
              call_gate_onto_page_table(&follows));
  probe_print("  the mapping the pushed EIP makes is read       ", follows);
  probe_print("lcall 0x70:0xFBFFF000 (gap), pushes on a page table",
              call_gap_onto_page_table(&follows));
  probe_print("  the mapping the pushed EIP makes is read       ", follows);
  probe_print("int 0x41 with its pushes on a page table         ", int_onto_page_table());
  probe_print("lcall 0x30 (gate) with its stack on the GDT page ", call_onto_gdt_page());
  fill_table(table[0], table[1], 0, SEL_KCODE);
  puts("ring 0 lcall rpl 0: ");
  puts(table[0]);
  putc('\n');
  puts("ring 0 ljmp  rpl 0: ");
  puts(table[1]);
  putc('\n');
  enter_ring3(user_main, user_stack + sizeof user_stack);
}
