// knd_netlink: the only native code in knd. It opens a netlink socket (optionally inside a network
// namespace given by path), sends one request and collects the replies until the kernel's ACK,
// error or NLMSG_DONE for that request's sequence number, or delivers the multicast notifications a
// subscribed socket receives, and closes the socket. Nothing else: every message is encoded and
// decoded in TypeScript (node-agent/src/netns/).
//
// Contract:
// - open(protocol, netnsPath|null) -> fd. Synchronous (~0.1 ms). When netnsPath is given, a
//   short-lived pthread open()s it, setns(CLONE_NEWNET)s and creates the socket; a netlink socket
//   stays bound to the namespace it was created in, so the JS thread (which never changes its
//   namespace) can use it afterwards. Sets NETLINK_EXT_ACK and NETLINK_CAP_ACK (best effort).
// - transact(fd, request, seq, timeoutMs) -> Promise<Buffer>. Runs on the libuv thread pool (the
//   netns move sleeps ~20 ms in the kernel). Returns every datagram received until a message with
//   nlmsg_seq == seq of type NLMSG_ERROR or NLMSG_DONE arrives, concatenated. Rejects on a socket
//   error or when timeoutMs passes without that message (err.code = "ETIMEDOUT"). The caller must
//   not run two transactions on one fd at the same time (the TS socket wrapper serialises).
// - transactSync(fd, request, seq, timeoutMs) -> Buffer: the same on the JS thread (fast requests).
// - close(fd). Idempotence is the caller's job (each fd is closed once).
// - bindMount(source, target) / unmountDetach(target): mount(MS_BIND) and umount2(MNT_DETACH) for
//   the netns pins (node-agent/src/netns/netns-pins.ts). Synchronous (~tens of µs); throw with
//   err.code set (EINVAL from unmountDetach: target is not a mount point).
// - subscribe(fd, groups[]): NETLINK_ADD_MEMBERSHIP for each multicast group (RTNLGRP_* numbers).
//   Synchronous. A subscribed fd must not be used for transactions (notifications would interleave).
// - watch(fd, callback): the fd joins the event loop (uv_poll, no thread); whenever it is readable
//   every pending datagram is read without blocking and callback(null, Buffer) runs once with them
//   concatenated, or callback(err) on a receive error (err.code "ENOBUFS": the kernel dropped
//   notifications because the socket buffer overflowed; the caller must resynchronise). One watch
//   per fd; unwatch(fd) stops it and must be called before close(fd). Idempotent.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

#define RECV_BUF_BYTES (64 * 1024)
#define MAX_REPLY_BYTES (64 * 1024 * 1024)

static const char *errno_code(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EMFILE: return "EMFILE";
    case EMSGSIZE: return "EMSGSIZE";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ENOTDIR: return "ENOTDIR";
    case EBUSY: return "EBUSY";
    default: return "EIO";
  }
}

static napi_value make_error(napi_env env, const char *what, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_value code, text, err, num;
  napi_create_string_utf8(env, errno_code(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &err);
  napi_create_int32(env, e, &num);
  napi_set_named_property(env, err, "errno", num);
  return err;
}

static void throw_errno(napi_env env, const char *what, int e) { napi_throw(env, make_error(env, what, e)); }

static int make_socket(int protocol) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -errno;
  int one = 1;
  // Best effort: extended ACKs carry the kernel's error message; capped ACKs skip the echo.
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  // Strict checking lets dumps be filtered in the kernel (route dump by RTA_OIF, address dump by
  // ifindex) instead of copying whole tables; the TS side filters again, so older kernels work.
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  int rcvbuf = 1024 * 1024;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

struct ns_open {
  const char *path;
  int protocol;
  int result; /* fd, or -errno */
  const char *stage;
};

static void *ns_thread(void *arg) {
  struct ns_open *o = arg;
  int nsfd = open(o->path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) {
    o->result = -errno;
    o->stage = "open netns";
    return NULL;
  }
  if (setns(nsfd, CLONE_NEWNET) != 0) {
    o->result = -errno;
    o->stage = "setns";
    close(nsfd);
    return NULL;
  }
  close(nsfd);
  o->result = make_socket(o->protocol);
  o->stage = "socket";
  return NULL; /* the thread ends here; its namespace change dies with it */
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t protocol = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &protocol) != napi_ok) {
    napi_throw_type_error(env, NULL, "open(protocol, netnsPath|null): protocol must be a number");
    return NULL;
  }
  napi_valuetype t = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &t);
  int fd;
  if (t == napi_string) {
    char path[4096];
    size_t len = 0;
    napi_get_value_string_utf8(env, argv[1], path, sizeof path, &len);
    if (len == 0 || len >= sizeof path - 1) {
      napi_throw_type_error(env, NULL, "open: netnsPath must be a non-empty path shorter than 4095 bytes");
      return NULL;
    }
    struct ns_open o = {path, protocol, -EIO, "thread"};
    pthread_t th;
    int e = pthread_create(&th, NULL, ns_thread, &o);
    if (e != 0) {
      throw_errno(env, "pthread_create", e);
      return NULL;
    }
    pthread_join(th, NULL);
    if (o.result < 0) {
      char what[4200];
      snprintf(what, sizeof what, "%s %s", o.stage, path);
      throw_errno(env, what, -o.result);
      return NULL;
    }
    fd = o.result;
  } else if (t == napi_null || t == napi_undefined) {
    fd = make_socket(protocol);
    if (fd < 0) {
      throw_errno(env, "socket", -fd);
      return NULL;
    }
  } else {
    napi_throw_type_error(env, NULL, "open: netnsPath must be a string or null");
    return NULL;
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "close(fd): fd must be a non-negative number");
    return NULL;
  }
  if (close(fd) != 0) throw_errno(env, "close", errno);
  return NULL;
}

