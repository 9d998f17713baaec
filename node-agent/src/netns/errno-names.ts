// Linux errno numbers (asm-generic/errno-base.h, errno.h) to their names, for netlink error
// messages. Pure.
const NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  6: 'ENXIO',
  7: 'E2BIG',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  20: 'ENOTDIR',
  21: 'EISDIR',
  22: 'EINVAL',
  23: 'ENFILE',
  24: 'EMFILE',
  28: 'ENOSPC',
  34: 'ERANGE',
  61: 'ENODATA',
  71: 'EPROTO',
  90: 'EMSGSIZE',
  93: 'EPROTONOSUPPORT',
  95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  100: 'ENETDOWN',
  101: 'ENETUNREACH',
  105: 'ENOBUFS',
  110: 'ETIMEDOUT',
  113: 'EHOSTUNREACH',
  125: 'ECANCELED',
};

/** `EEXIST` for 17; `errno 200` for numbers not in the table. Accepts negative (kernel) values. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return NAMES[n] ?? `errno ${n}`;
}
