// A BPF_MAP_TYPE_RINGBUF's consumer: libbpf's ring_buffer over a dup of the map's fd.
// ringbufOpen(mapFd) → consumer | -errno
// ringbufConsume(consumer) → ArrayBuffer | -errno: the committed records there are now
// ringbufPoll(consumer, timeoutMs) → Promise<ArrayBuffer | -errno>: waits (timeoutMs -1: no limit) on a thread
//   of its own for the ring to have data, then drains it; -EINTR when closed while waiting
// ringbufClose(consumer): idempotent; a poll in flight wakes and settles with -EINTR
// A batch is the records back to back, each a u32 length, 4 bytes of padding and the sample padded to 8 bytes
// (src/seam/ring-batch.ts reads it): ring_buffer__consume's callback copies each record once, into memory the
// ArrayBuffer then owns. Decoding is TypeScript's.
// Ownership, as native/prog.cc's async runs: the consumer is shared by its JS handle and a poll in flight, so
// closing (or collecting) the handle while a poll waits frees nothing the poll uses; the poll's thread is its
// own (not libuv's pool, which Node waits for at teardown), woken through an eventfd by close and by
// environment teardown, which waits for it to let go before Node frees the thread-safe function.
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "errno.h"
#include "init.h"

namespace {

// Records back to back in one malloc'd buffer, handed whole to an ArrayBuffer.
struct Batch {
  uint8_t* data = nullptr;
  size_t size = 0, cap = 0;
  ~Batch() { free(data); }
  uint8_t* Release() {
    uint8_t* d = data;
    data = nullptr;
    return d;
  }
};

struct Consumer {
  int mapFd = -1;   // our dup of the map's fd
  int wakeFd = -1;  // an eventfd: close and teardown wake a poll with it
  ring_buffer* rb = nullptr;
  std::mutex consumeMutex;  // one drain at a time; `batch` is set under it
  Batch* batch = nullptr;
  std::atomic<bool> closed{false};
  std::atomic<bool> polling{false};
  ~Consumer() {
    if (rb != nullptr) ring_buffer__free(rb);
    if (mapFd >= 0) ::close(mapFd);
    if (wakeFd >= 0) ::close(wakeFd);
  }
  void Close() {
    if (closed.exchange(true)) return;
    uint64_t one = 1;
    if (write(wakeFd, &one, sizeof one) < 0) {
      // the counter cannot overflow with one write per consumer: nothing to do
    }
  }
};

constexpr size_t kHeader = 8;

// ring_buffer_sample_fn: one copy of the sample, into the drain's batch.
int OnRecord(void* ctx, void* data, size_t size) {
  Batch* b = static_cast<Consumer*>(ctx)->batch;
  size_t need = kHeader + ((size + 7) & ~size_t{7});
  if (b->size + need > b->cap) {
    size_t cap = std::max(b->cap * 2, b->size + need);
    cap = std::max(cap, size_t{4096});
    auto* grown = static_cast<uint8_t*>(realloc(b->data, cap));
    if (grown == nullptr) return -ENOMEM;
    b->data = grown;
    b->cap = cap;
  }
  uint8_t* at = b->data + b->size;
  uint32_t len = static_cast<uint32_t>(size);
  std::memset(at, 0, need);  // the padding word and the sample's tail padding stay zero
  std::memcpy(at, &len, 4);
  std::memcpy(at + kHeader, data, size);
  b->size += need;
  return 0;
}

// Drains what the ring holds into `b`: 0 or -errno.
int Drain(Consumer& c, Batch* b) {
  std::lock_guard<std::mutex> lock(c.consumeMutex);
  if (c.closed.load()) return -EBADF;
  c.batch = b;
  int n = ring_buffer__consume(c.rb);
  c.batch = nullptr;
  return n < 0 ? n : 0;
}

napi_value BatchValue(napi_env env, Batch& b) {
  napi_value out = nullptr;
  if (b.size == 0) {
    void* unused;
    napi_create_arraybuffer(env, 0, &unused, &out);
    return out;
  }
  size_t size = b.size;
  uint8_t* data = b.Release();
  if (napi_create_external_arraybuffer(env, data, size, [](napi_env, void* d, void*) { free(d); }, nullptr, &out) != napi_ok) {
    free(data);
    return nullptr;
  }
  return out;
}

using Box = std::shared_ptr<Consumer>;

// The JS handle: a box holding one reference; emptied by close, deleted when collected.
Box* Unbox(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  return v.As<Napi::External<Box>>().Data();
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) {
    Napi::TypeError::New(env, "ringbufOpen: mapFd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto c = std::make_shared<Consumer>();
  c->mapFd = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 3);
  if (c->mapFd < 0) return Napi::Number::New(env, -errno);
  c->wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (c->wakeFd < 0) return Napi::Number::New(env, -errno);
  c->rb = ring_buffer__new(c->mapFd, OnRecord, c.get(), nullptr);
  if (c->rb == nullptr) return Napi::Number::New(env, -errno);
  return Napi::External<Box>::New(env, new Box(std::move(c)), [](Napi::Env, Box* box) {
    if (*box) (*box)->Close();
    delete box;
  });
}

Napi::Value Consume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Box* box = Unbox(info[0]);
  if (box == nullptr) {
    Napi::TypeError::New(env, "ringbufConsume: not a consumer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!*box) return Napi::Number::New(env, -EBADF);
  Batch b;
  int rc = Drain(**box, &b);
  if (rc < 0) return Napi::Number::New(env, rc);
  return Napi::Value(env, BatchValue(env, b));
}

// ---- polls in flight ----

struct AsyncPoll {
  Box consumer;
  int timeoutMs = -1;
  Batch batch;
  int rc = 0;
  napi_deferred deferred = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  // Set once the thread has let go of the thread-safe function (it outlives `this`, which SettlePoll frees).
  std::shared_ptr<std::atomic<bool>> handedOver = std::make_shared<std::atomic<bool>>(false);
};

void StopPollAtTeardown(void* data);

void SettlePoll(napi_env env, napi_value, void*, void* data) {
  auto* p = static_cast<AsyncPoll*>(data);
  if (env != nullptr) {
    napi_remove_env_cleanup_hook(env, StopPollAtTeardown, p);
    napi_value v = nullptr;
    if (p->rc == 0) v = BatchValue(env, p->batch);
    if (v == nullptr) napi_create_int32(env, p->rc == 0 ? -ENOMEM : p->rc, &v);
    napi_resolve_deferred(env, p->deferred, v);
  }
  delete p;
}

void PollThread(AsyncPoll* p) {
  Consumer& c = *p->consumer;
  // The map's poll (ringbuf_map_poll_kern): readable while it holds data, woken by the producers' wakeups.
  struct pollfd fds[2] = {{c.mapFd, POLLIN, 0}, {c.wakeFd, POLLIN, 0}};
  int n = ::poll(fds, 2, p->timeoutMs);
  if (c.closed.load()) {
    p->rc = -EINTR;
  } else if (n < 0 && errno != EINTR) {
    p->rc = -errno;
  } else if (n > 0 && (fds[0].revents & POLLIN)) {
    p->rc = Drain(c, &p->batch);
  }
  c.polling.store(false);
  // SettlePoll may free `p` as soon as it is queued: what comes after uses copies.
  napi_threadsafe_function tsfn = p->tsfn;
  std::shared_ptr<std::atomic<bool>> handedOver = p->handedOver;
  if (napi_call_threadsafe_function(tsfn, p, napi_tsfn_blocking) != napi_ok) delete p;  // env gone
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  handedOver->store(true);
}

// Environment teardown: wake the poll and wait (milliseconds) until its thread is done with the consumer.
void StopPollAtTeardown(void* data) {
  auto* p = static_cast<AsyncPoll*>(data);
  std::shared_ptr<std::atomic<bool>> handedOver = p->handedOver;
  p->consumer->Close();
  while (!handedOver->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

Napi::Value Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Box* box = Unbox(info[0]);
  if (box == nullptr || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "ringbufPoll(consumer, timeoutMs)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto p = std::make_unique<AsyncPoll>();
  napi_value promise;
  if (napi_create_promise(env, &p->deferred, &promise) != napi_ok) return env.Undefined();
  auto settleNow = [&](int rc) {
    napi_value v;
    napi_create_int32(env, rc, &v);
    napi_resolve_deferred(env, p->deferred, v);
    return Napi::Value(env, promise);
  };
  if (!*box || (*box)->closed.load()) return settleNow(-EBADF);
  if ((*box)->polling.exchange(true)) return settleNow(-EBUSY);
  p->consumer = *box;
  p->timeoutMs = info[1].As<Napi::Number>().Int32Value();
  napi_value name;
  napi_create_string_utf8(env, "bpfkit.ringbufPoll", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, SettlePoll, &p->tsfn) != napi_ok) {
    (*box)->polling.store(false);
    return settleNow(-ENOMEM);
  }
  napi_add_env_cleanup_hook(env, StopPollAtTeardown, p.get());
  std::thread(PollThread, p.release()).detach();
  return Napi::Value(env, promise);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Box* box = Unbox(info[0]);
  if (box != nullptr && *box) {
    (*box)->Close();
    box->reset();
  }
  return info.Env().Undefined();
}

}  // namespace

void InitRingbuf(Napi::Env env, Napi::Object exports) {
  exports.Set("ringbufOpen", Napi::Function::New(env, Open, "ringbufOpen"));
  exports.Set("ringbufConsume", Napi::Function::New(env, Consume, "ringbufConsume"));
  exports.Set("ringbufPoll", Napi::Function::New(env, Poll, "ringbufPoll"));
  exports.Set("ringbufClose", Napi::Function::New(env, Close, "ringbufClose"));
}
