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

void probe_show(uint32_t value) {
  puts(" -> ");
  if (probe.faulted) {
    puts("vector ");
    putdec(probe.vector);
    puts(" error ");
    puthex(probe.error);
  } else {
    puthex(value);
  }
}
