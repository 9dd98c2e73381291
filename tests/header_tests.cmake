# Every public header compiles on its own: one generated .cpp per header that includes that
# header and nothing else, built as part of the test tree. An include cycle, a missing
# include or a header that needs another to be included first fails the build.
#
# The headers are globbed at configure time (and again at build time, CONFIGURE_DEPENDS), so a
# header added later under any <part>/include/troupe/ is checked without editing this file.
file(GLOB_RECURSE troupe_public_headers CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/framework/*.hpp"
  "${PROJECT_SOURCE_DIR}/actors/*.hpp")
list(FILTER troupe_public_headers INCLUDE REGEX "/include/troupe/")

set(header_check_dir "${CMAKE_CURRENT_BINARY_DIR}/header_check")
set(header_check_sources "")
foreach(header IN LISTS troupe_public_headers)
  string(REGEX REPLACE "^.*/include/" "" relative "${header}")
  string(MAKE_C_IDENTIFIER "${relative}" stem)
  set(source "${header_check_dir}/${stem}.cpp")
  # file(CONFIGURE) rewrites the file only when its text changes: no needless rebuilds.
  file(CONFIGURE OUTPUT "${source}" CONTENT "#include \"${relative}\"\n" @ONLY)
  list(APPEND header_check_sources "${source}")
endforeach()

# A header that was removed leaves its generated file behind: drop it.
file(GLOB stale_sources "${header_check_dir}/*.cpp")
list(REMOVE_ITEM stale_sources ${header_check_sources})
if(stale_sources)
  file(REMOVE ${stale_sources})
endif()

add_library(troupe_header_check OBJECT ${header_check_sources})
# Every library whose headers may be among them (those that exist in this build).
target_link_libraries(troupe_header_check PRIVATE troupe::framework troupe::testing
  $<TARGET_NAME_IF_EXISTS:troupe_protobuf> $<TARGET_NAME_IF_EXISTS:troupe_net>
  $<TARGET_NAME_IF_EXISTS:troupe_actors>)
