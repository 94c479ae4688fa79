/*
 * The native pv_ops table: each entry is the privileged instruction itself.
 *
 * Together with boot.S this is the only file that contains privileged or
 * sensitive instructions (tests/check_privileged.py checks the built image).
 * Every function here is named native_* so that the check can tell them apart.
 * Under trap-and-emulate and binary translation this same table runs, and the
 * monitor sees exactly these instructions; the paravirtual table replaces them.
 */
#include "blk.h"
#include "kernel.h"

extern void trap_return(void); /* trapentry.S */

#define EXIT_PORT 0xF4 /* isa-debug-exit: QEMU exits with (value << 1) | 1 */

struct pseudo_descriptor {
  u16 limit;
  u32 base;
} __attribute__((packed));

static void native_load_gdt(const void* base, u16 limit, u16 code_sel, u16 data_sel) {
  struct pseudo_descriptor d = {limit, (u32)base};
  __asm__ volatile("lgdt %0" : : "m"(d));
  /* Reload every segment register so that the new descriptors take effect;
   * CS can only be reloaded by a far transfer, here a far return. */
  __asm__ volatile(
      "movw %w0, %%ds\n\t"
      "movw %w0, %%es\n\t"
      "movw %w0, %%fs\n\t"
      "movw %w0, %%gs\n\t"
      "movw %w0, %%ss\n\t"
      "pushl %1\n\t"
      "pushl $1f\n\t"
      "lret\n"
      "1:"
      :
      : "r"((u32)data_sel), "r"((u32)code_sel)
      : "memory");
}

static void native_load_idt(const void* base, u16 limit) {
  struct pseudo_descriptor d = {limit, (u32)base};
  __asm__ volatile("lidt %0" : : "m"(d));
}

static void native_load_tr(u16 sel) {
  __asm__ volatile("ltr %0" : : "r"(sel));
}

/* TSS.esp0 is plain memory natively (the CPU reads it on a ring change);
 * under PV it is a hypercall (Xen's stack_switch). */
static void native_set_kernel_stack(u32 esp0) {
  tss_set_esp0(esp0);
}

static void native_load_cr3(u32 pd_phys) {
  __asm__ volatile("movl %0, %%cr3" : : "r"(pd_phys) : "memory");
}

static u32 native_read_fault_addr(void) {
  u32 v;
  __asm__ volatile("movl %%cr2, %0" : "=r"(v));
  return v;
}

static void native_flush_tlb(void) {
  u32 v;
  __asm__ volatile("movl %%cr3, %0\n\tmovl %0, %%cr3" : "=r"(v) : : "memory");
}

static void native_invlpg(u32 va) {
  __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Natively a PTE write is a store and batching is a no-op: the hardware walks
 * the tables we write. A PV table queues mmu_update requests instead. */
static void native_pte_write(pte_t* ptep, pte_t val) {
  *(volatile pte_t*)ptep = val;
}
static void native_pte_batch_begin(void) {}
static void native_pte_batch_flush(void) {}
static void native_pt_alloc(u32 pa, u32 level) {
  (void)pa;
  (void)level;
}
static void native_pt_release(u32 pa, u32 level) {
  (void)pa;
  (void)level;
}

static u32 native_irq_save(void) {
  u32 flags;
  __asm__ volatile("pushfl\n\tpopl %0\n\tcli" : "=r"(flags) : : "memory");
  return flags;
}

/*
 * Restores with STI rather than POPF: POPF executed outside ring 0 silently
 * leaves IF alone (one of the Popek-Goldberg "sensitive but unprivileged"
 * instructions), whereas STI traps and can be emulated by a monitor.
 */
static void native_irq_restore(u32 flags) {
  if (flags & EFLAGS_IF) __asm__ volatile("sti" : : : "memory");
}

static void native_irq_disable(void) {
  __asm__ volatile("cli" : : : "memory");
}
static void native_irq_enable(void) {
  __asm__ volatile("sti" : : : "memory");
}

/* STI delays interrupts by one instruction, so no interrupt can slip in
 * between STI and HLT and leave us halted with work pending. */
static void native_safe_halt(void) {
  __asm__ volatile("sti\n\thlt" : : : "memory");
}

static __attribute__((noreturn)) void native_halt_forever(void) {
  for (;;) __asm__ volatile("cli\n\thlt");
}

static u8 native_inb(u16 port) {
  u8 v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

u32 native_post_port_loop(u32 iters) {
  u32 sum = 0;
  for (u32 i = 0; i < iters; i++) {
    u8 v;
    __asm__ volatile("inb $0x80, %0" : "=a"(v));
    sum += v;
  }
  return sum;
}

static void native_outb(u16 port, u8 val) {
  __asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static u16 native_inw(u16 port) {
  u16 v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void native_outw(u16 port, u16 val) {
  __asm__ volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static u32 native_inl(u16 port) {
  u32 v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void native_outl(u16 port, u32 val) {
  __asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static __attribute__((noreturn)) void native_machine_exit(u32 status) {
  native_outb(EXIT_PORT, (u8)status);
  native_halt_forever(); /* only reached when nothing listens on 0xF4 */
}

const struct pv_ops pv_ops_native = {
    .name = "native",
    .kernel_ring = 0,
    .load_gdt = native_load_gdt,
    .load_idt = native_load_idt,
    .load_tr = native_load_tr,
    .set_kernel_stack = native_set_kernel_stack,
    .load_cr3 = native_load_cr3,
    .read_fault_addr = native_read_fault_addr,
    .flush_tlb = native_flush_tlb,
    .invlpg = native_invlpg,
    .pte_write = native_pte_write,
    .pte_batch_begin = native_pte_batch_begin,
    .pte_batch_flush = native_pte_batch_flush,
    .pt_alloc = native_pt_alloc,
    .pt_release = native_pt_release,
    .irq_save = native_irq_save,
    .irq_restore = native_irq_restore,
    .irq_disable = native_irq_disable,
    .irq_enable = native_irq_enable,
    .safe_halt = native_safe_halt,
    .halt_forever = native_halt_forever,
    .inb = native_inb,
    .outb = native_outb,
    /* Devices driven through the port-I/O entries above; the PV table will
     * replace these two with a console ring and a hypervisor timer. */
    .console_write = uart_write,
    .timer_init = pit_init,
    .machine_exit = native_machine_exit,
    .user_return = trap_return,
    .inw = native_inw,
    .outw = native_outw,
    .inl = native_inl,
    .outl = native_outl,
    .blk = &ata_blk_ops,
};
