# native-1c: vmlab's unit cost model, the default profile.
#
# Every retired instruction costs one modeled cycle and events cost nothing, so modeled
# cycles count instructions (plus extra REP iterations and idle time). It makes no claim
# about any real CPU: it is the baseline against which the paper profiles are read.
# Format and keys: docs/cost-model.md.
name = native-1c
description = vmlab unit model: 1 cycle per instruction, events free

insn.simple = 1 | vmlab default, not from a paper
insn.multiply = 1 | vmlab default, not from a paper
insn.divide = 1 | vmlab default, not from a paper
insn.port_io = 1 | vmlab default, not from a paper
insn.system = 1 | vmlab default, not from a paper
insn.interrupt = 1 | vmlab default, not from a paper
insn.serialize = 1 | vmlab default, not from a paper
