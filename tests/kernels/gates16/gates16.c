/*
 * The gates16 test kernel (issue 12): 16-bit interrupt and trap gates (IDT types 6 and 7).
 * Such a gate makes the processor push a frame of words, IP, CS and FLAGS (then the error
 * code; SP and SS first when the privilege changes), and enter the handler at the gate's
 * offset cut to 16 bits (SDM Vol. 3A, 6.12.1). Every gate here names a ring-0 32-bit code
 * segment based at the 64 KiB window that holds the test code, so that a 16-bit offset
 * reaches the handlers and a 16-bit IRET (IRETW) returns to the interrupted IP; the gates of
 * INT 0x40 and INT 0x41 hold garbage in their offset's upper half, which the processor
 * ignores.
 *
 * Ring 0 (in that window): INT 0x40 through an interrupt gate, INT 0x41 through a trap gate
 * with IF set, a #GP (a selector past the GDT limit) and a #PF (an unmapped page) through
 * the 16-bit trap gates of vectors 13 and 14 (a word of error code), the timer's IRQ 0
 * through a 16-bit interrupt gate after STI; HLT, and INT 0x40 with ESP 4 bytes above the
 * top 64 MiB (0xFC000000, where the monitors of ring compression keep their GDT), so that
 * the frame straddles that edge on pages the kernel maps there. Ring 3 (a code segment based
 * at the same window), with the TSS's ESP0 on the kernel's page at the linear address of the
 * monitor's IDT (0xFC011800): INT 0x42 through a DPL-3 trap gate, a #GP (CLI at IOPL 0), a
 * #PF (a store to a supervisor page) and the timer's IRQ 0 while it spins. Each handler
 * records its ESP, the frame's words and its own FLAGS (IF: cleared by an interrupt gate,
 * kept by a trap gate; read from the frame of an INT 0x44, through a 16-bit gate too), skips a faulting instruction and returns with IRETW. The kernel
 * prints them, and the ring-3 and edge frames again from its own pages at their identity
 * addresses. Natively, QEMU and every mode print the same console (expected.txt); under
 * ring compression no frame word may reach the monitor's pages (Gates16Hostile).
 */
#include "own_tables.h"
#include "probe.h"

#define SEL_K64 0x30     /* ring-0 code, base = the window, 32-bit */
#define SEL_U64 0x3B     /* ring-3 code, base = the window, 32-bit */
#define SEL_USTACK 0x43  /* ring-3 stack, base = user_stack, limit 0xFFF */
#define GDT_ENTRIES 9
#define HOLE_GDT 0xFC000000u
#define HOLE_IDT 0xFC011000u
#define EDGE_BELOW 0xFBFFF000u
#define UNMAPPED 0x00400000u
#define SUPERVISOR_PAGE 0x003FF000u
#define SLOTS 10

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
struct tss32 tss __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_edge[1024] __attribute__((aligned(4096)));
static uint32_t pt_hole[1024] __attribute__((aligned(4096)));
/* The kernel's own pages at EDGE_BELOW, HOLE_GDT and HOLE_IDT. */
static uint32_t page_below[1024] __attribute__((aligned(4096)));
static uint32_t page_gdt[1024] __attribute__((aligned(4096)));
static uint32_t page_idt[1024] __attribute__((aligned(4096)));

/* What each handler saw: its ESP at entry, six words from there, its own FLAGS. */
struct record {
  uint32_t esp;
  uint16_t w[6];
  uint32_t flags;
  uint32_t cr2;
  uint16_t alias[6]; /* the same words read from page_idt, for a frame on HOLE_IDT's page */
  uint32_t pad[7];
};
volatile struct record rec[SLOTS];
volatile uint32_t slot, skip, saved_esp[SLOTS], tick, kernel_esp, flags_seen;

