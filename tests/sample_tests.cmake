# The sample programs: ctest runs the built binaries and checks what they print, with the
# scripts tests/sample_<name>_check.sh (bash and coreutils only). Names read
# "sample: <program>: <what is checked>", so `ctest -R sample` selects these.
#
# tests/expected/*.txt is the stdout of the Python originals, the `TaskScheduler` and
# `ActorScheduler` examples of the generator tutorial in the project's seed material
# (seeds/004, the two ```python blocks around lines 320-370 and 455-520), each saved verbatim
# as a .py file and run unchanged with Debian's Python 3.11.2:
#   /usr/bin/python3 task_scheduler.py  > tests/expected/task_scheduler.txt
#   /usr/bin/python3 actor_scheduler.py > tests/expected/actor_scheduler_n10.txt
# tests/expected/round_robin_*.txt: the `RoundRobin`, `PrimitiveRoundRobin` and
# `SophisticatedRoundRobin` cells of the multiprocessing lecture (seeds/002, lines 662-701,
# 846-898 and 912-971), saved as simple.py, primitive.py and sophisticated.py and run unchanged:
#   /usr/bin/python3 simple.py > tests/expected/round_robin_simple.txt   (and so on)
# tests/expected/event_loop.txt: the call_soon / call_later cell of the same lecture (lines
# 1080-1126), saved as event_loop.py and run unchanged (it takes 9 s).
# tests/expected/callbacks.txt: the four callback cells of the same lecture (lines 719-730,
# 738-762, 767-806 and 812-838) saved in order as one callbacks.py and run unchanged.
# tests/expected/producer_consumer.txt is the stdout of the asyncio producer/consumer program
# (seeds/002, the `%%writefile co-routine.py` block around lines 1137-1185, saved verbatim):
#   /usr/bin/python3 co-routine.py > tests/expected/producer_consumer.txt
# Its last line is the elapsed time, which the check accepts as any number of seconds.
if(NOT TARGET sample_actor_scheduler OR NOT TARGET sample_task_scheduler)
  return()
endif()

find_program(TROUPE_BASH bash REQUIRED)

