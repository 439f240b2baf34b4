/*
 * store/walbuf.h - a SQLite VFS that writes a commit's WAL frames with one
 * system call.
 *
 * SQLite writes each frame of a commit to the write-ahead log as two
 * pwrite calls (the 24-byte frame header, then the page), then syncs: a
 * commit of 20 pages is 40 system calls before the fsync, which on a
 * virtual machine cost more than the commit's own work. The VFS "genesis"
 * wraps the default one: for WAL files only, consecutive writes are
 * gathered in memory (up to 124 KiB, 30 frames of 4 KiB pages) and
 * written with one pwrite when anything else happens to the file (sync,
 * read, truncate, size, file control, close), when the next write is not
 * contiguous, or when the buffer is full. Everything else (the database file,
 * locks, shared memory) is the default VFS's own, so other programs using
 * the default VFS on the same database see no difference.
 *
 * Why it keeps SQLite's guarantees: a commit is durable only after the WAL
 * is synced, and the sync writes out the gathered frames first; readers in
 * other connections find new frames only through the wal-index, which
 * SQLite updates after that sync (the store runs synchronous=FULL, which
 * syncs at every commit; with a mode that does not sync at commit, frames
 * would reach the file at the next read, sync or close instead, so do not
 * use this VFS with synchronous=OFF or NORMAL). A failed gathered write is
 * reported by the call that flushes it (the sync of the commit), so the
 * commit fails and nothing is acknowledged.
 */
#ifndef GN_STORE_WALBUF_H
#define GN_STORE_WALBUF_H

/* Registers the VFS once (not as the default) and returns its name for
 * sqlite3_open_v2, or NULL when it could not be registered (then the
 * default VFS is used). Thread-safe. */
const char *gn__walbuf_vfs(void);

#endif
