# troupe_protobuf_library(<target> [ROOT <dir>] <file.proto>...)
# Compiles .proto files with protoc (protobuf_generate) into a static library. Imports resolve
# against ROOT, and generated headers are included by the path relative to it
# (troupe/wire.proto -> #include "troupe/wire.pb.h"). ROOT defaults to the calling
# CMakeLists.txt's directory, so call it from the root of the .proto tree, or name the root
# from a subfolder (proto/troupe/actors/CMakeLists.txt passes ROOT .../proto).
function(troupe_protobuf_library target)
  cmake_parse_arguments(arg "" "ROOT" "" ${ARGN})
  if(NOT arg_ROOT)
    set(arg_ROOT ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  add_library(${target} STATIC ${arg_UNPARSED_ARGUMENTS})
  protobuf_generate(TARGET ${target} LANGUAGE cpp
    IMPORT_DIRS ${arg_ROOT}
    PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_BINARY_DIR}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
