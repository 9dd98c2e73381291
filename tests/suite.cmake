# troupe_test_suite(<target> PREFIX <prefix> LIBS <libs...> SOURCES <files...>): one doctest
# binary of one area, each case registered with ctest as "<prefix><case name>". A hang fails.
include(${doctest_DIR}/doctest.cmake)

function(troupe_test_suite target)
  cmake_parse_arguments(PARSE_ARGV 1 suite "" "PREFIX" "LIBS;SOURCES")
  add_executable(${target} test_main.cpp ${suite_SOURCES})
  target_link_libraries(${target} PRIVATE ${suite_LIBS} doctest::doctest)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  doctest_discover_tests(${target} TEST_PREFIX "${suite_PREFIX}" PROPERTIES TIMEOUT 120)
endfunction()
