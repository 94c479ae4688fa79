/* The fault-fixup probe: see probe.h. */
#include "probe.h"

volatile struct probe_state probe;

int probe_catch(struct frame* f) {
  if (probe.fixup == 0) return 0;
  probe.faulted = 1;
  probe.vector = f->vector;
  probe.error = f->error;
  f->eip = probe.fixup;
  probe.fixup = 0;
  return 1;
}

void probe_show_outcome(uint32_t faulted, uint32_t vector, uint32_t error, uint32_t value) {
  puts(" -> ");
  if (faulted) {
    puts("vector ");
    putdec(vector);
    puts(" error ");
    puthex(error);
  } else {
    puthex(value);
  }
}

void probe_show(uint32_t value) {
  probe_show_outcome(probe.faulted, probe.vector, probe.error, value);
}

void probe_print(const char* what, uint32_t value) {
  puts(what);
  probe_show(value);
  putc('\n');
}

/* The recorded lines (written from ring 3 too: see the top of probe.h). */
static struct {
  const char* what;
  uint32_t faulted, vector, error, value;
} recorded[64];
static uint32_t nrecorded;

void probe_record(const char* what, uint32_t value) {
  if (nrecorded < sizeof recorded / sizeof recorded[0]) {
    recorded[nrecorded].what = what;
    recorded[nrecorded].faulted = probe.faulted;
    recorded[nrecorded].vector = probe.vector;
    recorded[nrecorded].error = probe.error;
    recorded[nrecorded].value = value;
    ++nrecorded;
  }
}

void probe_print_recorded(void) {
  for (uint32_t i = 0; i < nrecorded; ++i) {
    puts(recorded[i].what);
    probe_show_outcome(recorded[i].faulted, recorded[i].vector, recorded[i].error,
                       recorded[i].value);
    putc('\n');
  }
  nrecorded = 0;
}

/* The m16:32 operand of the indirect forms. */
static struct {
  uint32_t off;
  uint16_t sel;
} __attribute__((packed)) farptr;

void probe_put_stub(volatile uint8_t* at, uint32_t marker) {
  at[0] = 0xB8;
  at[1] = (uint8_t)marker;
  at[2] = (uint8_t)(marker >> 8);
  at[3] = (uint8_t)(marker >> 16);
  at[4] = (uint8_t)(marker >> 24);
  at[5] = 0xCB;
}

uint32_t probe_call_far(uint16_t sel, uint32_t off) {
  uint32_t v = 0x0BADBAD0u;
  farptr.off = off;
  farptr.sel = sel;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "lcall *%[p]\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [p] "m"(farptr)
                   : "esi", "edx", "memory");
  return v;
}

uint32_t probe_jump_far(uint16_t back, uint16_t sel, uint32_t off) {
  uint32_t v = 0x0BADBAD0u;
  farptr.off = off;
  farptr.sel = sel;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "pushl %k[back]\n"
                   "pushl $1f\n"
                   "ljmp *%[p]\n"
                   "1:\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [p] "m"(farptr), [back] "r"((uint32_t)back)
                   : "esi", "edx", "memory");
  return v;
}

uint32_t probe_return_far(uint16_t back, uint16_t sel, uint32_t off) {
  uint32_t v = 0x0BADBAD0u;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "pushl %k[back]\n"
                   "pushl $1f\n"
                   "pushl %k[sel]\n"
                   "pushl %[off]\n"
                   "lret\n"
                   "1:\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [back] "r"((uint32_t)back), [sel] "r"((uint32_t)sel), [off] "r"(off)
                   : "esi", "edx", "memory");
  return v;
}

uint32_t probe_return_iret(uint16_t back, uint16_t sel, uint32_t off) {
  uint32_t v = 0x0BADBAD0u;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "pushl %k[back]\n"
                   "pushl $1f\n"
                   "pushfl\n"
                   "pushl %k[sel]\n"
                   "pushl %[off]\n"
                   "iret\n"
                   "1:\n" PROBE_END "mov %%esi, %%esp\n"
                   : "+a"(v)
                   : [back] "r"((uint32_t)back), [sel] "r"((uint32_t)sel), [off] "r"(off)
                   : "esi", "edx", "memory");
  return v;
}

uint32_t probe_push_pop_ss(uint16_t ss, uint32_t esp, uint32_t value) {
  uint32_t out = 0;
  __asm__ volatile(PROBE_BEGIN
                   "mov %%esp, %%esi\n"
                   "mov %%ss, %%di\n"
                   "mov %w[ss], %%ss\n"
                   "mov %[esp], %%esp\n"
                   "pushl %[v]\n"
                   "popl %[out]\n" PROBE_END
                   "mov %%di, %%ss\n"
                   "mov %%esi, %%esp\n"
                   : [out] "+a"(out)
                   : [ss] "r"((uint32_t)ss), [esp] "r"(esp), [v] "r"(value)
                   : "esi", "edi", "memory");
  return out;
}

uint32_t probe_read(uint32_t linear) {
  uint32_t v = 0;
  __asm__ volatile(PROBE_BEGIN "movl (%[lin]), %[v]\n" PROBE_END
                   : [v] "+r"(v)
                   : [lin] "r"(linear)
                   : "memory");
  return v;
}

void probe_write(uint32_t linear, uint32_t value) {
  __asm__ volatile(PROBE_BEGIN "movl %[v], (%[lin])\n" PROBE_END
                   :
                   : [lin] "r"(linear), [v] "r"(value)
                   : "memory");
}

uint32_t probe_push_pop(uint32_t esp, uint32_t value) {
  uint32_t out = 0;
  __asm__ volatile(PROBE_BEGIN
                   "movl %%esp, %%ebx\n"
                   "movl %[esp], %%esp\n"
                   "pushl %[v]\n"
                   "popl %[out]\n" PROBE_END "movl %%ebx, %%esp\n"
                   : [out] "+r"(out)
                   : [esp] "r"(esp), [v] "r"(value)
                   : "ebx", "memory");
  return out;
}

void probe_rep_movsd(uint32_t dst, uint32_t src, uint32_t count) {
  __asm__ volatile(PROBE_BEGIN
                   "cld\n"
                   "rep movsl\n" PROBE_END
                   : "+D"(dst), "+S"(src), "+c"(count)
                   :
                   : "memory");
}

void probe_print_cr2(const char* what, uint32_t value) {
  puts(what);
  probe_show(value);
  if (probe.faulted && probe.vector == 14) {
    uint32_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    puts(" cr2 ");
    puthex(cr2);
  }
  putc('\n');
}
