/*
 * Hardware task switching (issue 12, "kernels we did not write"): a far JMP to a TSS and
 * back, a far CALL that nests a task and the IRET (NT set) that returns from it, a #GP and
 * a double fault through IDT task gates with their error codes on the new task's stack, a
 * fault while the new task's segments load (taken in the new task, SDM Vol. 3A table 7-1),
 * the busy flag's #GP on re-entering a running task, and the CR3 of each task (SDM Vol. 3A
 * 7.3 and 7.4; Vol. 2A/2B JMP, CALL, INT n, IRET). Every task runs at ring 0 with paging on;
 * the console is the same in every mode and under QEMU.
 */
#include "own_tables.h"
#include "probe.h"

#define NT (1u << 14)
#define CR0_TS (1u << 3)
#define SEL_A 0x30   /* jumped to and back */
#define SEL_B 0x38   /* called, returns with IRET */
#define SEL_C 0x40   /* its own CR3 */
#define SEL_BAD 0x48 /* DS not present: #NP in the new task */
#define SEL_GP 0x50  /* #GP's task gate */
#define SEL_DF 0x58  /* #DF's task gate */
#define SEL_NP_DATA 0x60
#define GDT_ENTRIES 13
#define MARKER_LIN 0x400000u

extern void isr13(void);

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss_main, tss_a, tss_b, tss_c, tss_bad, tss_gp, tss_df;
static uint8_t kernel_stack[4096] __attribute__((aligned(16)));
static uint8_t stacks[6][4096] __attribute__((aligned(16)));
static uint32_t pd1[1024] __attribute__((aligned(4096)));
static uint32_t pd2[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_hi1[1024] __attribute__((aligned(4096)));
static uint32_t pt_hi2[1024] __attribute__((aligned(4096)));
static uint32_t page_one[1024] __attribute__((aligned(4096)));
static uint32_t page_two[1024] __attribute__((aligned(4096)));

/* Where the main task resumes after a fault a task gate took (its saved EIP is the
 * faulting instruction's), and what the fault tasks saw. */
volatile uint32_t resume_at, fault_esp;
static volatile uint32_t bad_armed;
/* "no-fault-eip": QEMU (TCG, 8.2) departs from the SDM on the EIP a fault after the commit
 * point pushes: its own, the old task's far JMP, where the SDM's new task context is the new
 * task's EIP (Vol. 3A 7.3, table 7-1). The comparison with QEMU leaves that word out. */
static uint32_t no_fault_eip;

static uint16_t task_register(void) {
  uint16_t tr;
  __asm__ volatile("str %0" : "=r"(tr));
  return tr;
}
static uint32_t eflags_now(void) {
  uint32_t f;
  __asm__ volatile("pushf\n\tpop %0" : "=r"(f));
  return f;
}
static uint32_t cr0_now(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
static uint32_t cr3_now(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
static void clts(void) {
  __asm__ volatile("clts");
}
/* The type field of a GDT descriptor: 9 available, B busy. */
static uint32_t type_of(uint16_t sel) {
  return (uint32_t)(gdt[sel >> 3] >> 40) & 0xF;
}

static void put_sel(const char* what, uint32_t v) {
  puts(what);
  puthex(v);
}
/* "TR=..., NT=., CR0.TS=." and the types of the main task's and another TSS. */
static void show_task(const char* who, uint16_t other) {
  puts(who);
  put_sel(": TR=", task_register());
  puts(" NT=");
  putdec((eflags_now() & NT) ? 1 : 0);
  puts(" CR0.TS=");
  putdec((cr0_now() & CR0_TS) ? 1 : 0);
  puts(" main type=");
  putdec(type_of(SEL_TSS));
  puts(" other type=");
  putdec(type_of(other));
  puts("\n");
}

static void show_probe(const char* what) {
  puts(what);
  if (probe.faulted) {
    puts(": vector ");
    putdec(probe.vector);
    put_sel(" error ", probe.error);
    puts("\n");
  } else {
    puts(": no fault\n");
  }
}

static void task_a(void) {
  for (;;) {
    show_task("task A (jumped to)", SEL_A);
    __asm__ volatile("ljmp $0x28, $0" ::: "memory");
  }
}

static void task_b(void) {
  for (;;) {
    show_task("task B (called)", SEL_B);
    put_sel("task B: link=", tss_b.prev);
    puts("\n");
    /* The caller is busy: a task may not call or jump to it (SDM Vol. 3A 7.4.2). */
    __asm__ volatile(PROBE_BEGIN "lcall $0x28, $0" PROBE_END ::: "memory", "cc");
    show_probe("task B: lcall to the busy caller");
    __asm__ volatile(PROBE_BEGIN "ljmp $0x28, $0" PROBE_END ::: "memory", "cc");
    show_probe("task B: ljmp to the busy caller");
    __asm__ volatile("iret" ::: "memory");
  }
}

static void task_c(void) {
  for (;;) {
    puts(cr3_now() == (uint32_t)pd2 ? "task C: CR3 is the second directory" : "task C: CR3 wrong");
    puts(", marker ");
    puthex(*(volatile uint32_t*)MARKER_LIN);
    puts("\n");
    __asm__ volatile("ljmp $0x28, $0" ::: "memory");
  }
}

static void task_bad(void) {
  for (;;) {
    uint16_t ds;
    __asm__ volatile("mov %%ds, %0" : "=r"(ds));
    put_sel("bad task resumed after its #NP, DS=", ds);
    puts("\n");
    __asm__ volatile("ljmp $0x28, $0" ::: "memory");
  }
}

/* A fault task's entry (fault_entry, below) records its ESP, where the error code is. */
void fault_task(void) {
  for (;;) {
    const uint16_t tr = task_register();
    const struct tss32* me = tr == SEL_GP ? &tss_gp : &tss_df;
    const uint32_t top = (uint32_t)(tr == SEL_GP ? stacks[4] + 4096 : stacks[5] + 4096);
    show_task(tr == SEL_GP ? "#GP task" : "#DF task", tr);
    puts("  ESP=top-");
    putdec(top - fault_esp);
    put_sel(" error code ", *(volatile uint32_t*)fault_esp);
    put_sel(" link=", me->prev);
    /* The faulting instruction (mov %ax, %ds or div %ecx) is 2 bytes long. */
    puts(tss_main.eip == resume_at - 2 ? " saved EIP: the faulting instruction\n"
                                       : " saved EIP: elsewhere\n");
    tss_main.eip = resume_at;
    __asm__ volatile("iret" ::: "memory");
    /* (entered again only with a fresh error code below the old one) */
    __asm__ volatile("mov %%esp, %0" : "=r"(fault_esp));
  }
}
__asm__(".text\n.global fault_entry\nfault_entry:\n\tmovl %esp, fault_esp\n\tcall fault_task\n");
extern void fault_entry(void);

static void task_init(struct tss32* t, void (*entry)(void), uint8_t* stack, uint32_t* pd) {
  for (uint32_t i = 0; i < sizeof *t; ++i) ((volatile uint8_t*)t)[i] = 0;
  t->eip = (uint32_t)entry;
  t->eflags = 0x2;
  t->esp = (uint32_t)(stack + 4096);
  t->cs = SEL_KCODE;
  t->ss = t->ds = t->es = t->fs = t->gs = SEL_KDATA;
  t->ss0 = SEL_KDATA;
  t->esp0 = t->esp;
  t->cr3 = (uint32_t)pd;
  t->iomap_base = sizeof *t;
}

void isr_dispatch(struct frame* f) {
  if (probe_catch(f)) return;
  if (f->vector == 11 && bad_armed) {
    bad_armed = 0;
    put_sel("#NP in the new task: error ", f->error);
    put_sel(" TR=", task_register());
    if (!no_fault_eip) {
      puts(f->eip == (uint32_t)task_bad ? " at the new task's first instruction" : " elsewhere");
    }
    put_sel(" frame at stack+", (uint32_t)f - (uint32_t)stacks[3]);
    puts("\n");
    f->eip = (uint32_t)task_bad; /* (QEMU's frame holds the JMP) */
    f->ds = SEL_KDATA; /* the selector that faulted stays in DS until the handler's IRET */
    return;
  }
  unexpected_vector(f);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  no_fault_eip = cmdline_has(mbi, "no-fault-eip");
  pic_mask_all();
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss_main, (uint32_t)(kernel_stack + sizeof kernel_stack));
  puts("vmlab task-switch kernel\n");

  /* Paging: the low 4 MiB identity-mapped; linear 4 MiB shows page_one under pd1 (the
   * main task's) and page_two under pd2 (task C's). */
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 3;
  pt_hi1[0] = (uint32_t)page_one | 3;
  pt_hi2[0] = (uint32_t)page_two | 3;
  page_one[0] = 0x11111111;
  page_two[0] = 0x22222222;
  pd1[0] = pd2[0] = (uint32_t)pt_low | 3;
  pd1[1] = (uint32_t)pt_hi1 | 3;
  pd2[1] = (uint32_t)pt_hi2 | 3;
  paging_on(pd1);
  tss_main.cr3 = (uint32_t)pd1; /* a switch never saves CR3: the kernel puts it there */

  task_init(&tss_a, task_a, stacks[0], pd1);
  task_init(&tss_b, task_b, stacks[1], pd1);
  task_init(&tss_c, task_c, stacks[2], pd2);
  task_init(&tss_bad, task_bad, stacks[3], pd1);
  task_init(&tss_gp, fault_entry, stacks[4], pd1);
  task_init(&tss_df, fault_entry, stacks[5], pd1);
  tss_bad.ds = SEL_NP_DATA;
  gdt[SEL_A >> 3] = seg_desc((uint32_t)&tss_a, sizeof tss_a - 1, 0x89, 0);
  gdt[SEL_B >> 3] = seg_desc((uint32_t)&tss_b, sizeof tss_b - 1, 0x89, 0);
  gdt[SEL_C >> 3] = seg_desc((uint32_t)&tss_c, sizeof tss_c - 1, 0x89, 0);
  gdt[SEL_BAD >> 3] = seg_desc((uint32_t)&tss_bad, sizeof tss_bad - 1, 0x89, 0);
  gdt[SEL_GP >> 3] = seg_desc((uint32_t)&tss_gp, sizeof tss_gp - 1, 0x89, 0);
  gdt[SEL_DF >> 3] = seg_desc((uint32_t)&tss_df, sizeof tss_df - 1, 0x89, 0);
  gdt[SEL_NP_DATA >> 3] = seg_desc(0, 0xFFFFF, 0x12, 0xC); /* data, P = 0 */

  /* 1. JMP to a TSS and back: the main task is not busy while A runs. */
  uint32_t kept;
  __asm__ volatile("mov $0x5A5A5A5A, %%ebx\n\tljmp $0x30, $0\n\tmov %%ebx, %%eax"
                   : "=a"(kept)
                   :
                   : "ebx", "memory");
  show_task("main after ljmp back", SEL_A);
  put_sel("main: EBX kept across the switches ", kept);
  puts("\n");
  clts();

  /* 2. CALL nests task B (NT, link, both busy); its IRET returns here. */
  __asm__ volatile("lcall $0x38, $0" ::: "memory");
  show_task("main after task B's iret", SEL_B);
  puts("main: task B saved with NT=");
  putdec((tss_b.eflags & NT) ? 1 : 0);
  puts("\n");
  clts();

  /* 3. Each task's CR3. */
  __asm__ volatile("ljmp $0x40, $0" ::: "memory");
  puts(cr3_now() == (uint32_t)pd1 ? "main: CR3 is the first directory" : "main: CR3 wrong");
  put_sel(", marker ", *(volatile uint32_t*)MARKER_LIN);
  puts("\n");

  /* 4. A not-present DS in the new task: #NP(0060) taken in the new task, on its stack. */
  bad_armed = 1;
  __asm__ volatile("ljmp $0x48, $0" ::: "memory");
  show_task("main after the bad task", SEL_BAD);

  /* 5. The running task is busy: #GP(0028) for a JMP or CALL to itself. */
  __asm__ volatile(PROBE_BEGIN "ljmp $0x28, $0" PROBE_END ::: "memory", "cc");
  show_probe("main: ljmp to itself");
  __asm__ volatile(PROBE_BEGIN "lcall $0x28, $0" PROBE_END ::: "memory", "cc");
  show_probe("main: lcall to itself");
  clts();

  /* 6. #GP through a task gate: the error code on the #GP task's stack. */
  idt[13] = own_gate(SEL_GP, 0, 0x85);
  __asm__ volatile("movl $1f, resume_at\n\tmov $0x1230, %%ax\n\tmov %%ax, %%ds\n1:" ::
                       : "eax", "memory");
  idt[13] = own_gate(SEL_KCODE, (uint32_t)isr13, 0x8E);
  show_task("main after the #GP task", SEL_GP);

  /* 7. A double fault through a task gate: #DE whose gate is not present raises #NP, a
   * second contributory fault (SDM Vol. 3A table 6-5). */
  gdt[SEL_DF >> 3] = seg_desc((uint32_t)&tss_df, sizeof tss_df - 1, 0x89, 0);
  idt[8] = own_gate(SEL_DF, 0, 0x85);
  idt[0] &= ~(1ull << 47);
  __asm__ volatile("movl $1f, resume_at\n\txor %%ecx, %%ecx\n\tdiv %%ecx\n1:" ::
                       : "eax", "ecx", "edx", "memory");
  show_task("main after the #DF task", SEL_DF);
  exit_machine(0);
}
