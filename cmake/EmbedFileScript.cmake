# Run by gpuopt_embed_file: writes OUT, a C++ file holding the bytes of IN as SYMBOL / SYMBOL_size.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "// Generated from ${IN} by cmake/EmbedFileScript.cmake; do not edit.\n"
  "extern \"C\" const unsigned char ${SYMBOL}[] = {${bytes}0};\n"
  "extern \"C\" const unsigned long ${SYMBOL}_size = ${size};\n")
