/* store/walbuf.c - the "genesis" SQLite VFS: gathered WAL writes; see walbuf.h */
#include "store/walbuf.h"

#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#define VFS_NAME "genesis"
/* Never more in one write than BUF_MAX: the unix VFS writes at most
 * 128 KiB - 1 per call (it masks the length with 0x1ffff, so a longer
 * write would come back short, as SQLITE_FULL). 124 KiB is 30 frames of
 * 4 KiB pages. */
#define BUF_MAX (124 * 1024)

/* A WAL file: our methods, the default VFS's file after this struct. */
typedef struct walbuf_file {
    sqlite3_file base;
    sqlite3_file *real;
    unsigned char *buf;
    int len;             /* bytes gathered */
    sqlite3_int64 off;   /* file offset of buf[0] */
} walbuf_file;

static sqlite3_vfs walbuf_vfs;
static pthread_once_t walbuf_once = PTHREAD_ONCE_INIT;
static int walbuf_ok;

#define ROOT() ((sqlite3_vfs *)walbuf_vfs.pAppData)
#define REAL(f) (((walbuf_file *)(f))->real)

/* Writes out what is gathered; on an error, keeps nothing (the caller's
 * operation fails, and SQLite rolls the transaction back). */
static int flush(walbuf_file *w)
{
    int rc;
    if (w->len == 0)
        return SQLITE_OK;
    rc = w->real->pMethods->xWrite(w->real, w->buf, w->len, w->off);
    w->len = 0;
    return rc;
}

static int wb_close(sqlite3_file *f)
{
    walbuf_file *w = (walbuf_file *)f;
    int rc = flush(w), rc2;
    rc2 = w->real->pMethods->xClose(w->real);
    sqlite3_free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
    int rc = flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xRead(REAL(f), p, amt, off);
}

static int wb_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
    walbuf_file *w = (walbuf_file *)f;
    int rc;

    if (w->len > 0 && (off != w->off + w->len || w->len + amt > BUF_MAX)) {
        rc = flush(w);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (amt > BUF_MAX)
        return w->real->pMethods->xWrite(w->real, p, amt, off);
    if (!w->buf) {
        w->buf = sqlite3_malloc(BUF_MAX);
        if (!w->buf) /* no room to gather: write through */
            return w->real->pMethods->xWrite(w->real, p, amt, off);
    }
    if (w->len == 0)
        w->off = off;
    memcpy(w->buf + w->len, p, (size_t)amt);
    w->len += amt;
    return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int wb_sync(sqlite3_file *f, int flags)
{
    int rc = flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int wb_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    int rc = flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int wb_lock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int wb_unlock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int wb_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int wb_file_control(sqlite3_file *f, int op, void *arg)
{
    int rc = flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int wb_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int wb_device_characteristics(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/* Version 1: a WAL file has no shared memory and is never memory-mapped. */
static const sqlite3_io_methods walbuf_methods = {
    1,
    wb_close,
    wb_read,
    wb_write,
    wb_truncate,
    wb_sync,
    wb_file_size,
    wb_lock,
    wb_unlock,
    wb_check_reserved,
    wb_file_control,
    wb_sector_size,
    wb_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
};

/* Files other than WAL files are the default VFS's, opened in place (our
 * szOsFile is larger than its own): SQLite then calls its methods
 * directly. A WAL file gets our methods over the default file placed
 * after the walbuf_file. */
static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    sqlite3_vfs *root = ROOT();
    walbuf_file *w = (walbuf_file *)f;
    int rc;

    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return root->xOpen(root, name, f, flags, out_flags);
    memset(w, 0, sizeof *w);
    w->real = (sqlite3_file *)(w + 1);
    rc = root->xOpen(root, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        /* as SQLite's own shims do: pMethods stays NULL, so no xClose */
        w->base.pMethods = NULL;
        return rc;
    }
    w->base.pMethods = &walbuf_methods;
    return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
    (void)v;
    return ROOT()->xDelete(ROOT(), name, sync_dir);
}

static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return ROOT()->xAccess(ROOT(), name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return ROOT()->xFullPathname(ROOT(), name, n, out);
}

static void *wb_dlopen(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return ROOT()->xDlOpen(ROOT(), name);
}

static void wb_dlerror(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    ROOT()->xDlError(ROOT(), n, msg);
}

static void (*wb_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return ROOT()->xDlSym(ROOT(), h, sym);
}

static void wb_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    ROOT()->xDlClose(ROOT(), h);
}

static int wb_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return ROOT()->xRandomness(ROOT(), n, out);
}

static int wb_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return ROOT()->xSleep(ROOT(), us);
}

static int wb_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return ROOT()->xCurrentTime(ROOT(), out);
}

static int wb_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return ROOT()->xGetLastError ? ROOT()->xGetLastError(ROOT(), n, out) : 0;
}

static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return ROOT()->xCurrentTimeInt64(ROOT(), out);
}

static void walbuf_register(void)
{
    sqlite3_vfs *root = sqlite3_vfs_find(NULL);
    if (!root || root->iVersion < 2 || !root->xCurrentTimeInt64)
        return;
    walbuf_vfs.iVersion = 2;
    walbuf_vfs.szOsFile = (int)sizeof(walbuf_file) + root->szOsFile;
    walbuf_vfs.mxPathname = root->mxPathname;
    walbuf_vfs.zName = VFS_NAME;
    walbuf_vfs.pAppData = root;
    walbuf_vfs.xOpen = wb_open;
    walbuf_vfs.xDelete = wb_delete;
    walbuf_vfs.xAccess = wb_access;
    walbuf_vfs.xFullPathname = wb_full_pathname;
    walbuf_vfs.xDlOpen = wb_dlopen;
    walbuf_vfs.xDlError = wb_dlerror;
    walbuf_vfs.xDlSym = wb_dlsym;
    walbuf_vfs.xDlClose = wb_dlclose;
    walbuf_vfs.xRandomness = wb_randomness;
    walbuf_vfs.xSleep = wb_sleep;
    walbuf_vfs.xCurrentTime = wb_current_time;
    walbuf_vfs.xGetLastError = wb_last_error;
    walbuf_vfs.xCurrentTimeInt64 = wb_current_time64;
    walbuf_ok = sqlite3_vfs_register(&walbuf_vfs, 0) == SQLITE_OK;
}

const char *gn__walbuf_vfs(void)
{
    pthread_once(&walbuf_once, walbuf_register);
    return walbuf_ok ? VFS_NAME : NULL;
}
