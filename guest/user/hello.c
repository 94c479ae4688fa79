/*
 * The program the forkexec workload exec()s: lmbench's "exec proc" runs a
 * trivial program that exits at once; so does this one.
 */
#include "ulib.h"

int main(int argc, char** argv) {
  (void)argv;
  return argc > 1 ? 1 : 0;
}
