# vtx-penryn: one point of the VT-x round-trip series of Agesen, Mattson, Rugina, Sheldon,
# "Software Techniques for Avoiding Hardware Virtualization Exits", USENIX ATC 2012,
# Table 1 (papers.md 3a): the hardware round trip (VM exit + resume) on Penryn (launched
# 1Q2008). One file per microarchitecture, so that a sweep is one --profile per file:
#   for p in prescott merom penryn nehalem westmere sandybridge; do vmlab compare --profile vtx-$p; done
# The paper gives no native figures; every instruction costs vmlab's unit cycle.
name = vtx-penryn
description = VT-x round trip on Penryn (1Q2008) after Agesen et al., USENIX ATC 2012, Table 1

insn.simple = 1 | vmlab default, not from a paper
insn.multiply = 1 | vmlab default, not from a paper
insn.divide = 1 | vmlab default, not from a paper
insn.port_io = 1 | vmlab default, not from a paper
insn.system = 1 | vmlab default, not from a paper
insn.interrupt = 1 | vmlab default, not from a paper
insn.serialize = 1 | vmlab default, not from a paper

event.trap = 1266 | Agesen et al. 2012, Table 1, hardware round-trip latency (exit + resume), Penryn
vt.round_trip = 1266 | Agesen et al. 2012, Table 1, hardware round-trip latency (exit + resume), Penryn
