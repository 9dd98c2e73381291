# The ping_pong sample as two processes (tests/sample_ping_pong_check.sh, bash and coreutils).
# Names read "sample: ping_pong: ...", so `ctest -R sample` selects these.
if(NOT TARGET sample_ping_pong)
  return()
endif()

find_program(TROUPE_BASH bash REQUIRED)

# add_ping_pong_test(<case> <description>): one case of the check script.
function(add_ping_pong_test case description)
  set(name "sample: ping_pong: ${description}")
  add_test(NAME ${name}
           COMMAND ${TROUPE_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/sample_ping_pong_check.sh
                   $<TARGET_FILE:sample_ping_pong> ${case})
  # A hang is a failure.
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS sample)
endfunction()

add_ping_pong_test(tcp "server and client over TCP: the client prints rate and percentiles")
add_ping_pong_test(unix "server and client over a Unix socket")
add_ping_pong_test(secret "both with the same secret file talk")
add_ping_pong_test(wrong_secret "a client with a wrong or no secret is refused")
add_ping_pong_test(server_dies "a client whose server dies exits 1 with node_down")
add_ping_pong_test(server_freezes "a client whose server freezes exits 1 with node_down")
add_ping_pong_test(help "--help shows the usage, a bad --role exits 2")