extern char g16_begin[], g16_end[], g16_ring0[], g16_ring3[];
extern char h40[], h41[], h44[], h42[], h43[], h_gp[], h_pf[], h_timer[];
extern char r0_after40[], r0_after41[], r0_gp[], r0_pf[], r0_after_hlt[], r0_after_edge[];
extern char r3_after42[], r3_gp[], r3_pf[], r3_loop[], r3_loop_end[];
__asm__(
    ".text\n"
    ".p2align 4\n"
    "g16_begin:\n"
    /* The handlers' common part, called first: ESP at the handler's entry, six words from
     * there, the handler's FLAGS, into rec[slot]. */
    "record: push %eax\n push %ebx\n"
    " mov slot, %ebx\n shl $6, %ebx\n"
    " lea 12(%esp), %eax\n mov %eax, rec(%ebx)\n"
    " mov 12(%esp), %eax\n mov %eax, rec+4(%ebx)\n"
    " mov 16(%esp), %eax\n mov %eax, rec+8(%ebx)\n"
    " mov 20(%esp), %eax\n mov %eax, rec+12(%ebx)\n"
    " int $0x44\n mov flags_seen, %eax\n mov %eax, rec+16(%ebx)\n"
    " lea 12(%esp), %eax\n sub $0xFC011000, %eax\n cmp $0xFF0, %eax\n ja 1f\n"
    " push %ecx\n mov page_idt(%eax), %ecx\n mov %ecx, rec+24(%ebx)\n"
    " mov page_idt+4(%eax), %ecx\n mov %ecx, rec+28(%ebx)\n"
    " mov page_idt+8(%eax), %ecx\n mov %ecx, rec+32(%ebx)\n pop %ecx\n"
    "1: pop %ebx\n pop %eax\n ret\n"
    /* INT 0x44: the FLAGS its frame holds, which are the handler's (a PUSHF in the
     * handler would show the real IF under ring compression's classic CPU). */
    "h44: push %eax\n movzwl 8(%esp), %eax\n mov %eax, flags_seen\n pop %eax\n iretw\n"
    "h40: call record\n iretw\n"
    "h41: call record\n iretw\n"
    "h42: call record\n iretw\n"
    /* INT 0x43 from ring 3: IRQ 0 unmasked. */
    "h43: push %eax\n mov $0xFE, %al\n out %al, $0x21\n pop %eax\n iretw\n"
    /* #GP and #PF: the frame's IP moves past the faulting instruction (`skip` bytes), the
     * error code word goes. */
    "h_gp: call record\n"
    " push %eax\n mov skip, %eax\n addw %ax, 6(%esp)\n pop %eax\n add $2, %esp\n iretw\n"
    "h_pf: call record\n"
    " push %eax\n push %ebx\n mov slot, %ebx\n shl $6, %ebx\n mov %cr2, %eax\n"
    " mov %eax, rec+20(%ebx)\n mov skip, %eax\n addw %ax, 10(%esp)\n pop %ebx\n pop %eax\n"
    " add $2, %esp\n iretw\n"
    /* IRQ 0: masked again, acknowledged. */
    "h_timer: call record\n"
    " push %eax\n mov $0xFF, %al\n out %al, $0x21\n mov $0x20, %al\n out %al, $0x20\n"
    " movl $1, tick\n pop %eax\n iretw\n"
    /* Ring 0, entered by a far call. */
    "g16_ring0: cli\n"
    " movl $0, slot\n mov %esp, saved_esp\n int $0x40\n r0_after40:\n"
    " movl $1, slot\n mov %esp, saved_esp+4\n sti\n int $0x41\n r0_after41:\n cli\n"
    " movl $2, slot\n mov %esp, saved_esp+8\n movl $2, skip\n mov $0x7FF8, %ax\n"
    " r0_gp: mov %ax, %es\n"
    " movl $3, slot\n mov %esp, saved_esp+12\n movl $5, skip\n"
    " r0_pf: mov 0x00400000, %eax\n"
    " movl $4, slot\n mov %esp, saved_esp+16\n movl $0, tick\n mov $0xFE, %al\n out %al, $0x21\n"
    " sti\n hlt\n r0_after_hlt:\n cli\n"
    " movl $5, slot\n mov %esp, kernel_esp\n mov $0xFC000004, %esp\n mov %esp, saved_esp+20\n"
    " int $0x40\n r0_after_edge:\n mov kernel_esp, %esp\n"
    " lret\n"
    /* Ring 3, entered by an IRET with IF set; SS:ESP is user_stack's. */
    "g16_ring3:\n"
    " movl $6, slot\n mov %esp, saved_esp+24\n int $0x42\n r3_after42:\n"
    " movl $7, slot\n mov %esp, saved_esp+28\n movl $1, skip\n r3_gp: cli\n"
    " movl $8, slot\n mov %esp, saved_esp+32\n movl $10, skip\n"
    " r3_pf: movl $1, 0x003FF000\n"
    " movl $9, slot\n mov %esp, saved_esp+36\n movl $0, tick\n int $0x43\n"
    " r3_loop: cmpl $0, tick\n je r3_loop\n r3_loop_end:\n"
    " int $0x80\n"
    "g16_end:\n");

