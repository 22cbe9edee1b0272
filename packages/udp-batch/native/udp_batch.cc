// Batched UDP for skydns: recvmmsg/sendmmsg on a socket polled by the Node event loop (libuv).
// One JavaScript call per batch of datagrams received: the callback gets the count, reads the
// messages from the receive arena the JavaScript side owns, and returns an array of replies (or
// holes), which go out in one sendmmsg straight from their buffers (no copy).
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace {

// Layout of one slot of the metadata arena (shared with src/index.ts).
constexpr size_t META_SIZE = 48;       // bytes per slot
constexpr size_t META_LENGTH = 0;      // int32: bytes received
constexpr size_t META_FLAGS = 4;       // int32: 1 = truncated (the datagram was larger than the slot)
constexpr size_t META_ADDR = 8;        // sockaddr_in or sockaddr_in6 of the sender (28 bytes)
constexpr unsigned MAX_SLOTS = 256;
// Counters (index into Socket::counters, read by stats()).
enum Counter { SEND_ERRORS, SEND_DROPPED, RECV_ERRORS, BATCHES, DATAGRAMS, LAST_ERRNO, COUNTERS };

struct Socket {
  napi_env env = nullptr;
  int fd = -1;
  int family = AF_INET;
  uv_poll_t* poll = nullptr;
  napi_ref callback = nullptr;
  napi_ref rxRef = nullptr;
  napi_ref metaRef = nullptr;
  napi_async_context async = nullptr;
  uint8_t* rx = nullptr;
  uint8_t* meta = nullptr;
  size_t slotSize = 0;
  unsigned slots = 0;
  mmsghdr rmsgs[MAX_SLOTS];
  iovec riov[MAX_SLOTS];
  mmsghdr smsgs[MAX_SLOTS];
  iovec siov[MAX_SLOTS];
  double counters[COUNTERS] = {};
  bool closed = false;
  // Inside OnReadable: a finalizer that runs then (the callback dropped the last reference) leaves
  // the freeing to OnReadable.
  bool busy = false;
  bool finalized = false;
};

#define CHECK(call)                                             \
  do {                                                          \
    if ((call) != napi_ok) {                                    \
      napi_throw_error(env, nullptr, "udp-batch: " #call);      \
      return nullptr;                                           \
    }                                                           \
  } while (0)

napi_value ThrowErrno(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, msg, error;
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, nullptr, msg, &error);
  napi_value errnoValue;
  napi_create_int32(env, err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_throw(env, error);
  return nullptr;
}

Socket* GetSocket(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) {
    napi_throw_type_error(env, nullptr, "udp-batch: not a socket");
    return nullptr;
  }
  return static_cast<Socket*>(data);
}

socklen_t AddrLen(const uint8_t* addr) {
  sa_family_t family;
  memcpy(&family, addr, sizeof family);
  return family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// Send `count` prepared messages (smsgs[0..count)); skips a message the kernel refuses (e.g. an
// unreachable peer) and waits briefly for room when the send buffer is full.
void SendPrepared(Socket* s, unsigned count) {
  unsigned done = 0;
  int waits = 0;
  while (done < count) {
    int n = sendmmsg(s->fd, s->smsgs + done, count - done, 0);
    if (n > 0) {
      done += n;
      continue;
    }
    int err = errno;
    if (err == EINTR) continue;
    if ((err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) && waits < 20) {
      pollfd p = {s->fd, POLLOUT, 0};
      poll(&p, 1, 1);
      waits++;
      continue;
    }
    s->counters[LAST_ERRNO] = err;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      s->counters[SEND_DROPPED] += count - done;
      return;
    }
    s->counters[SEND_ERRORS]++;
    done++;
  }
}

void PrepareRecv(Socket* s) {
  for (unsigned i = 0; i < s->slots; i++) {
    s->riov[i].iov_base = s->rx + i * s->slotSize;
    s->riov[i].iov_len = s->slotSize;
    msghdr& h = s->rmsgs[i].msg_hdr;
    memset(&h, 0, sizeof h);
    h.msg_iov = &s->riov[i];
    h.msg_iovlen = 1;
    h.msg_name = s->meta + i * META_SIZE + META_ADDR;
  }
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  Socket* s = static_cast<Socket*>(handle->data);
  if (s->closed || status < 0 || !(events & UV_READABLE)) return;
  napi_env env = s->env;
  s->busy = true;
  // At most a few batches per wake-up, so a flood cannot starve timers, TCP and the etcd watch.
  for (int round = 0; round < 4 && !s->closed; round++) {
    for (unsigned i = 0; i < s->slots; i++) s->rmsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in6);
    int n = recvmmsg(s->fd, s->rmsgs, s->slots, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        s->counters[RECV_ERRORS]++;
        s->counters[LAST_ERRNO] = errno;
      }
      break;
    }
    s->counters[BATCHES]++;
    s->counters[DATAGRAMS] += n;
    for (int i = 0; i < n; i++) {
      uint8_t* m = s->meta + i * META_SIZE;
      int32_t len = static_cast<int32_t>(s->rmsgs[i].msg_len);
      int32_t flags = (s->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 1 : 0;
      memcpy(m + META_LENGTH, &len, 4);
      memcpy(m + META_FLAGS, &flags, 4);
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) break;
    napi_value cb, recv, argv[1], result = nullptr, metaValue;
    napi_get_reference_value(env, s->callback, &cb);
    // The callback may move the next batches to a fresh arena (arena()); this batch's replies go
    // to the senders recorded in this one, which the local handle keeps alive until they are sent.
    uint8_t* meta = s->meta;
    napi_get_reference_value(env, s->metaRef, &metaValue);
    napi_get_global(env, &recv);
    napi_create_uint32(env, n, &argv[0]);
    napi_status st = napi_make_callback(env, s->async, recv, cb, 1, argv, &result);
    if (st == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    } else if (st == napi_ok && !s->closed && result != nullptr) {
      bool isArray = false;
      napi_is_array(env, result, &isArray);
      if (isArray) {
        unsigned count = 0;
        for (int i = 0; i < n; i++) {
          napi_value reply;
          if (napi_get_element(env, result, i, &reply) != napi_ok) continue;
          bool isBuffer = false;
          napi_is_buffer(env, reply, &isBuffer);
          if (!isBuffer) continue;
          void* data;
          size_t length;
          napi_get_buffer_info(env, reply, &data, &length);
          s->siov[count].iov_base = data;
          s->siov[count].iov_len = length;
          msghdr& h = s->smsgs[count].msg_hdr;
          memset(&h, 0, sizeof h);
          h.msg_iov = &s->siov[count];
          h.msg_iovlen = 1;
          h.msg_name = meta + i * META_SIZE + META_ADDR;
          h.msg_namelen = AddrLen(static_cast<uint8_t*>(h.msg_name));
          count++;
        }
        if (count > 0) SendPrepared(s, count);
      }
    }
    napi_close_handle_scope(env, scope);
    if (static_cast<unsigned>(n) < s->slots) break;
  }
  s->busy = false;
  if (s->finalized) delete s;
}

