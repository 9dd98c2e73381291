#pragma once

/// Everything of troupe's core: the system, names, coroutine actors and errors.

#include "troupe/co_actor.hpp"
#include "troupe/config.hpp"
#include "troupe/error.hpp"
#include "troupe/extension.hpp"
#include "troupe/registry.hpp"
#include "troupe/system.hpp"
#include "troupe/task.hpp"