static uint32_t window(void) { return (uint32_t)g16_begin & 0xFFFF0000u; }

/* An IP of the window, as an offset from `label`. */
static void show_ip(uint16_t ip, const char* name, const char* label) {
  const uint32_t at = (uint32_t)label - window();
  puts(" ip ");
  puts(name);
  if (ip >= at) {
    puts("+");
    puthex(ip - at);
  } else {
    puts("-");
    puthex(at - ip);
  }
}

static void show_word(const char* what, uint16_t v) {
  puts(what);
  puthex(v);
}

static void show(const char* what, uint32_t i, const char* name, const char* label,
                 uint32_t words, int ring3) {
  const volatile struct record* r = &rec[i];
  puts(what);
  puts("\n ");
  if (ring3 || i == 5) {
    puts(" esp ");
    puthex(r->esp);
  } else {
    puts(" frame bytes ");
    putdec(saved_esp[i] - r->esp);
  }
  uint32_t w = 0;
  if (words == 4 || words == 6) show_word(" error ", r->w[w++]);
  show_ip(r->w[w++], name, label);
  show_word(" cs ", r->w[w++]);
  /* The status flags of a spinning loop depend on where the tick came. */
  show_word(" flags ", (uint16_t)(r->w[w++] & (i == 9 ? ~0x8D5u : 0xFFFFu)));
  if (ring3) {
    puts(" sp ring3's");
    const uint16_t sp = r->w[w++];
    const uint16_t before = (uint16_t)saved_esp[i];
    if (sp != before) {
      puts("-");
      putdec((uint16_t)(before - sp));
    }
    show_word(" ss ", r->w[w++]);
  }
  puts(", IF in the handler ");
  puts(r->flags & 0x200 ? "set" : "clear");
  putc('\n');
}

/* Whether the kernel's own page(s) at the frame's identity addresses hold the words the
 * handler read through SS:ESP (for ring 3's frames, copied by the handler: later frames
 * overwrite them). */
static void show_read_back(uint32_t i, uint32_t words) {
  int same = 1;
  for (uint32_t k = 0; k < words; ++k) {
    uint16_t v = rec[i].alias[k];
    if (i == 5) {
      const uint32_t at = rec[i].esp + 2 * k;
      const uint8_t* page = at >= HOLE_GDT ? (const uint8_t*)page_gdt : (const uint8_t*)page_below;
      v = (uint16_t)(page[at & 0xFFF] | page[(at & 0xFFF) + 1] << 8);
    }
    if (v != rec[i].w[k]) same = 0;
  }
  puts("  the same words in the kernel's own page(s) at their identity addresses: ");
  puts(same ? "yes\n" : "no\n");
}

static void finish(void) {
  puts("ring 3:\n");
  show("INT 0x42 through a DPL-3 16-bit trap gate", 6, "r3_after42", r3_after42, 5, 1);
  show_read_back(6, 5);
  show("CLI at IOPL 0: #GP through the 16-bit trap gate of vector 13", 7, "r3_gp", r3_gp, 6, 1);
  show_read_back(7, 6);
  show("a store to a supervisor page: #PF through the 16-bit trap gate of vector 14", 8, "r3_pf",
       r3_pf, 6, 1);
  show_read_back(8, 6);
  puts("  cr2 ");
  puthex(rec[8].cr2);
  putc('\n');
  const uint16_t ip = rec[9].w[0];
  const uint32_t lo = (uint32_t)r3_loop - window(), hi = (uint32_t)r3_loop_end - window();
  puts("IRQ 0 while ring 3 spins, through the 16-bit interrupt gate of vector 0x20: in the loop ");
  puts(ip >= lo && ip < hi ? "yes" : "no");
  putc('\n');
  show_read_back(9, 5);
  rec[9].w[0] = (uint16_t)lo;
  show(" ", 9, "r3_loop", r3_loop, 5, 1);
  puts("gates16: done\n");
  exit_machine(0);
}

