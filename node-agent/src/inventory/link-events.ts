// Kernel change notifications for the inventory loop, from an rtnetlink socket subscribed to the
// link, address and route multicast groups (RTNLGRP_LINK, RTNLGRP_IPV4/IPV6_IFADDR,
// RTNLGRP_IPV4/IPV6_ROUTE) over the agent's netlink socket layer (node-agent/src/netns/
// netlink-socket.ts). The socket sits in the event loop (no thread, no polling, no child process):
// a notification wakes the agent within microseconds of the kernel change.
//
// Contract: caller is startInventory (once). Each batch of notifications that can change the device
// list (linkEventTriggers) calls onEvent once; the content only triggers a (rate-limited) rescan and
// never becomes state, so a missed or odd message cannot corrupt the inventory. When the kernel
// dropped notifications (ENOBUFS: the socket buffer overflowed during a burst) onEvent is called too:
// the rescan resynchronises. If the socket cannot be opened the error is logged and discovery falls
// back to the inventory's periodic resync (30 s); no retries here. stop() is idempotent.
import type { Logger } from '../../../lib/util/logger.js';
import type { NlMessage } from '../netns/netlink-codec.js';
import { NetlinkSocket, type NativeNetlink } from '../netns/netlink-socket.js';
import {
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
} from '../netns/rtnl-encode.js';

export interface LinkEventSource {
  start(onEvent: () => void): void;
  stop(): void;
}

/** rtnetlink multicast groups (linux/rtnetlink.h enum rtnetlink_groups). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;

/**
 * True when a notification can change what discovery reports: any link added, removed or changed;
 * a global-scope address (discovery ignores link-local and host addresses, e.g. the fe80:: a new
 * veth gets); a default route of the main table (decides the uplink exclusion). Pure.
 */
export function linkEventTriggers(msg: NlMessage): boolean {
  const p = msg.payload;
  switch (msg.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      return true;
    case RTM_NEWADDR:
    case RTM_DELADDR:
      // struct ifaddrmsg: family, prefixlen, flags, scope, index
      return p.length >= 8 && p.readUInt8(3) === RT_SCOPE_UNIVERSE;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      // struct rtmsg: family, dst_len, src_len, tos, table, ...; RTA_TABLE overrides a table byte of
      // RT_TABLE_COMPAT only for ids > 255, which are never the main table.
      return p.length >= 12 && p.readUInt8(1) === 0 && p.readUInt8(4) === RT_TABLE_MAIN;
    default:
      return false;
  }
}

export interface NetlinkLinkEventsOptions {
  logger: Logger;
  /** Network namespace to watch; default the agent's own (the host's). */
  netnsPath?: string;
  native?: NativeNetlink;
}

export function netlinkLinkEvents(opts: NetlinkLinkEventsOptions): LinkEventSource {
  let socket: NetlinkSocket | undefined;
  let stopped = false;
  return {
    start(onEvent) {
      if (stopped || socket) return;
      try {
        const s = new NetlinkSocket({
          ...(opts.native ? { native: opts.native } : {}),
          ...(opts.netnsPath === undefined ? {} : { netnsPath: opts.netnsPath }),
        });
        socket = s;
        s.listen(
          [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE],
          (msgs) => {
            if (msgs.some(linkEventTriggers)) onEvent();
          },
          (err) => {
            opts.logger.warn('netlink notifications lost; rescanning', {
              error: err.message,
              code: err.code,
            });
            onEvent();
          },
        );
      } catch (e) {
        socket?.close();
        socket = undefined;
        opts.logger.error('netlink link notifications unavailable; relying on the periodic resync', {
          error: (e as Error).message,
        });
      }
    },
    stop() {
      stopped = true;
      socket?.close();
      socket = undefined;
    },
  };
}