void Finalize(napi_env env, void* data, void* hint);

// open(host, port, reusePort, receiveBuffer) -> [socket, boundPort]
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  char host[64];
  size_t hostLen;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hostLen));
  uint32_t port, rcvbuf;
  bool reusePort;
  CHECK(napi_get_value_uint32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &reusePort));
  CHECK(napi_get_value_uint32(env, argv[3], &rcvbuf));
  sockaddr_storage addr;
  memset(&addr, 0, sizeof addr);
  socklen_t addrLen;
  int family;
  auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    family = AF_INET;
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    addrLen = sizeof *a4;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    family = AF_INET6;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    addrLen = sizeof *a6;
  } else {
    napi_throw_error(env, "EINVAL", "udp-batch: not an IP address");
    return nullptr;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, "socket", errno);
  int one = 1;
  if (reusePort && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "setsockopt SO_REUSEPORT", err);
  }
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addrLen) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "bind", err);
  }
  sockaddr_storage bound;
  socklen_t boundLen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &boundLen);
  uint16_t boundPort =
      ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                              : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  Socket* s = new Socket();
  s->env = env;
  s->fd = fd;
  s->family = family;
  napi_value external, portValue, result;
  CHECK(napi_create_external(env, s, Finalize, nullptr, &external));
  CHECK(napi_create_uint32(env, boundPort, &portValue));
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_set_element(env, result, 0, external));
  CHECK(napi_set_element(env, result, 1, portValue));
  return result;
}