/** Copy string argument `i` into buf; false (with a TypeError thrown) when it is not a string. */
static int get_path(napi_env env, napi_value v, char *buf, size_t size, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || len == 0 || len >= size - 1) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  return 1;
}

static napi_value js_bind_mount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char src[4096], dst[4096];
  const char *usage = "bindMount(source, target): both must be non-empty paths";
  if (argc < 2 || !get_path(env, argv[0], src, sizeof src, usage) ||
      !get_path(env, argv[1], dst, sizeof dst, usage))
    return NULL;
  if (mount(src, dst, NULL, MS_BIND, NULL) != 0) throw_errno(env, "mount --bind", errno);
  return NULL;
}

static napi_value js_unmount_detach(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char dst[4096];
  if (argc < 1 || !get_path(env, argv[0], dst, sizeof dst, "unmountDetach(target): target must be a non-empty path"))
    return NULL;
  if (umount2(dst, MNT_DETACH) != 0) throw_errno(env, "umount2", errno);
  return NULL;
}

struct transact {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref request_ref;
  int fd;
  uint32_t seq;
  int32_t timeout_ms;
  const uint8_t *req;
  size_t req_len;
  uint8_t *reply;
  size_t reply_len;
  int err;
  const char *stage;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when the datagram holds the final message (ACK/error/DONE) of request seq. */
static int holds_final(const uint8_t *buf, size_t len, uint32_t seq) {
  size_t off = 0;
  while (off + sizeof(struct nlmsghdr) <= len) {
    struct nlmsghdr h;
    memcpy(&h, buf + off, sizeof h);
    if (h.nlmsg_len < sizeof h || off + h.nlmsg_len > len) return 0;
    if (h.nlmsg_seq == seq && (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE)) return 1;
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return 0;
}

static void transact_execute(napi_env env, void *data) {
  (void)env;
  struct transact *t = data;
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(t->fd, t->req, t->req_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    t->err = errno;
    t->stage = "netlink send";
    return;
  }
  uint8_t *buf = malloc(RECV_BUF_BYTES);
  if (buf == NULL) {
    t->err = ENOMEM;
    t->stage = "netlink recv";
    return;
  }
  int64_t deadline = now_ms() + t->timeout_ms;
  size_t cap = 0;
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      t->err = ETIMEDOUT;
      t->stage = "netlink recv";
      break;
    }
    struct pollfd p = {t->fd, POLLIN, 0};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      t->err = errno;
      t->stage = "netlink poll";
      break;
    }
    if (r == 0) continue; /* re-checks the deadline */
    n = recv(t->fd, buf, RECV_BUF_BYTES, MSG_TRUNC);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      t->err = errno;
      t->stage = "netlink recv";
      break;
    }
    if ((size_t)n > RECV_BUF_BYTES) {
      t->err = EMSGSIZE;
      t->stage = "netlink recv (datagram larger than the buffer)";
      break;
    }
    if (t->reply_len + (size_t)n > MAX_REPLY_BYTES) {
      t->err = EMSGSIZE;
      t->stage = "netlink reply (over 64 MiB)";
      break;
    }
    if (t->reply_len + (size_t)n > cap) {
      size_t ncap = cap == 0 ? RECV_BUF_BYTES : cap * 2;
      while (ncap < t->reply_len + (size_t)n) ncap *= 2;
      uint8_t *nb = realloc(t->reply, ncap);
      if (nb == NULL) {
        t->err = ENOMEM;
        t->stage = "netlink reply";
        break;
      }
      t->reply = nb;
      cap = ncap;
    }
    memcpy(t->reply + t->reply_len, buf, (size_t)n);
    t->reply_len += (size_t)n;
    if (holds_final(buf, (size_t)n, t->seq)) break;
  }
  free(buf);
}

