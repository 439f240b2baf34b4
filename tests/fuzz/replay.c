/*
 * replay.c - runs LLVMFuzzerTestOneInput over files, without libFuzzer.
 *
 * Usage: fuzz_<target>_replay PATH...  where each PATH is a file or a
 * folder (its regular files are run, not recursively). Exits 0 when every
 * input ran (a failing input aborts, as under the fuzzer), 1 when a path
 * cannot be read or nothing ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file; returns 0 on success, -1 when it cannot be read. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;
    int rc = -1;

    if (!f) {
        perror(path);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *nb;
            cap = cap ? cap * 2 : 4096;
            nb = realloc(buf, cap);
            if (!nb)
                goto out;
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        perror(path);
        goto out;
    }
    LLVMFuzzerTestOneInput(buf, len);
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    int i, bad = 0;
    long ran = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            bad = 1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            if (!d) {
                perror(argv[i]);
                bad = 1;
                continue;
            }
            while ((e = readdir(d)) != NULL) {
                char path[4096];
                struct stat fs;
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                if (stat(path, &fs) != 0 || !S_ISREG(fs.st_mode))
                    continue;
                if (run_file(path) != 0)
                    bad = 1;
                else
                    ran++;
            }
            closedir(d);
        } else if (run_file(argv[i]) != 0) {
            bad = 1;
        } else {
            ran++;
        }
    }
    printf("%ld inputs ran\n", ran);
    return bad || ran == 0;
}