void SetArena(napi_env env, Socket* s, napi_value rx, napi_value meta) {
  if (s->rxRef != nullptr) napi_delete_reference(env, s->rxRef);
  if (s->metaRef != nullptr) napi_delete_reference(env, s->metaRef);
  napi_create_reference(env, rx, 1, &s->rxRef);
  napi_create_reference(env, meta, 1, &s->metaRef);
  void* data;
  size_t length;
  napi_get_buffer_info(env, rx, &data, &length);
  s->rx = static_cast<uint8_t*>(data);
  napi_get_buffer_info(env, meta, &data, &length);
  s->meta = static_cast<uint8_t*>(data);
  PrepareRecv(s);
}

bool ArenaFits(napi_env env, napi_value rx, napi_value meta, size_t slotSize, unsigned slots) {
  bool isBuffer = false;
  void* data;
  size_t rxLength = 0, metaLength = 0;
  napi_is_buffer(env, rx, &isBuffer);
  if (!isBuffer) return false;
  napi_get_buffer_info(env, rx, &data, &rxLength);
  napi_is_buffer(env, meta, &isBuffer);
  if (!isBuffer) return false;
  napi_get_buffer_info(env, meta, &data, &metaLength);
  return rxLength >= slotSize * slots && metaLength >= META_SIZE * slots;
}

// start(socket, rx, meta, slotSize, slots, onBatch): poll the socket; onBatch(count) per batch.
napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Socket* s = GetSocket(env, argv[0]);
  if (s == nullptr) return nullptr;
  uint32_t slotSize, slots;
  CHECK(napi_get_value_uint32(env, argv[3], &slotSize));
  CHECK(napi_get_value_uint32(env, argv[4], &slots));
  if (slots == 0 || slots > MAX_SLOTS || slotSize == 0 || !ArenaFits(env, argv[1], argv[2], slotSize, slots) ||
      s->poll != nullptr || s->closed) {
    napi_throw_range_error(env, nullptr, "udp-batch: bad arena or socket state");
    return nullptr;
  }
  s->slotSize = slotSize;
  s->slots = slots;
  SetArena(env, s, argv[1], argv[2]);
  CHECK(napi_create_reference(env, argv[5], 1, &s->callback));
  napi_value resource, name;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_utf8(env, "UDP_BATCH", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &s->async));
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  s->poll = new uv_poll_t();
  s->poll->data = s;
  if (uv_poll_init(loop, s->poll, s->fd) != 0 || uv_poll_start(s->poll, UV_READABLE, OnReadable) != 0) {
    napi_throw_error(env, nullptr, "udp-batch: cannot poll the socket");
    return nullptr;
  }
  return nullptr;
}

// arena(socket, rx, meta): receive the next batches into fresh buffers (the old ones are still in use).
napi_value Arena(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Socket* s = GetSocket(env, argv[0]);
  if (s == nullptr) return nullptr;
  if (!ArenaFits(env, argv[1], argv[2], s->slotSize, s->slots)) {
    napi_throw_range_error(env, nullptr, "udp-batch: arena too small");
    return nullptr;
  }
  SetArena(env, s, argv[1], argv[2]);
  return nullptr;
}

// sendTo(socket, reply, meta, slot): one reply to the sender recorded in a metadata slot (replies
// that were not ready within their batch).
napi_value SendTo(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Socket* s = GetSocket(env, argv[0]);
  if (s == nullptr || s->closed) return nullptr;
  void* reply;
  size_t replyLength;
  void* meta;
  size_t metaLength;
  uint32_t slot;
  CHECK(napi_get_buffer_info(env, argv[1], &reply, &replyLength));
  CHECK(napi_get_buffer_info(env, argv[2], &meta, &metaLength));
  CHECK(napi_get_value_uint32(env, argv[3], &slot));
  if ((slot + 1) * META_SIZE > metaLength) {
    napi_throw_range_error(env, nullptr, "udp-batch: bad slot");
    return nullptr;
  }
  s->siov[0].iov_base = reply;
  s->siov[0].iov_len = replyLength;
  msghdr& h = s->smsgs[0].msg_hdr;
  memset(&h, 0, sizeof h);
  h.msg_iov = &s->siov[0];
  h.msg_iovlen = 1;
  h.msg_name = static_cast<uint8_t*>(meta) + slot * META_SIZE + META_ADDR;
  h.msg_namelen = AddrLen(static_cast<uint8_t*>(h.msg_name));
  SendPrepared(s, 1);
  return nullptr;
}

