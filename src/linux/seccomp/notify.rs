//! SCMP_ACT_NOTIFY: send the listener fd to `linux.seccomp.listenerPath`.
