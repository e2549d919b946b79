// SPDX-License-Identifier: Apache-2.0
#pragma once

// Clang's thread-safety analysis (-Wthread-safety, on in clang builds: the tsan preset): state a
// mutex guards is GUARDED_BY it, functions that need it held say REQUIRES, and the compiler
// checks every access. libstdc++'s std::mutex carries no annotations, so Kordon locks through
// kordon::Mutex and MutexLock, which do. GCC ignores the attributes.
//
//   Mutex mutex_;
//   std::deque<Job> pending_ GUARDED_BY(mutex_);
//   void push(Job j) { MutexLock lock(mutex_); pending_.push_back(std::move(j)); }
//
// Condition variables wait on lock.native(); write the wait as a loop over the condition, so the
// analysis sees each access under the lock (a predicate lambda would hide it):
//   MutexLock lock(mutex_);
//   while (pending_.empty() && !stopping_) wake_.wait(lock.native());

#include <mutex>

#if defined(__clang__)
#define KORDON_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define KORDON_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) KORDON_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY KORDON_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) KORDON_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) KORDON_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) KORDON_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) KORDON_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) KORDON_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) KORDON_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define RETURN_CAPABILITY(x) KORDON_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS KORDON_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace kordon {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mutex_.lock(); }
  void unlock() RELEASE() { mutex_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope; native() is the std::unique_lock a condition variable waits on.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace kordon