# add_sample_test(<program> <case> <description>): one case of tests/sample_<program>_check.sh.
function(add_sample_test program case description)
  add_test(NAME "sample: ${program}: ${description}"
           COMMAND ${TROUPE_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/sample_${program}_check.sh
                   $<TARGET_FILE:sample_${program}> ${case} ${CMAKE_CURRENT_SOURCE_DIR}/expected)
  # A hang is a failure.
  set_tests_properties("sample: ${program}: ${description}" PROPERTIES TIMEOUT 60 LABELS sample)
endfunction()

add_sample_test(actor_scheduler count
  "--n=1000 prints each number once per actor, in order, and the summary")
add_sample_test(actor_scheduler quiet "--quiet prints only the summary")
add_sample_test(actor_scheduler python_n10 "the default prints the Python original's lines")
add_sample_test(actor_scheduler zero "--n=0 prints counter 0 and stops")
add_sample_test(actor_scheduler bad_args "a bad option is an error that names it")
add_sample_test(actor_scheduler help "--help says what the program is")
add_sample_test(actor_scheduler processes
  "--processes runs each actor in its own process and prints the local run's lines and summary")
add_sample_test(actor_scheduler roles
  "the three roles started one by one on port 0 report the local run's counts")
add_sample_test(actor_scheduler roles_peer_dies
  "a role that dies makes the other two exit 1 with the error")
add_sample_test(actor_scheduler roles_peer_freezes
  "a role that freezes makes counter exit 1 with node_down after the peer timeout")
add_sample_test(actor_scheduler processes_role_freezes
  "a child frozen mid-run makes the launcher exit 1, with no child left")
add_sample_test(actor_scheduler processes_role_dies
  "a child killed mid-run makes the launcher exit 1 naming it, with no child left")
add_sample_test(actor_scheduler processes_launcher_killed
  "the launcher killed mid-run leaves no child behind")
add_sample_test(actor_scheduler processes_timeout
  "a run over --timeout makes the launcher exit 1, with no child left")

add_sample_test(task_scheduler python "prints the Python original's output byte for byte")
add_sample_test(task_scheduler counts "--hello and --hi set the tasks' lengths")
add_sample_test(task_scheduler bad_args "a bad option is an error that names it")
add_sample_test(task_scheduler help "--help says what the program is")

add_sample_test(round_robin python "each scheduler prints its Python original's lines byte for byte")
add_sample_test(round_robin zero_slice "a time slice that rounds down to 0 runs as 1 instead of looping")
add_sample_test(round_robin bad_args "a bad option is an error that names it")
add_sample_test(round_robin help "--help says what the program is")

add_sample_test(event_loop python "prints the Python original's nine lines in order")
add_sample_test(event_loop ticks "--ticks sets the end time of the chain")
add_sample_test(event_loop bad_args "a bad option is an error that names it")
add_sample_test(event_loop help "--help says what the program is")

add_sample_test(callbacks python
  "prints the Python originals' lines in their order, then the apply_async ones via the worker pool")
add_sample_test(callbacks bad_args "a bad option is an error that names it")
add_sample_test(callbacks help "--help says what the program is")
if(TARGET sample_producer_consumer)
  add_sample_test(producer_consumer python "the default prints the Python original's lines")
  add_sample_test(producer_consumer throughput
    "the throughput mode consumes every item exactly once within the capacity")
  add_sample_test(producer_consumer bad_args "a bad option is an error that names it")
  add_sample_test(producer_consumer help "--help says what the program is")
endif()

# The other pattern samples share one script; add_pattern_sample_test(<program> <case> <text>).
function(add_pattern_sample_test program case description)
  if(NOT TARGET sample_${program})
    return()
  endif()
  add_test(NAME "sample: ${program}: ${description}"
           COMMAND ${TROUPE_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/sample_pattern_samples_check.sh
                   $<TARGET_FILE:sample_${program}> ${case})
  set_tests_properties("sample: ${program}: ${description}" PROPERTIES TIMEOUT 120 LABELS sample)
endfunction()

add_pattern_sample_test(bankers bankers_textbook
  "the textbook example prints its safe sequence, grants and deferrals")
add_pattern_sample_test(bankers bankers_random "a random run finishes every client, never unsafe")
add_pattern_sample_test(bankers bad_args "a bad option is an error")
add_pattern_sample_test(bankers help "--help says what the program is")
add_pattern_sample_test(readers_writers readers_writers "prints every policy's waits and a summary")
add_pattern_sample_test(readers_writers bad_args "a bad option is an error")
add_pattern_sample_test(readers_writers help "--help says what the program is")
add_pattern_sample_test(dining_philosophers dining_philosophers
  "the naive version deadlocks and is reported; the others finish every meal")
add_pattern_sample_test(dining_philosophers bad_args "a bad option is an error")
add_pattern_sample_test(dining_philosophers help "--help says what the program is")

# The samples of issue 12's patterns share one check script.
function(add_patterns2_sample_test program case description)
  add_test(NAME "sample: ${program}: ${description}"
           COMMAND ${TROUPE_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/sample_patterns2_check.sh
                   $<TARGET_FILE:sample_${program}> ${case} ${CMAKE_CURRENT_SOURCE_DIR}/expected)
  set_tests_properties("sample: ${program}: ${description}" PROPERTIES TIMEOUT 120 LABELS sample)
endfunction()

# tests/expected/shared_dict_manager.txt is the stdout of the documents' Manager() program
# (seeds/002, the `%%writefile multi_process.py` block around lines 507-531, saved verbatim):
#   /usr/bin/python3 multi_process.py > tests/expected/shared_dict_manager.txt
if(TARGET sample_shared_dict)
  add_patterns2_sample_test(shared_dict shared_dict_python
    "the Manager() example prints the Python original's lines")
  add_patterns2_sample_test(shared_dict shared_dict_load
    "concurrent compare-and-set increments lose nothing")
  add_patterns2_sample_test(supervision supervision
    "senders by name notice only the requests in flight when workers crash")
  add_patterns2_sample_test(worker_pool worker_pool "prints a row per pool size and the speedup")
  add_patterns2_sample_test(hedged_requests hedged_requests
    "prints sequential and hedged success rates and latencies")
  foreach(program IN ITEMS shared_dict supervision worker_pool hedged_requests)
    add_patterns2_sample_test(${program} bad_args "a bad option is an error that names it")
    add_patterns2_sample_test(${program} help "--help says what the program is")
  endforeach()
endif()
