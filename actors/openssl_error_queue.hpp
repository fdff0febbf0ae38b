#pragma once

// CAF 0.17's OpenSSL transport (libcaf_openssl, the cluster's mutual TLS)
// calls SSL_read and SSL_write without emptying the thread's OpenSSL error
// queue first, and never empties it after a failure. SSL_get_error()
// reports any error left in that queue as the failure of the call it is
// asked about. So once one cluster connection breaks (a worker is killed:
// its reset leaves a system error queued), the next read on each healthy
// connection of that multiplexer thread that would merely wait for data
// looks like a broken connection, and CAF closes it: every other worker lost
// the coordinator about a second after one was killed, and joined again.
//
// OpenSSL's manual asks callers to empty the queue before each I/O call.
// This component defines SSL_read and SSL_write in the executable that
// links it: the dynamic linker binds every library's calls (CAF's, and
// Asio's, which empties the queue itself anyway) to these, which empty the
// calling thread's queue and call libssl's own.

namespace racecontrol {

/// Whether calls to SSL_read and SSL_write from shared libraries in this
/// process reach the definitions that empty the error queue first; false
/// when the executable does not export them (then CAF's cluster transport
/// still has the flaw described above).
bool openssl_error_queue_guarded();

} // namespace racecontrol
