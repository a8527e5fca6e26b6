#include "base/work_queue.hpp"

#include <algorithm>
#include <atomic>

namespace cairn {

unsigned default_jobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : n;
}

WorkQueue::WorkQueue(unsigned threads, std::uint64_t max_bytes) : max_bytes_(max_bytes) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  not_empty_.notify_all();
  for (auto& t : threads_) t.join();
}

Status WorkQueue::submit(std::uint64_t bytes, Job job) {
  std::unique_lock l(mu_);
  // A single job bigger than the budget still runs (alone).
  not_full_.wait(l, [&] {
    return !first_error_ || queued_bytes_ == 0 || queued_bytes_ + bytes <= max_bytes_;
  });
  if (!first_error_) return first_error_;
  queued_bytes_ += bytes;
  q_.emplace_back(bytes, std::move(job));
  l.unlock();
  not_empty_.notify_one();
  return {};
}

Status WorkQueue::wait() {
  std::unique_lock l(mu_);
  idle_.wait(l, [&] { return q_.empty() && busy_ == 0; });
  return first_error_;
}

void WorkQueue::run() {
  for (;;) {
    std::unique_lock l(mu_);
    not_empty_.wait(l, [&] { return stop_ || !q_.empty(); });
    if (q_.empty()) return;  // stop_ and drained
    auto [bytes, job] = std::move(q_.front());
    q_.pop_front();
    ++busy_;
    bool skip = !first_error_;
    l.unlock();
    Status s = skip ? Status{} : job();
    job = nullptr;  // free the job's memory before accounting it as released
    l.lock();
    if (!s && first_error_) first_error_ = std::move(s);
    queued_bytes_ -= bytes;
    --busy_;
    bool idle = q_.empty() && busy_ == 0;
    l.unlock();
    not_full_.notify_all();
    if (idle) idle_.notify_all();
  }
}

void for_each_index(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::jthread> pool;  // joined on return
  const std::size_t extra = std::min<std::size_t>(std::max(threads, 1u), n);
  for (std::size_t t = 1; t < extra; ++t) pool.emplace_back(worker);
  worker();
}

}  // namespace cairn
