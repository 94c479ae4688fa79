# vmlab_add_guest_elf(NAME SOURCES src... LINKER_SCRIPT file [INCLUDE_DIRS dir...])
#
# Builds a freestanding 32-bit ELF kernel with the host gcc (-m32), for the simulated
# machine and for qemu-system-i386 -kernel. No FPU or SSE code, no libc; libgcc is linked
# for 64-bit division helpers when gcc-multilib provides it.
function(vmlab_add_guest_elf name)
  cmake_parse_arguments(G "" "LINKER_SCRIPT" "SOURCES;INCLUDE_DIRS" ${ARGN})
  add_executable(${name} ${G_SOURCES})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_include_directories(${name} PRIVATE ${G_INCLUDE_DIRS})
  target_compile_options(${name} PRIVATE
    -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
    -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 -mgeneral-regs-only
    -fno-builtin -Wall -Wextra -O2 -g)
  if(VMLAB_WERROR)
    target_compile_options(${name} PRIVATE -Werror)
  endif()
  target_link_options(${name} PRIVATE
    -m32 -nostdlib -static -no-pie -T ${G_LINKER_SCRIPT}
    -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=4096)
  target_link_libraries(${name} PRIVATE gcc)
  set_target_properties(${name} PROPERTIES LINK_DEPENDS ${G_LINKER_SCRIPT})
endfunction()