// peer(meta, slot) -> [address, port] of the sender recorded in a metadata slot.
napi_value Peer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  void* meta;
  size_t metaLength;
  uint32_t slot;
  CHECK(napi_get_buffer_info(env, argv[0], &meta, &metaLength));
  CHECK(napi_get_value_uint32(env, argv[1], &slot));
  if ((slot + 1) * META_SIZE > metaLength) {
    napi_throw_range_error(env, nullptr, "udp-batch: bad slot");
    return nullptr;
  }
  const uint8_t* addr = static_cast<uint8_t*>(meta) + slot * META_SIZE + META_ADDR;
  char text[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (AddrLen(addr) == sizeof(sockaddr_in6)) {
    sockaddr_in6 a;
    memcpy(&a, addr, sizeof a);
    inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    port = ntohs(a.sin6_port);
  } else {
    sockaddr_in a;
    memcpy(&a, addr, sizeof a);
    inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    port = ntohs(a.sin_port);
  }
  napi_value result, address, portValue;
  CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address));
  CHECK(napi_create_uint32(env, port, &portValue));
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_set_element(env, result, 0, address));
  CHECK(napi_set_element(env, result, 1, portValue));
  return result;
}

// stats(socket) -> [send errors, replies dropped (send buffer full), receive errors, batches, datagrams, last errno]
napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Socket* s = GetSocket(env, argv[0]);
  if (s == nullptr) return nullptr;
  napi_value result;
  CHECK(napi_create_array_with_length(env, COUNTERS, &result));
  for (int i = 0; i < COUNTERS; i++) {
    napi_value v;
    CHECK(napi_create_double(env, s->counters[i], &v));
    CHECK(napi_set_element(env, result, i, v));
  }
  return result;
}

void OnClosed(uv_handle_t* handle) {
  close(static_cast<int>(reinterpret_cast<intptr_t>(handle->data)));
  delete reinterpret_cast<uv_poll_t*>(handle);
}

// The JavaScript object of a socket was collected: free it (closing it first if it was left open).
void Finalize(napi_env env, void* data, void*) {
  Socket* s = static_cast<Socket*>(data);
  if (!s->closed) {
    s->closed = true;
    if (s->poll != nullptr) {
      uv_poll_stop(s->poll);
      s->poll->data = reinterpret_cast<void*>(static_cast<intptr_t>(s->fd));
      uv_close(reinterpret_cast<uv_handle_t*>(s->poll), OnClosed);
    } else {
      close(s->fd);
    }
  }
  if (s->busy)
    s->finalized = true;
  else
    delete s;
}

// close(socket): stop polling and close the descriptor (idempotent).
napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Socket* s = GetSocket(env, argv[0]);
  if (s == nullptr || s->closed) return nullptr;
  s->closed = true;
  if (s->callback != nullptr) napi_delete_reference(env, s->callback);
  if (s->rxRef != nullptr) napi_delete_reference(env, s->rxRef);
  if (s->metaRef != nullptr) napi_delete_reference(env, s->metaRef);
  if (s->async != nullptr) napi_async_destroy(env, s->async);
  s->callback = s->rxRef = s->metaRef = nullptr;
  s->async = nullptr;
  if (s->poll != nullptr) {
    uv_poll_stop(s->poll);
    s->poll->data = reinterpret_cast<void*>(static_cast<intptr_t>(s->fd));
    uv_close(reinterpret_cast<uv_handle_t*>(s->poll), OnClosed);
    s->poll = nullptr;
  } else {
    close(s->fd);
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"start", nullptr, Start, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"arena", nullptr, Arena, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sendTo", nullptr, SendTo, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"peer", nullptr, Peer, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
