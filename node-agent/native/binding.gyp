{
  "targets": [
    {
      "target_name": "knd_netlink",
      "sources": ["knd_netlink.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
