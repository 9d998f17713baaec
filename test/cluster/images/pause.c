/*
 * knd's pod-sandbox process (image localhost/pause:local), written for this project.
 *
 * It holds the pod's namespaces open and does nothing else: sleeps in pause(), reaps any child it
 * inherits (it is PID 1 of the sandbox), and exits 0 on SIGTERM or SIGINT. containerd stops a sandbox
 * with SIGKILL anyway; the handlers only make a manual `kill` tidy. Built with `gcc -static` so the
 * image needs no libc.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction term = {0};
  term.sa_handler = on_term;
  sigaction(SIGTERM, &term, NULL);
  sigaction(SIGINT, &term, NULL);

  struct sigaction child = {0};
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &child, NULL);

  for (;;) {
    pause();
  }
  return EXIT_FAILURE;
}
