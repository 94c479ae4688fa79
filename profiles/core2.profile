# core2: the 2.66 GHz Core 2 Duo (pre-production, VT-x) of Adams & Agesen, ASPLOS 2006,
# Table 1 (papers.md 1b). The paper gives no native nanobenchmark figures for this CPU,
# so every instruction costs vmlab's unit cycle. Format and keys: docs/cost-model.md.
name = core2
description = Core 2 Duo (2.66 GHz, pre-production) after Adams & Agesen, ASPLOS 2006, Table 1

insn.simple = 1 | vmlab default, not from a paper
insn.multiply = 1 | vmlab default, not from a paper
insn.divide = 1 | vmlab default, not from a paper
insn.port_io = 1 | vmlab default, not from a paper
insn.system = 1 | vmlab default, not from a paper
insn.interrupt = 1 | vmlab default, not from a paper
insn.serialize = 1 | vmlab default, not from a paper

event.trap = 1186 | Adams & Agesen 2006, Table 1, page-fault VM exit, Core 2 Duo 2.66 GHz (the only exit latency the paper gives; vmlab uses it for every exit)

vt.entry = 937 | Adams & Agesen 2006, Table 1, VM entry, Core 2 Duo 2.66 GHz
vt.exit_page_fault = 1186 | Adams & Agesen 2006, Table 1, page-fault VM exit, Core 2 Duo 2.66 GHz
vt.vmcb_read = 52 | Adams & Agesen 2006, Table 1, VMCB read, Core 2 Duo 2.66 GHz
vt.vmcb_write = 44 | Adams & Agesen 2006, Table 1, VMCB write, Core 2 Duo 2.66 GHz
vt.nested_ref = 20 | vmlab default, not from a paper (Bhargava et al. 2008 count the references of a 2-D walk, not their cycles): one extra paging-structure reference beyond a native walk, assumed to hit the data cache

# The disk's own work (docs/disk.md, "Cost in each mode"), charged alike in every mode to
# each request a disk takes (an ATA command, a PV ring request: the blk_request event).
event.blk_request = 79800 | IBM Ultrastar 146Z10 hard disk drive specifications, rev. 2.2 (S07N9742-03, 2002), section 4.5.1, Fig. 6: command overhead of a read that hits the drive's cache, under 30 us (the bound taken as the figure), at 2.66 GHz: a 146 GB 10k RPM Ultra320 SCSI disk of the class and year of Barham et al. 2003's testbed disk (papers.md 2; no seek, no rotation)
