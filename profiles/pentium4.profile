# pentium4: the 3.8 GHz Pentium 4 672 (Prescott, VT-x) of Adams & Agesen, "A Comparison
# of Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006 (papers.md 1a,
# 1b). Native figures are the paper's native column where one exists; every other
# instruction costs vmlab's unit cycle. Format and keys: docs/cost-model.md.
name = pentium4
description = Pentium 4 672 (3.8 GHz, Prescott) after Adams & Agesen, ASPLOS 2006

# Instruction classes (charged per retired instruction).
insn.simple = 1 | vmlab default, not from a paper
insn.multiply = 1 | vmlab default, not from a paper
insn.divide = 1 | vmlab default, not from a paper
insn.port_io = 3209 | Adams & Agesen 2006, Fig. 4 (raw-data appendix), native 'in' from port 0x80, Pentium 4 672
insn.system = 1 | vmlab default, not from a paper
insn.interrupt = 1 | vmlab default, not from a paper
insn.serialize = 60 | Adams & Agesen 2006, text (summarized in references/papers.md 1b), native 'cli' on Pentium 4 (applied to the whole class: CLI, STI, POPF, HLT, RDTSC)

# Events the hardware reports in native mode (charged when recorded).
event.software_interrupt = 242 | Adams & Agesen 2006, Fig. 4 (raw-data appendix), native syscall round trip (syscall/sysret), Pentium 4 672; vmlab charges it to INT n delivery
event.exception = 889 | Adams & Agesen 2006, Fig. 4 (raw-data appendix), native divzero fault round trip, Pentium 4 672; vmlab charges it to every exception delivery

# Events of the virtualization modes.
event.trap = 1931 | Adams & Agesen 2006, Table 1, page-fault VM exit, Pentium 4 672 (the only exit latency the paper gives; vmlab uses it for every exit)

# Mechanism figures the modes read by name.
vt.entry = 2409 | Adams & Agesen 2006, Table 1, VM entry, Pentium 4 672
vt.exit_page_fault = 1931 | Adams & Agesen 2006, Table 1, page-fault VM exit, Pentium 4 672
vt.vmcb_read = 178 | Adams & Agesen 2006, Table 1, VMCB read, Pentium 4 672
vt.vmcb_write = 171 | Adams & Agesen 2006, Table 1, VMCB write, Pentium 4 672
trap.emulate_rdtsc = 2030 | Adams & Agesen 2006, text (summarized in references/papers.md 1b), rdtsc by trap-and-emulate, Pentium 4
bt.callout_emulate_rdtsc = 1254 | Adams & Agesen 2006, text (summarized in references/papers.md 1b), rdtsc by callout-and-emulate, Pentium 4
bt.in_tc_port_read = 216 | Adams & Agesen 2006, Fig. 4 (raw-data appendix), 'in' from port 0x80 under BT (the software VMM emulates it in the translation cache, no callout), Pentium 4 672
bt.in_tc_pte_write = 390 | Adams & Agesen 2006, Fig. 4 (raw-data appendix), ptemod 'unchanged' (a traced PTE write emulated in the translation cache after adaptive retranslation, no callout): 391 under BT less the 1 of native, the emulation's cost above the store itself, Pentium 4 672
bt.in_tc_emulate_rdtsc = 216 | Adams & Agesen 2006, text (summarized in references/papers.md 1b), rdtsc emulated in the translation cache, Pentium 4
bt.translate_per_insn = 2300 | Adams & Agesen 2006, text (summarized in references/papers.md 1b), translator speed: cycles per x86 instruction translated

# Binary translation (--mode bt; docs/modes/binary-translation.md). The translator charges
# bt.translate_per_insn per guest instruction with each bt_translate event.
event.bt_callout = 1254 | Adams & Agesen 2006, text (summarized in references/papers.md 1b), rdtsc by callout-and-emulate, Pentium 4 (the whole callout with its emulation); vmlab charges it to every callout
event.bt_in_tc = 0 | vmlab default, not from a paper: an in-TC sequence is charged as the instructions it retires (Adams & Agesen 2006 call the translated cli 'a handful' of cycles)
event.bt_lookup_hit = 0 | vmlab default, not from a paper: the in-TC hash lookup is charged as the instructions it retires (about 20)
event.bt_lookup_miss = 0 | vmlab default, not from a paper: a miss is a callout, charged as bt_callout
event.bt_chain = 0 | vmlab default, not from a paper: the continuation that chains is a callout, charged as bt_callout
vt.nested_ref = 20 | vmlab default, not from a paper (Bhargava et al. 2008 count the references of a 2-D walk, not their cycles): one extra paging-structure reference beyond a native walk, assumed to hit the data cache

# The disk's own work (docs/disk.md, "Cost in each mode"), charged alike in every mode to
# each request a disk takes (an ATA command, a PV ring request: the blk_request event).
event.blk_request = 114000 | IBM Ultrastar 146Z10 hard disk drive specifications, rev. 2.2 (S07N9742-03, 2002), section 4.5.1, Fig. 6: command overhead of a read that hits the drive's cache, under 30 us (the bound taken as the figure), at 3.8 GHz: a 146 GB 10k RPM Ultra320 SCSI disk of the class and year of Barham et al. 2003's testbed disk (papers.md 2; no seek, no rotation)