static void transact_complete(napi_env env, napi_status status, void *data) {
  struct transact *t = data;
  if (status != napi_ok && t->err == 0) {
    t->err = ECANCELED;
    t->stage = "netlink transaction";
  }
  if (t->err != 0) {
    napi_reject_deferred(env, t->deferred, make_error(env, t->stage, t->err));
  } else {
    napi_value out;
    void *dst = NULL;
    napi_create_buffer(env, t->reply_len, &dst, &out);
    if (t->reply_len > 0) memcpy(dst, t->reply, t->reply_len);
    napi_resolve_deferred(env, t->deferred, out);
  }
  free(t->reply);
  napi_delete_reference(env, t->request_ref);
  napi_delete_async_work(env, t->work);
  free(t);
}

static napi_value js_transact(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, timeout_ms = 0;
  uint32_t seq = 0;
  bool is_buffer = false;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_value_uint32(env, argv[2], &seq) != napi_ok ||
      napi_get_value_int32(env, argv[3], &timeout_ms) != napi_ok || timeout_ms <= 0) {
    napi_throw_type_error(env, NULL, "transact(fd, request: Buffer, seq, timeoutMs > 0)");
    return NULL;
  }
  struct transact *t = calloc(1, sizeof *t);
  if (t == NULL) {
    throw_errno(env, "transact", ENOMEM);
    return NULL;
  }
  t->fd = fd;
  t->seq = seq;
  t->timeout_ms = timeout_ms;
  void *req = NULL;
  napi_get_buffer_info(env, argv[1], &req, &t->req_len);
  t->req = req;
  napi_create_reference(env, argv[1], 1, &t->request_ref); /* keeps the bytes alive */
  napi_value promise, name;
  napi_create_promise(env, &t->deferred, &promise);
  napi_create_string_utf8(env, "knd_netlink.transact", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, transact_execute, transact_complete, t, &t->work);
  napi_queue_async_work(env, t->work);
  return promise;
}

// transactSync(fd, request, seq, timeoutMs) -> Buffer: the same exchange on the calling thread, for
// requests the kernel answers in microseconds (address/route/link-attribute changes, dumps). Saves
// the thread-pool hand-off (two wake-ups, each a scheduling delay on a loaded 2-vCPU node). The
// netns move (~20 ms of sleeping in the kernel) must use transact().
static napi_value js_transact_sync(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, timeout_ms = 0;
  uint32_t seq = 0;
  bool is_buffer = false;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_value_uint32(env, argv[2], &seq) != napi_ok ||
      napi_get_value_int32(env, argv[3], &timeout_ms) != napi_ok || timeout_ms <= 0) {
    napi_throw_type_error(env, NULL, "transactSync(fd, request: Buffer, seq, timeoutMs > 0)");
    return NULL;
  }
  struct transact t;
  memset(&t, 0, sizeof t);
  t.fd = fd;
  t.seq = seq;
  t.timeout_ms = timeout_ms;
  void *req = NULL;
  napi_get_buffer_info(env, argv[1], &req, &t.req_len);
  t.req = req;
  transact_execute(env, &t);
  if (t.err != 0) {
    free(t.reply);
    napi_throw(env, make_error(env, t.stage, t.err));
    return NULL;
  }
  napi_value out;
  void *dst = NULL;
  napi_create_buffer(env, t.reply_len, &dst, &out);
  if (t.reply_len > 0) memcpy(dst, t.reply, t.reply_len);
  free(t.reply);
  return out;
}

static napi_value js_subscribe(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  bool is_array = false;
  const char *usage = "subscribe(fd, groups: number[]): fd and groups must be non-negative numbers";
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[1], &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    uint32_t group = 0;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || napi_get_value_uint32(env, v, &group) != napi_ok ||
        group == 0) {
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
      throw_errno(env, "setsockopt NETLINK_ADD_MEMBERSHIP", errno);
      return NULL;
    }
  }
  return NULL;
}

struct watcher {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int fd;
  struct watcher *next;
};

static struct watcher *watchers = NULL; /* only touched on the JS thread */

static void watcher_closed(uv_handle_t *h) { free(h->data); }

