/*
 * The gates12 test kernel (issue 12: call gates to the guest's rings 1 and 2). From ring 3,
 * a far CALL through a DPL-3 call gate (one parameter) to a DPL-1 and to a DPL-2 code
 * segment, whose stubs report CS, SS and the copied parameter and return with RET 4 (the
 * stack switch to the TSS's SS1:ESP1 and SS2:ESP2 and back, SDM Vol. 3A 5.8.5). From ring
 * 0 first: a CALL through a gate to DPL-1 or DPL-2 code (an outer ring: #GP(target)) and a
 * JMP through a gate to DPL-1 code (#GP(target)). Natively, under the VT CPU and in QEMU
 * the ring-3 calls run; ring compression (the classic CPU, bt) models the guest's rings 0
 * and 3 only and stops the run at the first of them with a message that names the gate,
 * the target and its DPL (gates12_stop.txt; docs/modes/trap-and-emulate.md).
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_CODE1 0x30  /* code, DPL 1 */
#define SEL_DATA1 0x38  /* data, DPL 1: SS1 */
#define SEL_CODE2 0x40  /* code, DPL 2 */
#define SEL_DATA2 0x48  /* data, DPL 2: SS2 */
#define SEL_GATE1 0x50  /* call gate, DPL 3 -> SEL_CODE1:ring_stub, 1 parameter */
#define SEL_GATE2 0x58  /* call gate, DPL 3 -> SEL_CODE2:ring_stub, 1 parameter */
#define SEL_GATE1K 0x60 /* call gate, DPL 0 -> SEL_CODE1:ring_stub */
#define SEL_GATE2K 0x68 /* call gate, DPL 0 -> SEL_CODE2:ring_stub */
#define GDT_ENTRIES 14

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(16)));
static uint8_t ring1_stack[4096] __attribute__((aligned(16)));
static uint8_t ring2_stack[4096] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));

/* EAX = CS << 16 | SS as the stub sees them, EDX = its parameter. */
extern char ring_stub[];
__asm__(
    ".text\n"
    "ring_stub: mov %cs, %eax\n shl $16, %eax\n mov %ss, %ax\n mov 8(%esp), %edx\n"
    " lret $4\n");

/* The far pointer (not on the stack, which the pushed parameter moves). */
static struct {
  uint32_t off;
  uint16_t sel;
} __attribute__((packed)) target;

static uint32_t call_gate(uint16_t sel, uint32_t param, uint32_t* copied) {
  uint32_t v = 0, d = 0;
  target.off = 0;
  target.sel = sel;
  __asm__ volatile(PROBE_BEGIN "mov %%esp, %%ebx\n\tpushl %[param]\n\tlcall *%[t]\n" PROBE_END
                               "mov %%ebx, %%esp"
                   : "+a"(v), "+d"(d)
                   : [param] "r"(param), [t] "m"(target)
                   : "ebx", "memory", "cc");
  *copied = d;
  return v;
}

static uint32_t jump_gate(uint16_t sel) {
  uint32_t v = 0;
  target.off = 0;
  target.sel = sel;
  __asm__ volatile(PROBE_BEGIN "ljmp *%[t]\n" PROBE_END : "+a"(v) : [t] "m"(target) : "memory");
  return v;
}

struct seen {
  const char* what;
  uint32_t faulted, vector, error, value, copied;
};
static struct seen seen[4];
static uint32_t nseen;

static void show(const struct seen* s) {
  puts(s->what);
  puts(" -> ");
  if (s->faulted) {
    puts("vector ");
    putdec(s->vector);
    puts(" error ");
    puthex(s->error);
  } else {
    puts("cs:ss ");
    puthex(s->value);
    puts(" parameter ");
    puthex(s->copied);
  }
  putc('\n');
}

static void try_call(const char* what, uint16_t sel, uint32_t param) {
  uint32_t copied = 0;
  const uint32_t v = call_gate(sel, param, &copied);
  seen[nseen++] = (struct seen){what, probe.faulted, probe.vector, probe.error, v, copied};
}

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) {
    f->cs = (f->cs & 3) == 3 ? SEL_UCODE : SEL_KCODE;
    return;
  }
  if (f->vector == 0x80 && (f->cs & 3) == 3) {
    for (uint32_t i = 0; i < nseen; ++i) show(&seen[i]);
    puts("gates12: done\n");
    exit_machine(0);
  }
  unexpected_vector(f);
}

static void user_main(void) {
  try_call("ring 3 lcall 0x53 (gate -> DPL-1 code)", SEL_GATE1 | 3, 0x11111111u);
  try_call("ring 3 lcall 0x5b (gate -> DPL-2 code)", SEL_GATE2 | 3, 0x22222222u);
  __asm__ volatile("int $0x80");
  for (;;) {
  }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  gdt[SEL_CODE1 >> 3] = own_seg_desc(0, 0xFFFFF, 0xBA, 0xC);
  gdt[SEL_DATA1 >> 3] = own_seg_desc(0, 0xFFFFF, 0xB2, 0xC);
  gdt[SEL_CODE2 >> 3] = own_seg_desc(0, 0xFFFFF, 0xDA, 0xC);
  gdt[SEL_DATA2 >> 3] = own_seg_desc(0, 0xFFFFF, 0xD2, 0xC);
  gdt[SEL_GATE1 >> 3] = own_gate(SEL_CODE1, (uint32_t)ring_stub, 0xEC) | (uint64_t)1 << 32;
  gdt[SEL_GATE2 >> 3] = own_gate(SEL_CODE2, (uint32_t)ring_stub, 0xEC) | (uint64_t)1 << 32;
  gdt[SEL_GATE1K >> 3] = own_gate(SEL_CODE1, (uint32_t)ring_stub, 0x8C) | (uint64_t)1 << 32;
  gdt[SEL_GATE2K >> 3] = own_gate(SEL_CODE2, (uint32_t)ring_stub, 0x8C) | (uint64_t)1 << 32;
  tss.ss1 = SEL_DATA1 | 1;
  tss.esp1 = (uint32_t)(ring1_stack + sizeof ring1_stack);
  tss.ss2 = SEL_DATA2 | 2;
  tss.esp2 = (uint32_t)(ring2_stack + sizeof ring2_stack);

  puts("gates12: call gates to rings 1 and 2\n");
  try_call("ring 0 lcall 0x60 (gate -> DPL-1 code)", SEL_GATE1K, 0x10);
  try_call("ring 0 lcall 0x68 (gate -> DPL-2 code)", SEL_GATE2K, 0x20);
  for (uint32_t i = 0; i < nseen; ++i) show(&seen[i]);
  nseen = 0;
  jump_gate(SEL_GATE1K);
  seen[0] = (struct seen){"ring 0 ljmp  0x60 (gate -> DPL-1 code)", probe.faulted, probe.vector,
                          probe.error, 0, 0};
  show(&seen[0]);
  enter_ring3(user_main, user_stack + sizeof user_stack);
}
