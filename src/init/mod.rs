//! PID 1
