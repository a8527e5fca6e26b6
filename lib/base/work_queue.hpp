// lib/base/work_queue.hpp: a bounded work queue with a fixed set of worker threads.
// The producer blocks when `max_bytes` of queued work is waiting (bounded memory); the first
// error a job returns is kept and makes later submissions fail fast.
// Depends on: base. Threads: submit() from one producer; jobs run on the workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.hpp"

namespace cairn {

class WorkQueue {
 public:
  using Job = std::function<Status()>;
  WorkQueue(unsigned threads, std::uint64_t max_bytes);
  ~WorkQueue();  // waits for the workers (drains the queue)
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  // Queues a job that holds `bytes` of memory until it has run.
  Status submit(std::uint64_t bytes, Job job);
  // Waits until every queued job has run; returns the first error.
  Status wait();

 private:
  void run();
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_, idle_;
  std::deque<std::pair<std::uint64_t, Job>> q_;
  std::uint64_t queued_bytes_ = 0, max_bytes_;
  unsigned busy_ = 0;
  bool stop_ = false;
  Status first_error_;
  std::vector<std::thread> threads_;
};

unsigned default_jobs();

// Calls fn(0) .. fn(n - 1), each index once, on up to `threads` threads (the caller's among
// them), and returns when every call has returned. Meant for waits, not for CPU: fetching many
// small objects from a remote repository, a round trip each. fn must not throw.
void for_each_index(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn);

}  // namespace cairn
