/*
 * The CR0.TS, MP and EM test kernel (issue 12, differential.py --richer seed 32004): the
 * x87 instructions and WAIT as CR0's x87 bits govern them (SDM Vol. 3A, table 2-2): with EM
 * or TS set an x87 instruction is #NM (vector 7); WAIT is #NM only with MP and TS both set;
 * CLTS clears TS and LMSW sets it. A kernel's lazy FPU switching sets TS at a task switch
 * and takes the first x87 instruction's #NM. The deprivileged monitors kept the guest's CR0
 * virtual, and their real CR0 (the monitor's) had TS, MP and EM clear: no #NM ever came
 * under the classic CPU and bt. Every line is what the guest saw, the same in every mode
 * and under QEMU (expected.txt).
 */
#include "own_tables.h"
#include "probe.h"

/* The #NM entry stub, with the frame of boot.S's stubs (more_vectors.S's pattern). */
__asm__(".text\n.global isr7\nisr7:\n\tpush $0\n\tpush $7\n\tjmp isr_common\n");
extern void isr7(void);

static uint64_t gdt[6] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t kernel_stack[4096] __attribute__((aligned(4096)));

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  unexpected_vector(f);
}

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u

static void set_cr0_bits(uint32_t set, uint32_t clear) {
  uint32_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  cr0 = (cr0 | set) & ~clear;
  __asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
}

/* FNINIT; FLD1; FNSTSW AX: the status word (TOP 7 after the push), or the fault. */
static uint32_t x87_probe(void) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "fninit\n\tfld1\n\tfnstsw %%ax\n\tmovzwl %%ax, %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   :
                   : "eax", "memory");
  return v;
}

/* WAIT alone: 1 when it ran, or the fault. */
static uint32_t wait_probe(void) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "wait\n\tmovl $1, %[v]\n" PROBE_END : [v] "+r"(v) : : "memory");
  return v;
}

void kmain(uint32_t magic, const struct multiboot_info* mbi) {
  (void)magic;
  (void)mbi;
  console_init();
  tables_init();
  own_tables_load(gdt, 6, idt, &tss, (uint32_t)(kernel_stack + sizeof kernel_stack));
  idt[7] = own_gate(SEL_KCODE, (uint32_t)isr7, 0x8E);
  puts("cr0_fpu:\n");
  set_cr0_bits(0, CR0_MP | CR0_EM | CR0_TS);
  probe_print("x87, MP EM TS clear", x87_probe());
  probe_print("wait, MP EM TS clear", wait_probe());
  set_cr0_bits(CR0_TS, 0);
  probe_print("x87, TS set by MOV CR0", x87_probe());
  probe_print("wait, TS set, MP clear", wait_probe());
  set_cr0_bits(CR0_MP, 0);
  probe_print("wait, MP and TS set", wait_probe());
  __asm__ volatile("clts");
  probe_print("x87 after CLTS", x87_probe());
  probe_print("wait after CLTS, MP set", wait_probe());
  __asm__ volatile("smsw %%eax\n\torl $8, %%eax\n\tlmsw %%ax" ::: "eax");
  probe_print("x87, TS set by LMSW", x87_probe());
  __asm__ volatile("clts");
  set_cr0_bits(CR0_EM, CR0_MP);
  probe_print("x87, EM set", x87_probe());
  probe_print("wait, EM set, MP clear", wait_probe());
  set_cr0_bits(0, CR0_EM);
  probe_print("x87, EM clear again", x87_probe());
  exit_machine(0);
}