void isr_dispatch(struct frame* f) {
  if (f->vector == 0x80) finish();
  unexpected_vector(f);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
  (void)magic;
  console_init();
  pic_init(0xFF);
  pit_init(1000);
  tables_init();
  own_tables_load(gdt, GDT_ENTRIES, idt, &tss, HOLE_IDT + 0x800);
  const uint32_t w = window();
  gdt[SEL_K64 >> 3] = seg_desc(w, 0xFFFF, 0x9A, 0x4);
  gdt[SEL_U64 >> 3] = seg_desc(w, 0xFFFF, 0xFA, 0x4);
  gdt[SEL_USTACK >> 3] = seg_desc((uint32_t)user_stack, 0xFFF, 0xF2, 0x4);
  /* Interrupt gates 0x86 (DPL 0) and 0xE6; trap gates 0x87 and 0xE7. */
  /* With "high-offset", the upper half of two gates' offsets holds garbage, which the
   * processor ignores for a 16-bit gate (SDM Vol. 3A, 6.12.1: IP is 16 bits; vmlab's
   * model). QEMU 7.2 enters at the whole 32-bit offset instead, so its run leaves it out. */
  const int high = cmdline_has(mbi, "high-offset");
  idt[0x40] = own_gate(SEL_K64, (high ? 0x12340000u : 0) | ((uint32_t)h40 - w), 0x86);
  idt[0x41] = own_gate(SEL_K64, (high ? 0xFFFF0000u : 0) | ((uint32_t)h41 - w), 0x87);
  idt[0x42] = own_gate(SEL_K64, (uint32_t)h42 - w, 0xE7);
  idt[0x43] = own_gate(SEL_K64, (uint32_t)h43 - w, 0xE6);
  idt[0x44] = own_gate(SEL_K64, (uint32_t)h44 - w, 0x86);
  idt[13] = own_gate(SEL_K64, (uint32_t)h_gp - w, 0x87);
  idt[14] = own_gate(SEL_K64, (uint32_t)h_pf - w, 0x87);
  idt[0x20] = own_gate(SEL_K64, (uint32_t)h_timer - w, 0x86);
  for (uint32_t i = 0; i < 1024; ++i) pt_low[i] = (i << 12) | 7;
  pt_low[SUPERVISOR_PAGE >> 12] = SUPERVISOR_PAGE | 3;
  pd[0] = (uint32_t)pt_low | 7;
  pd[EDGE_BELOW >> 22] = (uint32_t)pt_edge | 3;
  pt_edge[(EDGE_BELOW >> 12) & 0x3FF] = (uint32_t)page_below | 3;
  pd[HOLE_GDT >> 22] = (uint32_t)pt_hole | 3;
  pt_hole[(HOLE_GDT >> 12) & 0x3FF] = (uint32_t)page_gdt | 3;
  pt_hole[(HOLE_IDT >> 12) & 0x3FF] = (uint32_t)page_idt | 3;
  paging_on(pd);
  puts("gates16: 16-bit interrupt and trap gates\n");
  puts("the test code within one 64 KiB window: ");
  puts((uint32_t)g16_end - w <= 0xFFFF ? "yes" : "no");
  putc('\n');
  static struct {
    uint32_t off;
    uint16_t sel;
  } __attribute__((packed)) ring0 = {0, SEL_K64};
  ring0.off = (uint32_t)g16_ring0 - w;
  __asm__ volatile("lcall *%0" ::"m"(ring0) : "eax", "memory");
  puts("ring 0:\n");
  show("INT 0x40 through a 16-bit interrupt gate", 0, "r0_after40",
       r0_after40, 3, 0);
  show("INT 0x41 through a 16-bit trap gate with IF set", 1, "r0_after41",
       r0_after41, 3, 0);
  show("MOV ES, 0x7ff8: #GP through the 16-bit trap gate of vector 13", 2, "r0_gp", r0_gp, 4, 0);
  show("a read of an unmapped page: #PF through the 16-bit trap gate of vector 14", 3, "r0_pf",
       r0_pf, 4, 0);
  puts("  cr2 ");
  puthex(rec[3].cr2);
  putc('\n');
  show("IRQ 0 after STI; HLT, through the 16-bit interrupt gate of vector 0x20", 4,
       "r0_after_hlt", r0_after_hlt, 3, 0);
  show("INT 0x40 with ESP 0xfc000004 (the frame across 0xfc000000)", 5, "r0_after_edge",
       r0_after_edge, 3, 0);
  show_read_back(5, 3);
  /* Ring 3 at g16_ring3, IF set, its stack in user_stack. */
  __asm__ volatile(
      "mov %0, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n"
      "push %1\n push $0xFF0\n pushf\n orl $0x200, (%%esp)\n push %2\n push %3\n iret" ::"i"(
          SEL_UDATA),
      "i"(SEL_USTACK), "i"(SEL_U64), "r"((uint32_t)g16_ring3 - w)
      : "eax", "memory");
  for (;;) {
  }
}
