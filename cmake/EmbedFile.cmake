# gpuopt_embed_file(TARGET t FILE path SYMBOL name)
# Compiles the bytes of `path` into target `t` as
#   extern "C" const unsigned char name[];  extern "C" const unsigned long name_size;
# (used for the models shipped inside the gpuopt binary). Re-embeds when the file changes.
function(gpuopt_embed_file)
  cmake_parse_arguments(E "" "TARGET;FILE;SYMBOL" "" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embed_${E_SYMBOL}.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${E_FILE} -DOUT=${out} -DSYMBOL=${E_SYMBOL} -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake
    DEPENDS ${E_FILE} ${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake
    COMMENT "Embedding ${E_FILE}")
  target_sources(${E_TARGET} PRIVATE ${out})
endfunction()
