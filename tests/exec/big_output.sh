# 50 MiB on stdout, then the outcome; 50 MiB on stderr, then a last line.
yes 0123456789abcdef | head -c 52428800
printf '\n{"y": 42}\n'
yes ERR-0123456789 | head -c 52428800 >&2
printf 'end of stderr\n' >&2