static void watcher_call(struct watcher *w, napi_value arg0, napi_value arg1) {
  napi_handle_scope scope;
  napi_open_handle_scope(w->env, &scope);
  napi_value cb, global, result;
  napi_get_reference_value(w->env, w->callback, &cb);
  napi_get_global(w->env, &global);
  napi_value args[2] = {arg0, arg1};
  if (arg1 == NULL) napi_get_undefined(w->env, &args[1]);
  /* napi_make_callback runs the microtask queue afterwards, as for any libuv-driven callback. */
  if (napi_make_callback(w->env, w->context, global, cb, 2, args, &result) == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(w->env, &ex);
    napi_fatal_exception(w->env, ex);
  }
  napi_close_handle_scope(w->env, scope);
}

static void watcher_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  struct watcher *w = h->data;
  napi_handle_scope scope;
  napi_open_handle_scope(w->env, &scope);
  napi_value null_value;
  napi_get_null(w->env, &null_value);
  if (status < 0) {
    watcher_call(w, make_error(w->env, "netlink poll", -status), NULL);
    napi_close_handle_scope(w->env, scope);
    return;
  }
  uint8_t *all = NULL;
  size_t len = 0, cap = 0;
  int err = 0;
  uint8_t *buf = malloc(RECV_BUF_BYTES);
  if (buf == NULL) err = ENOMEM;
  while (err == 0) {
    ssize_t n = recv(w->fd, buf, RECV_BUF_BYTES, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) {
      err = errno;
      break;
    }
    if ((size_t)n > RECV_BUF_BYTES) {
      err = EMSGSIZE;
      break;
    }
    if (len + (size_t)n > cap) {
      size_t ncap = cap == 0 ? RECV_BUF_BYTES : cap * 2;
      while (ncap < len + (size_t)n) ncap *= 2;
      uint8_t *nb = realloc(all, ncap);
      if (nb == NULL) {
        err = ENOMEM;
        break;
      }
      all = nb;
      cap = ncap;
    }
    memcpy(all + len, buf, (size_t)n);
    len += (size_t)n;
    if (len >= MAX_REPLY_BYTES) break; /* the rest on the next readable callback */
  }
  free(buf);
  if (len > 0) {
    napi_value out;
    void *dst = NULL;
    napi_create_buffer(w->env, len, &dst, &out);
    memcpy(dst, all, len);
    watcher_call(w, null_value, out);
  }
  free(all);
  /* After the messages that did arrive: an overflow (ENOBUFS) means some were lost. */
  if (err != 0) watcher_call(w, make_error(w->env, "netlink recv", err), NULL);
  napi_close_handle_scope(w->env, scope);
}

static struct watcher **find_watcher(int fd) {
  struct watcher **p = &watchers;
  while (*p != NULL && (*p)->fd != fd) p = &(*p)->next;
  return p;
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  napi_valuetype t = napi_undefined;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "watch(fd, callback: (err, messages) => void)");
    return NULL;
  }
  if (*find_watcher(fd) != NULL) {
    throw_errno(env, "watch: fd is already watched", EBUSY);
    return NULL;
  }
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    throw_errno(env, "watch: no event loop", EINVAL);
    return NULL;
  }
  struct watcher *w = calloc(1, sizeof *w);
  if (w == NULL) {
    throw_errno(env, "watch", ENOMEM);
    return NULL;
  }
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r != 0) {
    free(w);
    throw_errno(env, "uv_poll_init", -r);
    return NULL;
  }
  w->poll.data = w;
  w->env = env;
  w->fd = fd;
  napi_value name;
  napi_create_string_utf8(env, "knd_netlink.watch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->context);
  napi_create_reference(env, argv[1], 1, &w->callback);
  r = uv_poll_start(&w->poll, UV_READABLE, watcher_readable);
  if (r != 0) {
    napi_delete_reference(env, w->callback);
    napi_async_destroy(env, w->context);
    uv_close((uv_handle_t *)&w->poll, watcher_closed);
    throw_errno(env, "uv_poll_start", -r);
    return NULL;
  }
  w->next = watchers;
  watchers = w;
  return NULL;
}

static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "unwatch(fd): fd must be a non-negative number");
    return NULL;
  }
  struct watcher **p = find_watcher(fd);
  struct watcher *w = *p;
  if (w == NULL) return NULL;
  *p = w->next;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->context);
  uv_close((uv_handle_t *)&w->poll, watcher_closed);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"transact", NULL, js_transact, NULL, NULL, NULL, napi_default, NULL},
      {"transactSync", NULL, js_transact_sync, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"bindMount", NULL, js_bind_mount, NULL, NULL, NULL, napi_default, NULL},
      {"unmountDetach", NULL, js_unmount_detach, NULL, NULL, NULL, napi_default, NULL},
      {"subscribe", NULL, js_subscribe, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
