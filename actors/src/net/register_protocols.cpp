#include "troupe/actors/protocols.hpp"

#include "troupe/actors/banker.pb.h"
#include "troupe/actors/barrier.pb.h"
#include "troupe/actors/bounded_buffer.pb.h"
#include "troupe/actors/errors.pb.h"
#include "troupe/actors/event.pb.h"
#include "troupe/actors/hedge.pb.h"
#include "troupe/actors/rw_guard.pb.h"
#include "troupe/actors/semaphore.pb.h"
#include "troupe/actors/shared_dict.pb.h"
#include "troupe/actors/supervisor.pb.h"
#include "troupe/actors/worker_pool.pb.h"
#include "troupe/net/type_registry.hpp"

namespace troupe::actors {

caf::error register_protocols(troupe::net::type_registry& types) {
  // One message type of each file names the file; add_file adds all of its messages.
  const google::protobuf::FileDescriptor* files[] = {
    Error::descriptor()->file(),         Put::descriptor()->file(),
    Acquire::descriptor()->file(),       ArriveAndWait::descriptor()->file(),
    WaitEvent::descriptor()->file(),     AcquireLease::descriptor()->file(),
    Claim::descriptor()->file(),         DictGet::descriptor()->file(),
    Submit::descriptor()->file(),        Hedge::descriptor()->file(),
    TerminateChild::descriptor()->file()};
  for (auto* file : files)
    if (auto err = types.add_file(*file))
      return err;
  return caf::none;
}

} // namespace troupe::actors
