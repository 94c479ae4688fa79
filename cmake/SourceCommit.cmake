# Script mode (cmake -DSRC=... -DOUT=... -P SourceCommit.cmake), run at every build: writes
# OUT, a header defining VMLAB_SOURCE_COMMIT as the source tree's git commit ("-dirty" when
# tracked files differ from it; "unknown" outside a git checkout), and rewrites it only
# when that changed, so that only its includer recompiles. config.json records it.
execute_process(COMMAND git -C "${SRC}" rev-parse HEAD OUTPUT_VARIABLE commit
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE dirty ERROR_QUIET)
  if(NOT dirty STREQUAL "")
    set(commit "${commit}-dirty")
  endif()
endif()
set(text "// Generated at build time by cmake/SourceCommit.cmake.\n#pragma once\n#define VMLAB_SOURCE_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
