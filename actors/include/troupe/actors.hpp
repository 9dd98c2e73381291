#pragma once

/// Every pattern actor of troupe::actors: bounded buffer, semaphore, barrier, event,
/// readers/writer guard and Banker's algorithm.

#include "troupe/actors/banker.hpp"
#include "troupe/actors/barrier.hpp"
#include "troupe/actors/bounded_buffer.hpp"
#include "troupe/actors/error.hpp"
#include "troupe/actors/event.hpp"
#include "troupe/actors/rw_guard.hpp"
#include "troupe/actors/semaphore.hpp"
